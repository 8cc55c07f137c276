import { beforeAll, describe, expect, it } from 'bun:test'
import { join } from 'node:path'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { FIXTURES, ROOT, requireBinary, requireSurf, run } from '../helpers.ts'
import {
  consoleProduce,
  createTopics as createTopicsOn,
  dryRunMessages,
  freshTopic,
  privateBrokerEnv,
  sharedBroker,
  startBroker,
} from './broker.ts'

const broker = sharedBroker()
let bin: string
let surf: string

beforeAll(async () => {
  bin = requireBinary()
  surf = requireSurf()
})

const T = (iso: string) => Date.parse(iso)

/** Creates one-partition topics on the shared broker (--follow reads topics that exist). */
const createTopics = (topics: string[]) => createTopicsOn(broker.bootstrap, topics)

/** `verify --json` against the given topics; the report parsed. */
async function verify(args: string[]) {
  const result = await run([bin, 'verify', ...args, '--brokers', broker.bootstrap, '--json'])
  return { code: result.code, report: result.stdout ? JSON.parse(result.stdout) : undefined, stderr: result.stderr }
}

/** Reads a `verify --follow` process's stderr until it says it is following; the reader stays locked. */
async function untilFollowing(proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>) {
  const stderr = proc.stderr.getReader()
  let seen = ''
  while (!seen.includes('start the replay')) {
    const { value, done } = await stderr.read()
    if (done) throw new Error(`verify --follow ended before following:\n${seen}`)
    seen += new TextDecoder().decode(value)
  }
  return { stderr, seen }
}

const noSamples = { missing: [], duplicated: [], changed: [], foreign: [], outOfOrder: [] }

/** The report of a topic with `read` records, `expected` messages, and the given differences. */
function topicReport(topic: string, read: number, differences: Record<string, unknown> = {}) {
  const counts = {
    missing: 0,
    duplicated: 0,
    changed: 0,
    foreign: 0,
    outOfOrder: { partition: 0, key: 0 },
    ...differences,
  } as Record<string, unknown>
  const { samples, ...rest } = counts
  const wrong =
    (rest.missing as number) +
    (rest.duplicated as number) +
    (rest.changed as number) +
    (rest.foreign as number) +
    (rest.outOfOrder as { partition: number }).partition
  return {
    topic,
    expected: 12,
    read,
    matched: read - (rest.duplicated as number) - (rest.changed as number) - (rest.foreign as number),
    ...rest,
    exact: wrong === 0,
    samples: { ...noSamples, ...(samples as object) },
  }
}

