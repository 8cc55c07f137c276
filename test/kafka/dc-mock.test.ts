import { beforeAll, describe, expect, it } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { requireBinary, requireSurf, run, temporaryFolders } from '../helpers.ts'
import { type Column, traceColumns, writeTrace } from '../parquet.ts'
import { firstRecord, freshTopic, readTopic, sharedBroker } from './broker.ts'

const tempDir = temporaryFolders()

/**
 * `--format dc-mock` into a real broker, read back with Kafka's Java consumer: the three topics
 * equal the dry-run, a message over 1 MiB gets a topic that takes it, and an existing topic too
 * small for the largest message fails before anything is sent.
 */
const broker = sharedBroker()
let bin: string
let surf: string
const fresh = freshTopic

beforeAll(async () => {
  bin = requireBinary()
  surf = requireSurf()
})

function admin() {
  return new Kafka({ clientId: 'test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin()
}

/** Three fresh topic names and the flags that name them. */
function topics() {
  const names = { workload: fresh('dc.workload'), power: fresh('dc.power'), topology: fresh('dc.topology') }
  const flags = ['--workload-topic', names.workload, '--power-topic', names.power, '--topology-topic', names.topology]
  return { names, flags }
}

/** Dry-run lines as [topic, key, value] texts (the key as the record holds it: text, or "null"). */
function dryRunRecords(stdout: string): [string, string, string][] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => {
      const { topic, key } = JSON.parse(line.slice(0, line.indexOf(',"value":')) + '}')
      return [topic, key ?? 'null', line.slice(line.indexOf(',"value":') + 9, -1)]
    })
}

const unstamped = (value: string) => value.replace(/^\{"timestamp":"[^"]*"/, '{"timestamp":"T"')

async function topicLimit(topic: string): Promise<string | undefined> {
  const a = admin()
  await a.connect()
  try {
    const described = await a.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topic, configNames: ['max.message.bytes'] }],
    })
    return described.resources[0]?.configEntries[0]?.configValue
  } finally {
    await a.disconnect()
  }
}

