import { afterAll, beforeAll } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { clampNegativeTimeouts } from '../../src/kafka/client.ts'
import { ROOT } from '../helpers.ts'

// The tests' own kafkajs clients (admin, waits) get the product's fix for kafkajs's negative timers.
clampNegativeTimeouts()

/**
 * A real Apache Kafka broker for the tests, started by scripts/kafka.sh (jars from Maven Central)
 * when none is reachable. KAFKA_BROKERS points the tests at a broker of one's own instead, and
 * KAFKA_BROKER_STATE_DIR at one that scripts/kafka.sh runs from that state folder: scripts/test.ts
 * starts one for the whole test command, so that the files, which isolate themselves by topic,
 * share it (its KAFKA_CLUSTER_STATE_DIR does the same for the three-node cluster).
 */
export interface Broker {
  bootstrap: string
  /** Stops the broker if the tests started it. */
  stop(): Promise<void>
}

async function script(
  verb: string,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn(['bash', join(ROOT, 'scripts', 'kafka.sh'), verb], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, ...env },
  })
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  return { code, out: out.trim(), err }
}

export async function ensureBroker(): Promise<Broker> {
  if (process.env.KAFKA_BROKERS) return { bootstrap: process.env.KAFKA_BROKERS, stop: async () => {} }
  const given = process.env.KAFKA_BROKER_STATE_DIR
  if (given) return running(given, 'KAFKA_BROKER_STATE_DIR')
  const status = await script('status')
  if (status.code === 0) return { bootstrap: status.out, stop: async () => {} }
  return startBroker()
}

/** The broker or cluster that scripts/kafka.sh runs from `dir` (named by `variable`): used, never stopped. */
async function running(dir: string, variable: string): Promise<Broker> {
  const status = await script('status', { KAFKA_STATE_DIR: dir })
  if (status.code !== 0) throw new Error(`${variable}=${dir}: no broker runs from there:\n${status.err}`)
  return { bootstrap: status.out, stop: async () => {} }
}

/**
 * The broker a test file shares: found or started before its tests (fetching Kafka from Maven
 * Central on a new machine), stopped after them if they started it.
 */
export function sharedBroker(): { readonly bootstrap: string } {
  let broker: Broker | undefined
  beforeAll(async () => {
    broker = await ensureBroker()
  }, 600_000)
  afterAll(async () => {
    await broker?.stop()
  }, 120_000)
  return {
    get bootstrap() {
      if (!broker) throw new Error('the broker is not started yet (use it inside a test)')
      return broker.bootstrap
    },
  }
}

let serial = 0

/** A topic name no other test uses, nor a test file running at the same time in another process. */
export const freshTopic = (what: string) => `${what}-${Date.now()}-${process.pid}-${++serial}`

/** A broker of its own (own state folder), for tests that kill it. */
export async function startBroker(env: Record<string, string> = {}): Promise<Broker> {
  const started = await script('start', env)
  if (started.code !== 0) throw new Error(`scripts/kafka.sh start failed (${started.code}):\n${started.err}`)
  return { bootstrap: started.out, stop: async () => void (await script('stop', env)) }
}

export function privateBrokerEnv(): Record<string, string> {
  return { KAFKA_STATE_DIR: mkdtempSync(join(tmpdir(), 'opendt-kafka-')) }
}

export interface Record_ {
  partition: number
  offset: number
  key: string
  value: string
  timestamp: number
  /** The record's headers, name to text. */
  headers: Record<string, string>
}

/**
 * How the tests start Java for a tool that runs seconds: the first JIT tier only and the serial
 * collector, which start in about 40 % less CPU (ReadTopic on 13,442 records: 1.5 s of user time
 * with the defaults, 0.9 s so; on 356,978 records, 2.3 s and 1.7 s).
 */
const JAVA = ['java', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC']

/** The tests' Java tools: Kafka's own consumer and admin client, driven by a page of Java each. */
const JAVA_TOOLS = ['ReadTopic', 'DescribeTopic'].map((name) => join(import.meta.dir, `${name}.java`))
let reader: Promise<string> | undefined

/** Compiles the Java tools against the broker's kafka-clients once, into the cache (keyed by their hash). */
function compiledReader(): Promise<string> {
  reader ??= (async () => {
    const classpath = await script('classpath')
    if (classpath.code !== 0) throw new Error(`scripts/kafka.sh classpath failed:\n${classpath.err}`)
    const hasher = new Bun.CryptoHasher('sha256')
    for (const file of JAVA_TOOLS) hasher.update(readFileSync(file))
    const hash = hasher.update(classpath.out).digest('hex').slice(0, 12)
    const cache = process.env.OPENDT_REPLAY_CACHE ?? join(process.env.HOME ?? tmpdir(), '.cache', 'opendt-replay')
    const classes = join(cache, `read-topic-${hash}`)
    if (!existsSync(join(classes, 'DescribeTopic.class'))) {
      // Compiled aside, then moved in whole: test files running in parallel may compile at once.
      const aside = `${classes}.${process.pid}`
      mkdirSync(aside, { recursive: true })
      const javac = Bun.spawnSync(['javac', '-d', aside, '-cp', classpath.out, ...JAVA_TOOLS], { stderr: 'pipe' })
      if (javac.exitCode !== 0) throw new Error(`javac ${JAVA_TOOLS.join(' ')} failed:\n${javac.stderr}`)
      try {
        renameSync(aside, classes)
      } catch {
        rmSync(aside, { recursive: true, force: true }) // another process moved its copy in first
      }
    }
    return `${classpath.out}:${classes}`
  })()
  return reader
}

let rdkafka: Promise<string> | undefined

/** The python of scripts/rdkafka.sh's environment (librdkafka, from PyPI), installed once. */
function rdkafkaPython(): Promise<string> {
  rdkafka ??= (async () => {
    const proc = Bun.spawn(['bash', join(ROOT, 'scripts', 'rdkafka.sh')], { stdout: 'pipe', stderr: 'pipe' })
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ])
    if (code !== 0) throw new Error(`scripts/rdkafka.sh failed (${code}):\n${err}`)
    return out.trim()
  })()
  return rdkafka
}

