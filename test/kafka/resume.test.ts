import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, requireBinary, requireSurf, run, temporaryFolders } from '../helpers.ts'
import { type Broker, dryRunMessages, ensureBroker, firstRecord, freshTopic, readTopic, startBroker } from './broker.ts'

const tempDir = temporaryFolders()

/**
 * Stopping, resuming and surviving faults, each time reading the topics back with Kafka's Java consumer and
 * comparing with the dry-run of the same (demo) trace. The demo runs 95 s of trace; at --speed 20
 * that is under 5 s, so a fault lands mid-run.
 */
let broker: Broker
let bin: string
let expected: Record<'tasks' | 'fragments', [string, string][]>
const fresh = freshTopic

beforeAll(async () => {
  bin = requireBinary()
  broker = await ensureBroker()
  expected = dryRunMessages((await run([bin, 'replay', '--dry-run', '--speed', 'max'])).stdout)
}, 600_000)

afterAll(async () => {
  await broker?.stop()
}, 120_000)

const kafkaSh = (verb: string, env: Record<string, string>) =>
  Bun.spawnSync(['bash', join(ROOT, 'scripts', 'kafka.sh'), verb], { env: { ...process.env, ...env } })

/** The demo at --speed 20 into `topics`, recording progress in `checkpoint`. */
const replayArgs = (bootstrap: string, topics: [string, string], checkpoint: string, extra: string[] = []) => [
  bin,
  'replay',
  '--brokers',
  bootstrap,
  '--speed',
  '20',
  '--checkpoint',
  checkpoint,
  '--tasks-topic',
  topics[0],
  '--fragments-topic',
  topics[1],
  ...extra,
]

function start(bootstrap: string, topics: [string, string], checkpoint: string, extra: string[] = []) {
  return Bun.spawn(replayArgs(bootstrap, topics, checkpoint, extra), { stdout: 'pipe', stderr: 'pipe' })
}

/** The same replay, continued from its checkpoint. */
const resume = (bootstrap: string, topics: [string, string], checkpoint: string) =>
  run(replayArgs(bootstrap, topics, checkpoint, ['--resume']))

async function readBack(bootstrap: string, topics: [string, string]) {
  return {
    tasks: (await readTopic(bootstrap, topics[0])).map((r) => [r.key, r.value] as [string, string]),
    fragments: (await readTopic(bootstrap, topics[1])).map((r) => [r.key, r.value] as [string, string]),
  }
}

const MAY_REPEAT = /; (\d+) messages sent before the interruption but not acknowledged may be repeated/