describe('--format dc-mock into a real Kafka broker', () => {
  it("SURF's first three hours: the three topics read back equal the dry-run, key and value", async () => {
    const { names, flags } = topics()
    const window = ['--format', 'dc-mock', '--to', '3h', '--speed', 'max']
    const sent = await run([bin, 'replay', surf, ...window, '--brokers', broker.bootstrap, ...flags])
    expect([sent.code, /\[info\] (.*) in [\d.]+ s/.exec(sent.stderr)?.[1]]).toEqual([
      0,
      '305 workload sent, 305 acknowledged; 359 power sent, 359 acknowledged; 360 topology sent, 360 acknowledged',
    ])
    const dry = dryRunRecords((await run([bin, 'replay', surf, ...window, '--dry-run', ...flags])).stdout)
    for (const [role, topic] of Object.entries(names)) {
      const records = await readTopic(broker.bootstrap, topic)
      const expected = dry.filter(([t]) => t === topic).map(([, key, value]) => [key, value])
      const got = records.map((r) => [r.key, r.value])
      if (role === 'topology') {
        expect(got.map(([k, v]) => [k, unstamped(v!)])).toEqual(expected.map(([k, v]) => [k, unstamped(v!)]))
      } else {
        expect(got).toEqual(expected)
      }
    }
    // SURF's largest task message (compact) fits Kafka's default limit: the topic keeps the broker's.
    expect(await topicLimit(names.workload)).toBe('1048588')
    // verify agrees, the topology's wall-clock timestamps aside.
    const verified = await run([bin, 'verify', surf, ...window, '--brokers', broker.bootstrap, ...flags, '--json'])
    expect(verified.code).toBe(0)
    expect(
      JSON.parse(verified.stdout).topics.map((t: { topic: string; read: number; exact: boolean }) => [t.read, t.exact]),
    ).toEqual([
      [305, true],
      [359, true],
      [360, true],
    ])
  }, 120_000)

  /** One task with 30,000 fragments: a task message of 1.86 MB. */
  function bigTaskTrace(): string {
    const n = 30_000
    const { tasks } = traceColumns({ tasks: { id: { name: 'id', data: ['1', '2'], type: 'STRING' } } })
    const fragments: Column[] = [
      { name: 'id', data: [...Array.from({ length: n }, () => '1'), '2'], type: 'STRING' },
      { name: 'duration', data: Array.from({ length: n + 1 }, () => 1000n), type: 'INT64' },
      { name: 'cpu_usage', data: Array.from({ length: n + 1 }, (_, i) => 500 + (i % 7)), type: 'DOUBLE' },
    ]
    return writeTrace(tempDir, tasks, fragments)
  }

  it('a message over 1 MiB: the topic this run creates takes it, and it reads back whole', async () => {
    const dir = bigTaskTrace()
    const { names, flags } = topics()
    const args = ['--format', 'dc-mock', '--speed', 'max', ...flags]
    const sent = await run([bin, 'replay', dir, ...args, '--brokers', broker.bootstrap])
    expect(sent.code).toBe(0)
    const dry = dryRunRecords((await run([bin, 'replay', dir, ...args, '--dry-run'])).stdout)
    const expected = dry.filter(([t]) => t === names.workload).map(([, k, v]) => [k, v])
    const big = expected.find(([k]) => k === '1')![1]!.length
    expect(big).toBe(1_860_204)
    expect(sent.stderr).toContain(`max.message.bytes up to ${Math.ceil((big + 128 + 65_536) / 2 ** 20) * 2 ** 20})`)
    const records = await readTopic(broker.bootstrap, names.workload)
    expect(records.map((r) => [r.key, r.value])).toEqual(expected)
  }, 120_000)

  it('an existing topic too small for the largest message: one line naming it, exit 3, nothing sent', async () => {
    const dir = bigTaskTrace()
    const { names, flags } = topics()
    const a = admin()
    await a.connect()
    await a.createTopics({
      topics: [
        {
          topic: names.workload,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: '1000000' }],
        },
      ],
      waitForLeaders: true,
    })
    await a.disconnect()
    const dry = dryRunRecords(
      (await run([bin, 'replay', dir, '--format', 'dc-mock', '--speed', 'max', '--dry-run', ...flags])).stdout,
    )
    const big = dry.find(([, k]) => k === '1')![2].length
    const sent = await run([
      bin,
      'replay',
      dir,
      '--format',
      'dc-mock',
      '--speed',
      'max',
      '--brokers',
      broker.bootstrap,
      ...flags,
    ])
    expect([sent.code, sent.stderr.trimEnd().split('\n').at(-1)]).toEqual([
      3,
      `[error] ${names.workload}: task 1's message is ${big} bytes, over the topic's max.message.bytes 1000000 ` +
        `(with 128 bytes of batch overhead); raise it to at least ${big + 128}, or delete the topic so this run creates it; nothing was sent`,
    ])
    expect(await readTopic(broker.bootstrap, names.workload)).toEqual([])
    const a2 = admin()
    await a2.connect()
    const left = await a2.listTopics()
    await a2.disconnect()
    expect([left.includes(names.power), left.includes(names.topology)]).toEqual([false, false])
  }, 120_000)

  it('SIGINT mid-run, then --resume: the three topics hold the window once, in order', async () => {
    const { names, flags } = topics()
    const checkpoint = join(tempDir('opendt-dc-'), 'run.json')
    const window = ['--format', 'dc-mock', '--to', '30m', ...flags]
    const kafka = ['--brokers', broker.bootstrap, '--checkpoint', checkpoint]
    // 30 minutes at 300x: 6 s; the first tasks and the first power row are due in the first 0.1 s.
    const proc = Bun.spawn([bin, 'replay', surf, ...window, ...kafka, '--speed', '300'], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    await firstRecord(broker.bootstrap, names.power)
    proc.kill('SIGINT')
    expect(await proc.exited).toBe(130)
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8')).streams
    const before = saved.workload.acked + saved.power.acked + saved.topology.acked
    expect(saved.power.acked).toBeGreaterThan(0)
    expect(before).toBeLessThan(31 + 122 + 60 + 61) // not all of it: heartbeats, tasks, power and topology of 30 minutes
    const resumed = await run([bin, 'replay', surf, ...window, ...kafka, '--speed', 'max', '--resume'])
    expect(resumed.code).toBe(0)
    const dry = dryRunRecords((await run([bin, 'replay', surf, ...window, '--dry-run', '--speed', 'max'])).stdout)
    for (const topic of Object.values(names)) {
      const got = (await readTopic(broker.bootstrap, topic)).map((r) => [r.key, unstamped(r.value)])
      const expected = dry.filter(([t]) => t === topic).map(([, key, value]) => [key, unstamped(value)])
      expect(got).toEqual(expected)
    }
  }, 120_000)
})