/**
 * Reads a topic from the beginning to its current end with Kafka's own Java consumer
 * (ReadTopic.java): a reader we did not write, from the jars scripts/kafka.sh fetches; or with
 * librdkafka (read_topic_rdkafka.py, the same output), a second one.
 */
export async function readTopicWithPartitions(
  bootstrap: string,
  topic: string,
  reader: 'java' | 'librdkafka' = 'java',
): Promise<{ partitions: number; records: Record_[] }> {
  const command =
    reader === 'java'
      ? [...JAVA, '-cp', await compiledReader(), 'ReadTopic', bootstrap, topic]
      : [await rdkafkaPython(), join(import.meta.dir, 'read_topic_rdkafka.py'), bootstrap, topic]
  const proc = Bun.spawn(command, { stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  if (code !== 0) throw new Error(`reading ${topic} with ${reader} failed (${code}): ${err}`)
  const [head, ...lines] = out.split('\n').filter((l) => l !== '')
  const records = lines.map((l) => {
    const [p, offset, t, key, value, ...headers] = l.split('\t')
    const named = headers.map((h) => [h.slice(0, h.indexOf('=')), h.slice(h.indexOf('=') + 1)])
    return {
      partition: Number(p),
      offset: Number(offset),
      timestamp: Number(t),
      key: key!,
      value: value!,
      headers: Object.fromEntries(named),
    }
  })
  return { partitions: Number(head!.split(' ')[1]), records }
}

/** A topic as Kafka's Java admin client describes it: partitions, replication factor, its own configs. */
export async function describeTopic(bootstrap: string, topic: string): Promise<string[]> {
  return describeTool(bootstrap, [topic])
}

/** Which of these topics exist, as Kafka's own Java admin client lists the cluster's topics: `TOPIC yes|no`. */
export async function topicsExist(bootstrap: string, topics: string[]): Promise<string[]> {
  return describeTool(bootstrap, ['--exist', ...topics])
}

/** Runs DescribeTopic.java; its lines. */
async function describeTool(bootstrap: string, args: string[]): Promise<string[]> {
  const proc = Bun.spawn([...JAVA, '-cp', await compiledReader(), 'DescribeTopic', bootstrap, ...args], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  if (code !== 0) throw new Error(`DescribeTopic ${args.join(' ')} failed (${code}): ${err}`)
  return out.trimEnd().split('\n')
}

export async function readTopic(bootstrap: string, topic: string): Promise<Record_[]> {
  return (await readTopicWithPartitions(bootstrap, topic)).records
}

/** Waits until a topic holds at least one record, asking the broker for its end offsets (no fixed sleep). */
export async function firstRecord(bootstrap: string, topic: string, polls = 400): Promise<void> {
  const admin = new Kafka({ clientId: 'test-wait', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    for (let i = 0; i < polls; i++) {
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => [])
      if (offsets.some((o) => Number(o.high) > 0)) return
      await Bun.sleep(25)
    }
  } finally {
    await admin.disconnect()
  }
  throw new Error(`no record in ${topic} after ${polls} polls`)
}

/** Splits dry-run lines into per-topic [key, value] texts, exactly as the line spells them. */
export function dryRunMessages(stdout: string): Record<'tasks' | 'fragments', [string, string][]> {
  const out: Record<'tasks' | 'fragments', [string, string][]> = { tasks: [], fragments: [] }
  for (const line of stdout.split('\n')) {
    if (line === '') continue
    const topic = line.startsWith('{"topic":"tasks"') ? 'tasks' : 'fragments'
    const keyStart = line.indexOf(',"key":') + 7
    const valueStart = line.indexOf(',"value":')
    out[topic].push([line.slice(keyStart, valueStart), line.slice(valueStart + 9, -1)])
  }
  return out
}

/** Creates topics beforehand (test set-up; the replayer's own creation is under test elsewhere). */
export async function createTopics(
  bootstrap: string,
  topics: string[],
  partitions = 1,
  config: Record<string, string> = {},
): Promise<void> {
  const admin = new Kafka({ clientId: 'test', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  const configEntries = Object.entries(config).map(([name, value]) => ({ name, value }))
  try {
    // kafkajs's own wait for the leaders can give up on a topic created a moment ago
    // (UNKNOWN_TOPIC_OR_PARTITION, retriable; seen once in a fresh-clone run): then ask until each
    // partition has a leader, at most 100 times.
    await admin
      .createTopics({
        topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1, configEntries })),
        waitForLeaders: true,
      })
      .catch((error: { retriable?: boolean }) => {
        if (!error.retriable) throw error
      })
    for (let attempt = 1; ; attempt++) {
      const led = await admin.fetchTopicMetadata({ topics }).then(
        (m) => m.topics.every((t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0)),
        (error: { retriable?: boolean }) => {
          if (!error.retriable || attempt >= 100) throw error
          return false
        },
      )
      if (led) break
      await Bun.sleep(50)
    }
  } finally {
    await admin.disconnect()
  }
}

/** Kafka's console producer: in kafka-tools since 4.0, in the core jar before. */
const CONSOLE_PRODUCERS = ['org.apache.kafka.tools.ConsoleProducer', 'kafka.tools.ConsoleProducer']

/**
 * Writes records into a topic with Kafka's own console producer (not our code): `key<TAB>value`
 * lines, in order, acks all. The topic is created first (one partition) if it does not exist.
 */
export async function consoleProduce(bootstrap: string, topic: string, records: [string, string][]): Promise<void> {
  await createTopics(bootstrap, [topic])
  const classpath = (await script('classpath')).out
  const input = records.map(([key, value]) => `${key}\t${value}\n`).join('')
  let failure = ''
  for (const main of CONSOLE_PRODUCERS) {
    const proc = Bun.spawn(
      [
        ...JAVA,
        '-cp',
        classpath,
        main,
        '--bootstrap-server',
        bootstrap,
        '--topic',
        topic,
        '--property',
        'parse.key=true',
        '--property',
        'key.separator=\t',
        '--producer-property',
        'acks=all',
      ],
      { stdin: new Blob([input]), stdout: 'pipe', stderr: 'pipe' },
    )
    const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited])
    if (code === 0) return
    failure = err
    if (!/Could not find or load main class|ClassNotFoundException/.test(err)) break
  }
  throw new Error(`the console producer could not write ${topic}:\n${failure}`)
}

