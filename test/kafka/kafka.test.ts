import { beforeAll, describe, expect, it } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { FIXTURES, requireBinary, requireSurf, run, temporaryFolders } from '../helpers.ts'
import {
  createTopics as createTopicsOn,
  dryRunMessages,
  firstRecord,
  freshTopic,
  privateBrokerEnv,
  readTopic,
  readTopicWithPartitions,
  sharedBroker,
  startBroker,
} from './broker.ts'

const tempDir = temporaryFolders()

const broker = sharedBroker()
let bin: string
let surf: string
const fresh = freshTopic

beforeAll(async () => {
  bin = requireBinary()
  surf = requireSurf()
})

const SUMMARY = /\[info\] (\d+) tasks sent, (\d+) acknowledged; (\d+) fragments sent, (\d+) acknowledged in [\d.]+ s/

async function topicPartitions(topic: string): Promise<number> {
  return (await readTopicWithPartitions(broker.bootstrap, topic)).partitions
}

/** Creates topics beforehand on the shared broker. */
const createTopics = (topics: string[], partitions: number, config: Record<string, string> = {}) =>
  createTopicsOn(broker.bootstrap, topics, partitions, config)

/** Replays (at --speed max unless told) into two topics of the test broker; `args` adds the trace and other flags. */
const intoKafka = (args: string[], tasks: string, fragments: string, speed = 'max') =>
  run([
    bin,
    'replay',
    ...args,
    '--brokers',
    broker.bootstrap,
    '--speed',
    speed,
    '--tasks-topic',
    tasks,
    '--fragments-topic',
    fragments,
  ])

