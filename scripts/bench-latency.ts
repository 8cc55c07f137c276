#!/usr/bin/env bun
/**
 * Lateness where the twin reads (issue 13): how late records arrive at a consumer against the
 * instant they were due, measured by two consumers at once while a replay runs. Run after
 * `bun run build`:
 *
 *   bun scripts/bench-latency.ts [TRACE_DIR] [--to 1h] [--speeds 100,1000] [--consumers both|verify|java]
 *   (default ../shared/data/surf, its first hour, at 100x and 1000x, both consumers; KAFKA_VERSION as kafka.sh)
 *
 * For each speed, into fresh one-partition topics (created first, as a lab's exist):
 * 1. `opendt-replay verify --follow` (ours: a kafkajs consumer; arrival minus the opendt-due header);
 * 2. Kafka's own Java consumer (kafka-clients from the same Maven download, default fetch
 *    settings) in scripts/LatencyConsumer.java, one per topic: arrival is when poll() returned
 *    the record, minus the header's due instant (its own clock: ConsoleConsumer buffers stdout,
 *    so a pipe cannot time its lines);
 * both started and joined before the replay starts (`replay --speed S --to T`). Figures per topic
 * and consumer: p50, p99, max, and the p99 of the records due in the run's first second. Then,
 * for the floor of this machine and broker: Kafka's own ProducerPerformance at the fragments'
 * mean rate at the fastest speed, read by the same Java consumer, and Kafka's EndToEndLatency.
 * Starts a broker with scripts/kafka.sh if none runs, and stops it afterwards.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { clampNegativeTimeouts } from '../src/kafka/client.ts'
import { localBroker, sh } from './local-broker.ts'

clampNegativeTimeouts() // kafkajs's negative timers, as the product does

const root = resolve(import.meta.dir, '..')
const bin = join(root, 'dist', 'opendt-replay')
const argv = process.argv.slice(2)
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1]! : fallback
}
const trace = resolve(
  argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--')) ??
    join(root, '..', 'shared', 'data', 'surf'),
)
const to = option('--to', '1h')
const speeds = option('--speeds', '100,1000').split(',').map(Number)
/** Which consumers watch: both (the default), or one alone (less CPU taken from the broker and the replay). */
const consumers = option('--consumers', 'both')
const useJava = consumers !== 'verify'
const useVerify = consumers !== 'java'
const local = localBroker()
const broker = local.bootstrap
const classpath = local.classpath
const javaClasspath = latencyConsumerClasspath()
const kafka = new Kafka({ clientId: 'bench-latency', brokers: [broker], logLevel: logLevel.NOTHING })
const admin = kafka.admin()
await admin.connect()

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
}
const ms = (x: number) => `${x.toFixed(2)} ms`

/** scripts/LatencyConsumer.java compiled against the broker's kafka-clients, once, into the cache. */
function latencyConsumerClasspath(): string {
  const source = join(root, 'scripts', 'LatencyConsumer.java')
  const hash = new Bun.CryptoHasher('sha256').update(readFileSync(source)).update(classpath).digest('hex').slice(0, 12)
  const cache = process.env.OPENDT_REPLAY_CACHE ?? join(process.env.HOME ?? tmpdir(), '.cache', 'opendt-replay')
  const classes = join(cache, `latency-consumer-${hash}`)
  if (!existsSync(join(classes, 'LatencyConsumer.class'))) {
    mkdirSync(classes, { recursive: true })
    const javac = Bun.spawnSync(['javac', '-d', classes, '-cp', classpath, source], { stderr: 'pipe' })
    if (javac.exitCode !== 0) throw new Error(`javac LatencyConsumer.java failed:\n${javac.stderr}`)
  }
  return `${classpath}:${classes}`
}