/** A cluster of KRaft nodes of its own (scripts/kafka.sh with KAFKA_NODES), for tests that kill and restart them. */
export interface Cluster extends Broker {
  /** kill (SIGKILL), shutdown (controlled, SIGTERM) or restart node N (1-based); throws if the script fails. */
  node(verb: 'kill' | 'shutdown' | 'restart', n: number): Promise<void>
}

/**
 * A cluster of `nodes` KRaft nodes: the one KAFKA_CLUSTER_STATE_DIR names (scripts/test.ts starts
 * it for the whole test command; it must have as many nodes), else one started here.
 */
export async function startCluster(nodes = 3): Promise<Cluster> {
  const given = process.env.KAFKA_CLUSTER_STATE_DIR
  const env: Record<string, string> = given
    ? { KAFKA_STATE_DIR: given }
    : { ...privateBrokerEnv(), KAFKA_NODES: String(nodes) }
  const broker = given ? await running(given, 'KAFKA_CLUSTER_STATE_DIR') : await startBroker(env)
  const found = broker.bootstrap.split(',').length
  if (found !== nodes) throw new Error(`KAFKA_CLUSTER_STATE_DIR=${given}: ${found} nodes run there, not ${nodes}`)
  const proc = async (verb: string, n: number) => {
    const p = Bun.spawn(['bash', join(ROOT, 'scripts', 'kafka.sh'), verb, String(n)], {
      stdout: 'pipe',
      stderr: 'pipe',
      env: { ...process.env, ...env },
    })
    const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited])
    if (code !== 0) throw new Error(`scripts/kafka.sh ${verb} ${n} failed (${code}):\n${err}`)
  }
  return { ...broker, node: proc }
}

/** The node leading a topic's partition, asked until the partition has a leader. */
export async function leaderOf(bootstrap: string, topic: string, partition: number): Promise<number> {
  const admin = new Kafka({
    clientId: 'test-leader',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
  }).admin()
  await admin.connect()
  try {
    for (let i = 0; i < 400; i++) {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined)
      const leader = metadata?.topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader
      if (leader !== undefined && leader >= 0) return leader
      await Bun.sleep(25)
    }
  } finally {
    await admin.disconnect()
  }
  throw new Error(`no leader for ${topic}/${partition}`)
}

/** Waits until a topic holds at least `count` records, asking for its end offsets (no fixed sleep). */
export async function untilRecords(bootstrap: string, topic: string, count: number, polls = 2400): Promise<void> {
  const admin = new Kafka({ clientId: 'test-wait', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    for (let i = 0; i < polls; i++) {
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => [])
      if (offsets.reduce((n, o) => n + Number(o.high), 0) >= count) return
      await Bun.sleep(25)
    }
  } finally {
    await admin.disconnect()
  }
  throw new Error(`${topic} held fewer than ${count} records after ${polls} polls`)
}