describe("verify: topics written by Kafka's console producer, with planted defects", () => {
  let tasks: string
  let fragments: [string, string][]
  const key = (task: number) => `{"id":"task-${task}"}`

  beforeAll(async () => {
    const dry = dryRunMessages((await run([bin, 'replay', '--dry-run', '--speed', 'max'])).stdout)
    fragments = dry.fragments
    tasks = freshTopic('tasks')
    await consoleProduce(broker.bootstrap, tasks, dry.tasks)
  }, 120_000)

  /** The text report of the demo's tasks topic and this fragments topic. */
  const verifyText = (fragmentsTopic: string) =>
    run([bin, 'verify', '--brokers', broker.bootstrap, '--tasks-topic', tasks, '--fragments-topic', fragmentsTopic])

  /** Writes the demo's fragments, changed by `plant`, and verifies both topics. */
  async function planted(plant: (records: [string, string][]) => [string, string][]) {
    const topic = freshTopic('fragments')
    await consoleProduce(broker.bootstrap, topic, plant(fragments.map(([k, v]) => [k, v])))
    const { code, report, stderr } = await verify(['--tasks-topic', tasks, '--fragments-topic', topic])
    expect(report.topics[0]).toEqual({ ...topicReport(tasks, 4), expected: 4, matched: 4 })
    return { code, fragments: report.topics[1], topic, stderr, exact: report.exact }
  }

  it('an exact copy passes, exit 0', async () => {
    const got = await planted((records) => records)
    expect([got.code, got.exact]).toEqual([0, true])
    expect(got.fragments).toEqual(topicReport(got.topic, 12))
  }, 60_000)

  it('a dropped message is missing, named by key, time and value', async () => {
    const got = await planted((records) => records.toSpliced(4, 1))
    expect([got.code, got.exact]).toEqual([1, false])
    expect(got.fragments).toEqual(
      topicReport(got.topic, 11, {
        missing: 1,
        samples: {
          missing: [
            {
              key: key(2),
              time: T('2022-10-06T22:00:50Z'),
              expected: '{"submission_time":"2022-10-06T22:00:50Z","duration":20000,"cpu_usage":1250.75}',
            },
          ],
        },
      }),
    )
  }, 60_000)

  it('a duplicate is named by its offset', async () => {
    const got = await planted((records) => records.toSpliced(7, 0, records[6]!))
    expect(got.code).toBe(1)
    expect(got.fragments).toEqual(
      topicReport(got.topic, 13, {
        duplicated: 1,
        samples: { duplicated: [{ partition: 0, offset: '7', key: key(1), time: T('2022-10-06T22:01:00Z') }] },
      }),
    )
  }, 60_000)

  it('a swapped pair is out of order, in its partition and for its key', async () => {
    const got = await planted((records) => [...records.slice(0, 10), records[11]!, records[10]!])
    expect(got.code).toBe(1)
    expect(got.fragments).toEqual(
      topicReport(got.topic, 12, {
        outOfOrder: { partition: 1, key: 1 },
        samples: {
          outOfOrder: [
            {
              partition: 0,
              offset: '11',
              key: key(4),
              time: T('2022-10-06T22:01:25Z'),
              after: { offset: '10', time: T('2022-10-06T22:01:35Z') },
            },
          ],
        },
      }),
    )
  }, 60_000)

  it('a changed value is named with the value read and the one expected', async () => {
    const got = await planted((records) =>
      records.with(3, [records[3]![0], records[3]![1].replace('"cpu_usage":2900.0', '"cpu_usage":2900.5')]),
    )
    expect(got.code).toBe(1)
    expect(got.fragments).toEqual(
      topicReport(got.topic, 12, {
        changed: 1,
        samples: {
          changed: [
            {
              partition: 0,
              offset: '3',
              key: key(1),
              time: T('2022-10-06T22:00:45Z'),
              value: '{"submission_time":"2022-10-06T22:00:45Z","duration":15000,"cpu_usage":2900.5}',
              expected: '{"submission_time":"2022-10-06T22:00:45Z","duration":15000,"cpu_usage":2900.0}',
            },
          ],
        },
      }),
    )
  }, 60_000)

  it('a message from another trace is not in the trace', async () => {
    const other = dryRunMessages(
      (await run([bin, 'replay', join(FIXTURES, 'v2-int-ids'), '--dry-run', '--speed', 'max'])).stdout,
    ).fragments[0]!
    const got = await planted((records) => [...records, other])
    expect(got.code).toBe(1)
    expect(got.fragments).toEqual(
      topicReport(got.topic, 13, {
        foreign: 1,
        samples: { foreign: [{ partition: 0, offset: '12', key: other[0], value: other[1] }] },
      }),
    )
  }, 60_000)

  it('bytes from the topic cannot forge report lines: control characters escaped, a null value said', async () => {
    const topic = freshTopic('fragments')
    await createTopics([topic])
    const kafka = new Kafka({ clientId: 'test-forge', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    await producer.send({
      topic,
      messages: [
        ...fragments.map(([key, value]) => ({ key, value })),
        { key: '\x1b[31mred\n\nverify: exact', value: 'x\ry' },
        { key: 'tombstone', value: null },
      ],
    })
    await producer.disconnect()
    const result = await verifyText(topic)
    expect(result.code).toBe(1)
    expect(result.stdout.split('\n').slice(1, 4)).toEqual([
      `${topic}: 14 records read, 12 expected: 2 not in the trace`,
      '  not in the trace partition 0 offset 12: key \\u001b[31mred\\u000a\\u000averify: exact: x\\u000dy',
      '  not in the trace partition 0 offset 13: key tombstone: (null)',
    ])
  }, 60_000)

  it('the text report names each difference with its offset', async () => {
    const topic = freshTopic('fragments')
    await consoleProduce(broker.bootstrap, topic, [...fragments.toSpliced(4, 1), fragments[0]!])
    const result = await verifyText(topic)
    expect(result.code).toBe(1)
    expect(result.stdout).toBe(
      [
        `${tasks}: 4 records read, 4 expected: exact`,
        `${topic}: 12 records read, 12 expected: 1 missing, 1 duplicated`,
        `  missing          key {"id":"task-2"} at 2022-10-06T22:00:50Z: {"submission_time":"2022-10-06T22:00:50Z","duration":20000,"cpu_usage":1250.75}`,
        `  duplicated       partition 0 offset 11: key {"id":"task-1"} at 2022-10-06T22:00:15Z`,
        'verify: NOT exact',
        '',
      ].join('\n'),
    )
  }, 60_000)
})

describe('verify after real replays', () => {
  it('a broker that cannot be reached: one line naming it and the cause, exit 3', async () => {
    const port = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    const free = port.port
    port.stop(true)
    const result = await run([bin, 'verify', '--brokers', `127.0.0.1:${free}`, '--connect-timeout', '1s'])
    expect([result.code, result.stdout, result.stderr.trimEnd().split('\n').at(-1)]).toEqual([
      3,
      '',
      `[error] cannot reach Kafka at 127.0.0.1:${free} within 1 s: Connection error: connect ECONNREFUSED 127.0.0.1:${free}`,
    ])
  }, 60_000)

  it('its broker killed mid-read and not back: the report of what was read, exit 3 within the connect timeout', async () => {
    const env = privateBrokerEnv()
    const own = await startBroker(env)
    try {
      const [tasks, fragments] = [freshTopic('tasks'), freshTopic('fragments')]
      await createTopicsOn(own.bootstrap, [tasks, fragments])
      const args = ['--tasks-topic', tasks, '--fragments-topic', fragments, '--connect-timeout', '3s', '--json']
      const proc = Bun.spawn([bin, 'verify', ...args, '--brokers', own.bootstrap, '--follow'], {
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const following = await untilFollowing(proc)
      const stderr = following.stderr
      let seen = following.seen
      Bun.spawnSync(['bash', join(ROOT, 'scripts', 'kafka.sh'), 'kill'], { env: { ...process.env, ...env } })
      const killed = performance.now()
      const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
      const took = performance.now() - killed
      while (true) {
        const { value, done } = await stderr.read()
        if (done) break
        seen += new TextDecoder().decode(value)
      }
      const report = JSON.parse(out)
      expect([code, report.exact, report.lost]).toEqual([
        3,
        false,
        `lost Kafka at ${own.bootstrap} while reading: no fetch answered for 3 s (--connect-timeout)`,
      ])
      expect(report.topics.map((t: { read: number; missing: number }) => [t.read, t.missing])).toEqual([
        [0, 4],
        [0, 12],
      ])
      expect(seen.trimEnd().split('\n').at(-1)).toBe(
        `[error] lost Kafka at ${own.bootstrap} while reading: no fetch answered for 3 s (--connect-timeout)`,
      )
      // The connect timeout, then at most 5 s to leave the group and 5 s for the admin client.
      expect(took).toBeLessThan(3_000 + 12_000)
    } finally {
      await own.stop()
    }
  }, 120_000)

  it('the whole SURF week, replayed into Kafka, is exact', async () => {
    const tasks = freshTopic('tasks')
    const fragments = freshTopic('fragments')
    const topics = ['--tasks-topic', tasks, '--fragments-topic', fragments]
    const sent = await run([bin, 'replay', surf, '--brokers', broker.bootstrap, '--speed', 'max', ...topics])
    expect(sent.code).toBe(0)
    const { code, report } = await verify([surf, ...topics])
    expect(code).toBe(0)
    expect(
      report.topics.map((t: { topic: string; read: number; exact: boolean }) => [t.topic, t.read, t.exact]),
    ).toEqual([
      [tasks, 7850, true],
      [fragments, 2323475, true],
    ])
  }, 300_000)

  it('--since skips what the topics held before: a second replay into the same topics', async () => {
    const tasks = freshTopic('tasks')
    const fragments = freshTopic('fragments')
    const topics = ['--tasks-topic', tasks, '--fragments-topic', fragments]
    const replay = () => run([bin, 'replay', '--brokers', broker.bootstrap, '--speed', 'max', ...topics])
    expect((await replay()).code).toBe(0)
    expect((await verify(topics)).code).toBe(0)
    const between = new Date().toISOString()
    expect((await replay()).code).toBe(0)
    const all = await verify(topics)
    expect([all.code, all.report.topics[0].duplicated, all.report.topics[1].duplicated]).toEqual([1, 4, 12])
    const since = await verify([...topics, '--since', between])
    expect([since.code, since.report.topics[0].read, since.report.topics[1].read]).toEqual([0, 4, 12])
    const future = await verify([...topics, '--since', '2099-01-01T00:00:00Z'])
    expect([future.code, future.stderr.trimEnd().split('\n').at(-1)]).toEqual([
      1,
      `[warn] ${tasks}, ${fragments}: no record at or after --since 2099-01-01T00:00:00Z`,
    ])
    // Before 1970 is before every record: all of both runs, as without --since.
    for (const before of ['1969-12-31T23:59:59.999Z', '1960-01-01T00:00:00Z']) {
      const early = await verify([...topics, '--since', before])
      expect([before, early.code, early.report.topics.map((t: { read: number }) => t.read)]).toEqual([
        before,
        1,
        all.report.topics.map((t: { read: number }) => t.read),
      ])
    }
    // An offset applies to every partition of every topic: the tasks topic's second run starts at 4, the fragments' at 12.
    const offset = await verify([...topics, '--since', '4'])
    expect(offset.report.topics.map((t: { read: number; duplicated: number }) => [t.read, t.duplicated])).toEqual([
      [4, 0],
      [20, 8],
    ])
  }, 120_000)
})

describe('verify --follow: lateness as records arrive', () => {
  /** Starts `verify --follow --json` and resolves once it says it is following. */
  async function follow(args: string[]) {
    const proc = Bun.spawn([bin, 'verify', ...args, '--brokers', broker.bootstrap, '--follow', '--json'], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const { stderr } = await untilFollowing(proc)
    stderr.releaseLock()
    return {
      proc,
      done: async () => {
        const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
        return { code, report: JSON.parse(out) }
      },
    }
  }

  /** The demo's messages, sent by a kafkajs producer of the test's own with the given due header. */
  async function send(
    topics: Record<'tasks' | 'fragments', string>,
    due: (topic: string, i: number, now: number) => number | undefined,
  ) {
    const dry = dryRunMessages((await run([bin, 'replay', '--dry-run', '--speed', 'max'])).stdout)
    const kafka = new Kafka({ clientId: 'test-late', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    for (const role of ['tasks', 'fragments'] as const) {
      const now = performance.timeOrigin + performance.now()
      const messages = dry[role].map(([key, value], i) => {
        const at = due(role, i, now)
        return { key, value, headers: at === undefined ? undefined : { 'opendt-due': at.toFixed(3) } }
      })
      await producer.send({ topic: topics[role], messages })
    }
    await producer.disconnect()
  }

  it('measures each record against its opendt-due header: known delays come back', async () => {
    const tasks = freshTopic('tasks')
    const fragments = freshTopic('fragments')
    await createTopics([tasks, fragments])
    const watcher = await follow(['--tasks-topic', tasks, '--fragments-topic', fragments])
    // Tasks 50 ms late; the first 8 fragments 100 ms, the last 4 400 ms.
    await send({ tasks, fragments }, (topic, i, now) => now - (topic === 'tasks' ? 50 : i < 8 ? 100 : 400))
    const { code, report } = await watcher.done()
    expect([code, report.exact]).toEqual([0, true])
    const [t, f] = report.topics.map((x: { lateness: Record<string, number> }) => x.lateness)
    expect([t.count, f.count, t.fitted, f.fitted]).toEqual([4, 12, 0, 0])
    // Sent at `now` and read back within 100 ms on this machine: each figure is the delay plus that.
    for (const [figure, delay] of [
      [t.p50, 50],
      [t.max, 50],
      [f.p50, 100],
      [f.p99, 400],
      [f.max, 400],
    ] as const) {
      expect(figure).toBeGreaterThanOrEqual(delay * 0.98)
      expect(figure).toBeLessThan(delay + 100)
    }
  }, 60_000)

  it('Ctrl-C before every message came: the report so far, exit 130', async () => {
    const tasks = freshTopic('tasks')
    const fragments = freshTopic('fragments')
    await createTopics([tasks, fragments])
    const watcher = await follow(['--tasks-topic', tasks, '--fragments-topic', fragments])
    watcher.proc.kill('SIGINT') // nothing was sent: the 16 messages never come
    const { code, report } = await watcher.done()
    expect([code, report.interrupted, report.exact]).toEqual([130, 'SIGINT', false])
    expect(report.topics.map((t: { read: number; missing: number }) => [t.read, t.missing])).toEqual([
      [0, 4],
      [0, 12],
    ])
  }, 60_000)

  it('records without the header are measured against a schedule fitted to the earliest arrival', async () => {
    const tasks = freshTopic('tasks')
    const fragments = freshTopic('fragments')
    await createTopics([tasks, fragments])
    const watcher = await follow(['--tasks-topic', tasks, '--fragments-topic', fragments, '--speed', 'max'])
    await send({ tasks, fragments }, () => undefined)
    const { code, report } = await watcher.done()
    expect(code).toBe(0)
    const f = report.topics[1].lateness
    // At --speed max every message is due at once: lateness is each arrival after the first.
    expect([f.count, f.fitted]).toEqual([12, 12])
    expect(f.max).toBeLessThan(100)
  }, 60_000)
})