/** Waits until a process writes `marker` on stderr (it is ready); fails if it ends first. */
async function said(proc: { stderr: ReadableStream<Uint8Array> }, marker: string, what: string): Promise<void> {
  const stderr = proc.stderr.getReader()
  let seen = ''
  while (!seen.includes(marker)) {
    const { value, done } = await stderr.read()
    if (done) throw new Error(`${what} ended early:\n${seen}`)
    seen += new TextDecoder().decode(value)
  }
  stderr.releaseLock()
}

/** Kafka's Java consumer (LatencyConsumer) on one topic until `count` records came; resolves once it is ready. */
async function javaConsumer(topic: string, count: number) {
  const proc = Bun.spawn(['java', '-cp', javaClasspath, 'LatencyConsumer', broker, topic, String(count)], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  await said(proc, 'ready', 'LatencyConsumer')
  return {
    /** [due, record timestamp, arrival] per record. */
    done: async () => {
      const out = await new Response(proc.stdout).text()
      await proc.exited
      return out
        .trim()
        .split('\n')
        .map((line) => line.split(' ').map(Number) as [number, number, number])
    },
  }
}

/** `verify --follow` on the topics, once it says it follows them. */
async function follow(flags: string[], speed: number) {
  const verify = Bun.spawn([bin, 'verify', ...flags, '--follow', '--json', '--speed', String(speed)], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  await said(verify, 'start the replay', 'verify --follow')
  return verify
}

/** Lateness figures of [arrival, due] pairs; the first second counts from the earliest due instant. */
function figures(pairs: [number, number][]) {
  const start = Math.min(...pairs.map(([, due]) => due))
  const late = pairs.map(([arrival, due]) => arrival - due)
  const firstSecond = pairs.filter(([, due]) => due - start < 1000).map(([arrival, due]) => arrival - due)
  return {
    count: late.length,
    p50: quantile(late, 0.5),
    p99: quantile(late, 0.99),
    max: Math.max(...late),
    first: quantile(firstSecond, 0.99),
    firstCount: firstSecond.length,
  }
}

console.log(
  `broker: ${broker}; trace ${trace}, --to ${to}; ${navigator.hardwareConcurrency} cores; bun ${Bun.version}\n`,
)
const dry = Bun.spawnSync([bin, 'replay', trace, '--to', to, '--dry-run', '--speed', 'max'], {
  stdout: 'pipe',
  stderr: 'ignore',
})
const lines = dry.stdout.toString().split('\n')
const counts = {
  tasks: lines.filter((l) => l.startsWith('{"topic":"tasks"')).length,
  fragments: lines.filter((l) => l.startsWith('{"topic":"fragments"')).length,
}
const breakdown: string[] = []
/** A window end like 1h, 30m or 6h in hours (the flags bench-latency takes). */
function hours(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(h|m)$/.exec(text)
  if (!m) throw new Error(`--to ${text}: give hours (1h) or minutes (30m)`)
  return Number(m[1]) / (m[2] === 'h' ? 1 : 60)
}
console.log('| speed | topic | consumer | records | p50 | p99 | max | first second: records, p99 |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
try {
  for (const speed of speeds) {
    const stamp = Date.now()
    const topics = { tasks: `lat-tasks-${stamp}`, fragments: `lat-fragments-${stamp}` }
    await admin.createTopics({
      topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })),
      waitForLeaders: true,
    })
    const flags = [
      trace,
      '--to',
      to,
      '--brokers',
      broker,
      '--tasks-topic',
      topics.tasks,
      '--fragments-topic',
      topics.fragments,
    ]
    const java = useJava
      ? {
          tasks: await javaConsumer(topics.tasks, counts.tasks),
          fragments: await javaConsumer(topics.fragments, counts.fragments),
        }
      : undefined
    const verify = useVerify ? await follow(flags, speed) : undefined
    const replay = Bun.spawnSync([bin, 'replay', ...flags, '--speed', String(speed)], {
      stdout: 'ignore',
      stderr: 'pipe',
    })
    if (replay.exitCode !== 0) throw new Error(`replay failed:\n${replay.stderr}`)
    const report = verify ? JSON.parse(await new Response(verify.stdout).text()) : undefined
    await verify?.exited
    for (const role of ['tasks', 'fragments'] as const) {
      const ours = report?.topics.find((t: { topic: string }) => t.topic === topics[role]).lateness
      if (ours)
        console.log(
          `| ${speed} | ${role} | verify --follow (kafkajs) | ${ours.count} | ${ms(ours.p50)} | ${ms(ours.p99)} | ${ms(ours.max)} | ${ours.firstSecond.count}, ${ms(ours.firstSecond.p99)} |`,
        )
      if (!java) continue
      const records = await java[role].done()
      const f = figures(records.map(([due, , arrival]) => [arrival, due]))
      console.log(
        `| ${speed} | ${role} | Kafka's Java consumer (LatencyConsumer) | ${f.count} | ${ms(f.p50)} | ${ms(f.p99)} | ${ms(f.max)} | ${f.firstCount}, ${ms(f.first)} |`,
      )
      // Where the time goes: due -> record timestamp (stamped by kafkajs when the send is built, whole ms) -> arrival.
      const send = records.map(([due, stamp]) => stamp - due)
      const transit = records.map(([, stamp, arrival]) => arrival - stamp)
      breakdown.push(
        `| ${speed} | ${role} | ${ms(quantile(send, 0.5))} | ${ms(quantile(send, 0.99))} | ${ms(quantile(transit, 0.5))} | ${ms(quantile(transit, 0.99))} |`,
      )
    }
  }
  // Kafka's own Java producer at the fragments' mean rate at the fastest speed, read by the same consumer.
  const rate = Math.round(counts.fragments / ((hours(to) * 3600) / Math.max(...speeds)))
  const ppTopic = `lat-pp-${Date.now()}`
  await admin.createTopics({ topics: [{ topic: ppTopic, numPartitions: 1 }], waitForLeaders: true })
  const ppConsumer = await javaConsumer(ppTopic, counts.fragments)
  const pp = sh([
    'java',
    '-cp',
    classpath,
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    ppTopic,
    '--num-records',
    String(counts.fragments),
    '--record-size',
    '100',
    '--throughput',
    String(rate),
    '--producer-props',
    `bootstrap.servers=${broker}`,
    'acks=all',
    'linger.ms=0',
  ])
  const transit = (await ppConsumer.done()).map(([, stamp, arrival]) => arrival - stamp)
  console.log(
    `\nKafka's ProducerPerformance at ${rate} records/s (${counts.fragments} records of 100 bytes, acks all, linger.ms 0), ` +
      `read by the same Java consumer: record timestamp -> arrival p50 ${ms(quantile(transit, 0.5))}, p99 ${ms(quantile(transit, 0.99))}; ` +
      `its own send -> acknowledgement: ${pp.out.split('\n').at(-1)}`,
  )
  // The floor on this machine: Kafka's own tool, one record at a time (send, wait until consumed).
  const e2e = sh([
    'java',
    '-cp',
    classpath,
    'org.apache.kafka.tools.EndToEndLatency',
    broker,
    `lat-e2e-${Date.now()}`,
    '10000',
    'all',
    '100',
  ])
  const summary = e2e.out.split('\n').filter((l) => /^(Avg latency|Percentiles)/.test(l))
  console.log(
    `\nKafka's EndToEndLatency on the same broker (10,000 records of 100 bytes, acks all, one at a time): ${summary.join('; ')}`,
  )
  console.log("\nKafka's Java consumer, where the time goes (record timestamps are whole ms):\n")
  console.log('| speed | topic | due -> record timestamp, p50 | p99 | timestamp -> arrival, p50 | p99 |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const line of breakdown) console.log(line)
} finally {
  await admin.disconnect()
  local.stop()
}