describe('checkpoints and --resume', () => {
  it('SIGINT, then --resume: every message exactly once, in order', async () => {
    const topics: [string, string] = [fresh('tasks'), fresh('fragments')]
    const checkpoint = join(tempDir('opendt-cp-'), 'cp.json')
    const first = start(broker.bootstrap, topics, checkpoint)
    await firstRecord(broker.bootstrap, topics[0])
    first.kill('SIGINT')
    expect(await first.exited).toBe(130)
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8'))
    expect(saved.streams.tasks.acked).toBe(saved.streams.tasks.sent)
    const resumed = await resume(broker.bootstrap, topics, checkpoint)
    expect(resumed.code).toBe(0)
    expect(MAY_REPEAT.exec(resumed.stderr)?.[1]).toBe('0')
    expect(await readBack(broker.bootstrap, topics)).toEqual(expected)
    // The finished checkpoint covers everything.
    expect(JSON.parse(readFileSync(checkpoint, 'utf8')).streams).toEqual({
      tasks: { sent: 4, acked: 4 },
      fragments: { sent: 12, acked: 12 },
    })
  }, 60_000)

  it('SURF, SIGINT mid-run, then --resume at --speed max: verify finds the topics exact', async () => {
    const surf = requireSurf()
    const topics = ['--tasks-topic', fresh('tasks'), '--fragments-topic', fresh('fragments')]
    const window = [surf, '--to', '6h', '--brokers', broker.bootstrap, ...topics]
    const checkpoint = join(tempDir('opendt-cp-'), 'cp.json')
    const first = Bun.spawn([bin, 'replay', ...window, '--speed', '2000', '--checkpoint', checkpoint], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    await firstRecord(broker.bootstrap, topics[3]!) // the first fragment is due 30 s of trace in: 15 ms
    first.kill('SIGINT')
    expect(await first.exited).toBe(130)
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8'))
    expect(saved.streams.fragments.acked).toBeLessThan(84_511)
    const resumed = await run([bin, 'replay', ...window, '--speed', 'max', '--checkpoint', checkpoint, '--resume'])
    expect(resumed.code).toBe(0)
    const verified = await run([bin, 'verify', ...window, '--json'])
    expect(verified.code).toBe(0)
    const report = JSON.parse(verified.stdout)
    expect(report.topics.map((t: { read: number; exact: boolean }) => [t.read, t.exact])).toEqual([
      [153, true],
      [84_511, true],
    ])
    // The paced part carries opendt-due headers, but lateness is measured only while following.
    expect(report.topics.map((t: { lateness?: unknown }) => t.lateness)).toEqual([undefined, undefined])
  }, 120_000)

  it('SIGKILL of the replayer, then --resume: repeats only what was sent after the last checkpoint, and says how many', async () => {
    const topics: [string, string] = [fresh('tasks'), fresh('fragments')]
    const checkpoint = join(tempDir('opendt-cp-'), 'cp.json')
    const first = start(broker.bootstrap, topics, checkpoint)
    await firstRecord(broker.bootstrap, topics[1])
    first.kill('SIGKILL')
    await first.exited
    const resumed = await resume(broker.bootstrap, topics, checkpoint)
    expect(resumed.code).toBe(0)
    const mayRepeat = Number(MAY_REPEAT.exec(resumed.stderr)![1])
    const got = await readBack(broker.bootstrap, topics)
    for (const topic of ['tasks', 'fragments'] as const) {
      // Without the repeats, exactly the expected messages in order.
      const seen = new Set<string>()
      const unique = got[topic].filter(([k, v]) => !seen.has(k + v) && seen.add(k + v))
      expect(unique).toEqual(expected[topic])
    }
    const repeats = got.tasks.length + got.fragments.length - 16
    expect(repeats).toBeLessThanOrEqual(mayRepeat)
  }, 60_000)

  it('a broker down longer than the retries: exit 3, then --resume completes the set', async () => {
    const env = { KAFKA_STATE_DIR: tempDir('opendt-kafka-') }
    const own = await startBroker(env)
    try {
      const topics: [string, string] = [fresh('tasks'), fresh('fragments')]
      const checkpoint = join(tempDir('opendt-cp-'), 'cp.json')
      const first = start(own.bootstrap, topics, checkpoint, ['--send-retries', '1'])
      await firstRecord(own.bootstrap, topics[0])
      kafkaSh('kill', env)
      expect(await first.exited).toBe(3)
      expect(kafkaSh('restart', env).exitCode).toBe(0)
      const resumed = await resume(own.bootstrap, topics, checkpoint)
      expect(resumed.code).toBe(0)
      const mayRepeat = Number(MAY_REPEAT.exec(resumed.stderr)![1])
      const got = await readBack(own.bootstrap, topics)
      if (mayRepeat === 0) expect(got).toEqual(expected)
      else expect(got.tasks.length + got.fragments.length - 16).toBeLessThanOrEqual(mayRepeat)
    } finally {
      await own.stop()
    }
  }, 180_000)

  it('a broker killed and restarted within the retries: no loss, no duplicate, exit 0', async () => {
    const env = { KAFKA_STATE_DIR: tempDir('opendt-kafka-') }
    const own = await startBroker(env)
    try {
      const topics: [string, string] = [fresh('tasks'), fresh('fragments')]
      const checkpoint = join(tempDir('opendt-cp-'), 'cp.json')
      const run1 = start(own.bootstrap, topics, checkpoint)
      await firstRecord(own.bootstrap, topics[0])
      kafkaSh('kill', env)
      expect(kafkaSh('restart', env).exitCode).toBe(0)
      expect(await run1.exited).toBe(0)
      expect(await readBack(own.bootstrap, topics)).toEqual(expected)
      // verify says so too.
      const verified = await run([
        bin,
        'verify',
        '--brokers',
        own.bootstrap,
        '--tasks-topic',
        topics[0],
        '--fragments-topic',
        topics[1],
      ])
      expect([verified.code, verified.stdout.trimEnd().split('\n').at(-1)]).toEqual([
        0,
        'verify: exact: 2 topics hold the 16 messages of the replay, once each, in order',
      ])
    } finally {
      await own.stop()
    }
  }, 180_000)

  it("another shard's checkpoint is refused, naming the shard: exit 2, nothing sent", async () => {
    const surf = requireSurf()
    const topics = ['--tasks-topic', fresh('tasks'), '--fragments-topic', fresh('fragments')]
    const window = [surf, '--to', '6h', '--brokers', broker.bootstrap, ...topics]
    const checkpoint = join(tempDir('opendt-cp-'), 'cp.json')
    const first = Bun.spawn(
      [bin, 'replay', ...window, '--speed', '200', '--shard', '0/3', '--checkpoint', checkpoint],
      {
        stdout: 'pipe',
        stderr: 'pipe',
      },
    )
    await firstRecord(broker.bootstrap, topics[3]!)
    first.kill('SIGINT')
    expect(await first.exited).toBe(130)
    const held = async () =>
      (await readTopic(broker.bootstrap, topics[1]!)).length + (await readTopic(broker.bootstrap, topics[3]!)).length
    const before = await held()
    // The same window and checkpoint, resumed as `shard` (none: unsharded).
    const resumeAs = (shard: string[]) =>
      run([bin, 'replay', ...window, '--speed', 'max', ...shard, '--checkpoint', checkpoint, '--resume'])
    const other = await resumeAs(['--shard', '1/3'])
    expect([other.code, other.stderr.trimEnd().split('\n').at(-1)]).toEqual([
      2,
      `[error] --resume: ${checkpoint} was written for another replay: --shard was 0/3 (control from shard 0), now 1/3 (control from shard 0)`,
    ])
    const unsharded = await resumeAs([])
    expect([unsharded.code, unsharded.stderr.trimEnd().split('\n').at(-1)]).toEqual([
      2,
      `[error] --resume: ${checkpoint} was written for another replay: --shard was 0/3 (control from shard 0), now (none)`,
    ])
    expect(await held()).toBe(before)
    // The shard it was written for resumes.
    const same = await resumeAs(['--shard', '0/3'])
    expect(same.code).toBe(0)
  }, 120_000)
})