describe("replay into a real Kafka broker, read back with Kafka's Java consumer", () => {
  it('a SURF window lands byte-identical to the dry-run, in order, no duplicates', async () => {
    const window = ['--from', '1d', '--to', '1d6h']
    const tasks = fresh('tasks')
    const fragments = fresh('fragments')
    const before = Date.now()
    const sent = await intoKafka([surf, ...window], tasks, fragments)
    const after = Date.now()
    expect(sent.stdout).toBe('')
    expect(sent.code).toBe(0)
    const dry = dryRunMessages((await run([bin, 'replay', surf, '--dry-run', '--speed', 'max', ...window])).stdout)
    const got = {
      tasks: await readTopic(broker.bootstrap, tasks),
      fragments: await readTopic(broker.bootstrap, fragments),
    }
    expect(got.tasks.map((r) => [r.key, r.value])).toEqual(dry.tasks)
    expect(got.fragments.map((r) => [r.key, r.value])).toEqual(dry.fragments)
    expect(dry.fragments.length).toBeGreaterThan(50_000)
    const [, ts, ta, fs, fa] = SUMMARY.exec(sent.stderr)!.map(Number)
    expect([ts, ta, fs, fa]).toEqual([dry.tasks.length, dry.tasks.length, dry.fragments.length, dry.fragments.length])
    expect(sent.stderr).toContain(`[info] created topics ${tasks}, ${fragments} (1 partitions, replication factor 1)`)
    // Record timestamps are the send time by default.
    for (const r of [...got.tasks, ...got.fragments]) {
      expect(r.timestamp).toBeGreaterThanOrEqual(before)
      expect(r.timestamp).toBeLessThanOrEqual(after)
    }
  }, 120_000)

  it('creates missing topics with --partitions; each partition keeps its keys in replay order', async () => {
    const window = ['--from', '2d', '--to', '2d2h']
    const tasks = fresh('tasks')
    const fragments = fresh('fragments')
    const sent = await intoKafka([surf, ...window, '--partitions', '3'], tasks, fragments)
    expect(sent.code).toBe(0)
    expect(await topicPartitions(tasks)).toBe(3)
    expect(await topicPartitions(fragments)).toBe(3)
    const dry = dryRunMessages((await run([bin, 'replay', surf, '--dry-run', '--speed', 'max', ...window])).stdout)
    const got = await readTopic(broker.bootstrap, fragments)
    expect(got.length).toBe(dry.fragments.length)
    const partitionOf = new Map<string, number>()
    for (const r of got) {
      expect(partitionOf.get(r.key) ?? r.partition).toBe(r.partition) // a key stays on one partition
      partitionOf.set(r.key, r.partition)
    }
    expect(new Set(partitionOf.values()).size).toBe(3)
    for (const p of [0, 1, 2]) {
      const expected = dry.fragments.filter(([key]) => partitionOf.get(key) === p)
      expect(got.filter((r) => r.partition === p).map((r) => [r.key, r.value])).toEqual(expected)
    }
  }, 120_000)

  it('--replication-factor beyond the brokers: one line saying so, exit 2, no topic created', async () => {
    const tasks = fresh('tasks')
    const fragments = fresh('fragments')
    const sent = await intoKafka(['--replication-factor', '9'], tasks, fragments)
    expect([sent.code, sent.stdout, sent.stderr.trimEnd().split('\n').at(-1)]).toEqual([
      2,
      '',
      `[error] --replication-factor 9: the cluster at ${broker.bootstrap} has 1 broker, and a topic cannot have more replicas than brokers`,
    ])
    const admin = new Kafka({ clientId: 'test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    const names = await admin.listTopics()
    await admin.disconnect()
    expect([names.includes(tasks), names.includes(fragments)]).toEqual([false, false])
  }, 60_000)

  it('uses an existing topic as it is', async () => {
    const tasks = fresh('tasks')
    const fragments = fresh('fragments')
    await createTopics([tasks], 2)
    const sent = await intoKafka(['--partitions', '5'], tasks, fragments)
    expect(sent.code).toBe(0)
    expect(sent.stderr).toContain(`[info] created topics ${fragments} (5 partitions, replication factor 1)`)
    expect(await topicPartitions(tasks)).toBe(2)
    expect((await readTopic(broker.bootstrap, tasks)).length).toBe(4)
    expect((await readTopic(broker.bootstrap, fragments)).length).toBe(12)
  }, 60_000)

  it("batches stay under a topic's small max.message.bytes", async () => {
    const tasks = fresh('tasks')
    const fragments = fresh('fragments')
    await createTopics([tasks, fragments], 1, { 'max.message.bytes': '20000' })
    const window = ['--from', '3d', '--to', '3d1h']
    const sent = await intoKafka([surf, ...window], tasks, fragments)
    expect(sent.code).toBe(0)
    const dry = dryRunMessages((await run([bin, 'replay', surf, '--dry-run', '--speed', 'max', ...window])).stdout)
    expect((await readTopic(broker.bootstrap, fragments)).map((r) => [r.key, r.value])).toEqual(dry.fragments)
    expect(dry.fragments.length).toBeGreaterThan(1000) // more than one 20 kB batch
  }, 60_000)

  it('--batch-size 16k and --linger 20ms, paced: an hour of SURF lands exact, in order, the summary true', async () => {
    const tasks = fresh('tasks')
    const fragments = fresh('fragments')
    const window = ['--from', '3d', '--to', '3d1h']
    const sent = await intoKafka([surf, ...window, '--batch-size', '16k', '--linger', '20ms'], tasks, fragments, '3600')
    expect(sent.code).toBe(0)
    const dry = dryRunMessages((await run([bin, 'replay', surf, '--dry-run', '--speed', 'max', ...window])).stdout)
    expect((await readTopic(broker.bootstrap, tasks)).map((r) => [r.key, r.value])).toEqual(dry.tasks)
    expect((await readTopic(broker.bootstrap, fragments)).map((r) => [r.key, r.value])).toEqual(dry.fragments)
    const [, ts, ta, fs, fa] = SUMMARY.exec(sent.stderr)!.map(Number)
    expect([ts, ta, fs, fa]).toEqual([dry.tasks.length, dry.tasks.length, dry.fragments.length, dry.fragments.length])
    expect(dry.fragments.length).toBeGreaterThan(1000) // more than one 16 KiB send
  }, 60_000)

  // On a what-if host the trace times are fractional until written: records carry the written ones.
  it.each([
    ['--record-time trace stamps records with the trace time', []],
    [
      '--record-time trace on a what-if host: record times are the written times, whole ms',
      ['--host-cpus', '3', '--host-mhz', '700'],
    ],
  ])(
    '%s',
    async (_, host) => {
      const tasks = fresh('tasks')
      const fragments = fresh('fragments')
      // 2022 record times are past the broker's 7-day retention: without this, its first check
      // (about 30 s after it starts) may delete them before they are read back.
      await createTopics([tasks, fragments], 1, { 'retention.ms': '-1' })
      const trace = join(FIXTURES, 'v5-interleaved')
      const sent = await intoKafka([trace, ...host, '--record-time', 'trace'], tasks, fragments)
      expect(sent.code).toBe(0)
      const records = await readTopic(broker.bootstrap, fragments)
      expect(records.map((r) => r.timestamp)).toEqual(
        records.map((r) => Date.parse(JSON.parse(r.value).submission_time)),
      )
      expect(records.length).toBe(12)
    },
    60_000,
  )

  it('paced, each record carries the wall instant it was due at, in the opendt-due header', async () => {
    const tasks = fresh('tasks')
    const fragments = fresh('fragments')
    const summary = join(tempDir('due-'), 'summary.json')
    const paced = await run([
      bin,
      'replay',
      '--brokers',
      broker.bootstrap,
      '--speed',
      '1000',
      '--tasks-topic',
      tasks,
      '--fragments-topic',
      fragments,
      '--summary-json',
      summary,
    ])
    expect(paced.code).toBe(0)
    const startedAt = Date.parse(JSON.parse(readFileSync(summary, 'utf8')).startedAt)
    const records = [...(await readTopic(broker.bootstrap, tasks)), ...(await readTopic(broker.bootstrap, fragments))]
    expect(records.length).toBe(16)
    const times = records.map((r) => Date.parse(JSON.parse(r.value).submission_time))
    const origin = Math.min(...times) // the demo's window starts at its first task
    const dues = records.map((r) => Number(r.headers['opendt-due']))
    const start = Math.min(...dues)
    // The release instant (summary startedAt, to the millisecond), then event time / speed after it.
    expect(start - startedAt).toBeGreaterThanOrEqual(0)
    expect(start - startedAt).toBeLessThan(1)
    for (const [i, due] of dues.entries()) {
      expect(records[i]!.headers['opendt-due']).toMatch(/^\d+\.\d{3}$/)
      expect(Math.abs(due - (start + (times[i]! - origin) / 1000))).toBeLessThanOrEqual(0.0015)
    }
    // At --speed max nothing is due at a particular instant: no header.
    const fast = fresh('tasks')
    expect((await intoKafka([], fast, fresh('fragments'))).code).toBe(0)
    expect((await readTopic(broker.bootstrap, fast)).map((r) => r.headers)).toEqual(Array(4).fill({}))
  }, 60_000)

  it('a broker that cannot be reached at start: one line naming it and the cause, exit 3', async () => {
    const port = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    const free = port.port
    port.stop(true)
    const result = await run([
      bin,
      'replay',
      join(FIXTURES, 'v2-int-ids'),
      '--brokers',
      `127.0.0.1:${free}`,
      '--connect-timeout',
      '1s',
    ])
    expect(result).toEqual({
      code: 3,
      stdout: '',
      stderr: `[error] cannot reach Kafka at 127.0.0.1:${free} within 1 s: Connection error: connect ECONNREFUSED 127.0.0.1:${free}\n`,
    })
  }, 60_000)

  it('SIGINT mid-run: waits for acknowledgements, reports what the topics hold, exit 130', async () => {
    const tasks = fresh('tasks')
    const fragments = fresh('fragments')
    const proc = Bun.spawn(
      [bin, 'replay', '--brokers', broker.bootstrap, '--tasks-topic', tasks, '--fragments-topic', fragments],
      { stdout: 'pipe', stderr: 'pipe' },
    )
    await firstRecord(broker.bootstrap, tasks) // the first task is due at once; the demo runs 9.5 s
    proc.kill('SIGINT')
    expect(await proc.exited).toBe(130)
    const stderr = await new Response(proc.stderr).text()
    const m =
      /\[info\] stopped by SIGINT: (\d+) tasks sent, (\d+) acknowledged; (\d+) fragments sent, (\d+) acknowledged in /.exec(
        stderr,
      )
    expect(m).not.toBeNull()
    const [, ts, ta, fs, fa] = m!.map(Number)
    expect(ta).toBe(ts!)
    expect(fa).toBe(fs!)
    expect((await readTopic(broker.bootstrap, tasks)).length).toBe(ta!)
    expect((await readTopic(broker.bootstrap, fragments)).length).toBe(fa!)
    expect(ta! + fa!).toBeLessThan(16)
  }, 60_000)

  it('a broker lost mid-run: retries run out, both streams stop, exit 3 with what was acknowledged', async () => {
    const env = privateBrokerEnv()
    const own = await startBroker(env)
    try {
      const tasks = fresh('tasks')
      const proc = Bun.spawn(
        [bin, 'replay', '--brokers', own.bootstrap, '--tasks-topic', tasks, '--send-retries', '2'],
        { stdout: 'pipe', stderr: 'pipe' },
      )
      await firstRecord(own.bootstrap, tasks)
      await own.stop()
      expect(await proc.exited).toBe(3)
      const stderr = await new Response(proc.stderr).text()
      const last = stderr.trim().split('\n').at(-1)!
      expect(last).toMatch(
        new RegExp(
          `^\\[error\\] lost Kafka at ${own.bootstrap}: .+; (\\d+) tasks sent, (\\d+) acknowledged; (\\d+) fragments sent, (\\d+) acknowledged in [\\d.]+ s`,
        ),
      )
      const [, , ta, fs, fa] = /(\d+) tasks sent, (\d+) acknowledged; (\d+) fragments sent, (\d+) acknowledged/
        .exec(last)!
        .map(Number)
      expect(ta).toBeGreaterThanOrEqual(1)
      expect(fa).toBeLessThanOrEqual(fs!)
    } finally {
      await own.stop()
    }
  }, 180_000)
})
