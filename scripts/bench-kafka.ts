#!/usr/bin/env bun
/**
 * Kafka throughput, side by side in one run (after `bun run build`):
 *
 *   bun scripts/bench-kafka.ts [TRACE_DIR]      (default ../shared/data/surf; KAFKA_VERSION as kafka.sh)
 *
 * 1. The whole trace at --speed max into fresh topics with the default, safe settings (acks all,
 *    idempotent producer), wall time from spawn to exit.
 * 2. Kafka's own producer benchmark (org.apache.kafka.tools.ProducerPerformance, from the same
 *    Maven download) sending as many records, of the trace's average key + value size, with
 *    acks=all, to the same broker.
 * Starts a broker with scripts/kafka.sh if none runs, and stops it afterwards.
 */
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dir, '..')
const bin = join(root, 'dist', 'opendt-replay')
const trace = resolve(process.argv[2] ?? join(root, '..', 'shared', 'data', 'surf'))
const kafkaSh = join(root, 'scripts', 'kafka.sh')

function sh(args: string[]): { code: number; out: string; err: string } {
  const p = Bun.spawnSync(args, { stdout: 'pipe', stderr: 'pipe' })
  return { code: p.exitCode, out: p.stdout.toString().trim(), err: p.stderr.toString() }
}

let started = false
let bootstrap = sh(['bash', kafkaSh, 'status'])
if (bootstrap.code !== 0) {
  bootstrap = sh(['bash', kafkaSh, 'start'])
  if (bootstrap.code !== 0) throw new Error(bootstrap.err)
  started = true
}
const broker = bootstrap.out
const classpath = sh(['bash', kafkaSh, 'classpath']).out

try {
  // Records and their average key + value size, from a dry-run of the same trace.
  const dry = Bun.spawnSync([bin, 'replay', trace, '--dry-run', '--speed', 'max'], { stdout: 'pipe', stderr: 'ignore' })
  const text = dry.stdout.toString()
  let records = 0
  let bytes = 0
  for (const line of text.split('\n')) {
    if (line === '') continue
    records++
    // line = {"topic":T,"key":K,"value":V}: key + value = line minus the wrapper.
    const topicEnd = line.indexOf(',"key":')
    bytes += line.length - topicEnd - ',"key":'.length - ',"value":'.length - 1
  }
  const recordSize = Math.round(bytes / records)

  const stamp = Date.now()
  const t0 = performance.now()
  const ours = Bun.spawnSync(
    [
      bin,
      'replay',
      trace,
      '--brokers',
      broker,
      '--speed',
      'max',
      '--tasks-topic',
      `bench-tasks-${stamp}`,
      '--fragments-topic',
      `bench-fragments-${stamp}`,
    ],
    { stdout: 'ignore', stderr: 'pipe' },
  )
  const oursMs = performance.now() - t0
  if (ours.exitCode !== 0) throw new Error(`replay failed: ${ours.stderr}`)
  const oursRate = records / (oursMs / 1000)

  const topic = `bench-perf-${stamp}`
  sh([
    'java',
    '-cp',
    classpath,
    'org.apache.kafka.tools.TopicCommand',
    '--bootstrap-server',
    broker,
    '--create',
    '--topic',
    topic,
    '--partitions',
    '1',
    '--replication-factor',
    '1',
  ])
  const perf = sh([
    'java',
    '-Xmx1g',
    '-cp',
    classpath,
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    topic,
    '--num-records',
    String(records),
    '--record-size',
    String(recordSize),
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${broker}`,
    'acks=all',
  ])
  // Progress lines every 5 s look the same; the summary (with percentiles) comes last.
  const m = [...perf.out.matchAll(/(\d+) records sent, ([\d.]+) records\/sec/g)].at(-1)
  if (!m) throw new Error(`ProducerPerformance printed no summary:\n${perf.out}\n${perf.err}`)
  const javaRate = Number(m[2])

  const version = process.env.KAFKA_VERSION ?? /KAFKA_VERSION:-([\d.]+)/.exec(await Bun.file(kafkaSh).text())![1]
  console.log(
    `broker: Apache Kafka ${version} at ${broker}, one partition per topic; ${records} records, average key + value ${recordSize} bytes\n`,
  )
  console.log('| producer (acks=all) | records | wall | records/s |')
  console.log('| --- | --- | --- | --- |')
  console.log(
    `| opendt-replay --speed max (idempotent, whole trace, 2 topics) | ${records} | ${(oursMs / 1000).toFixed(2)} s | ${Math.round(oursRate)} |`,
  )
  console.log(
    `| ProducerPerformance --record-size ${recordSize} | ${m[1]} | ${(Number(m[1]) / javaRate).toFixed(2)} s | ${Math.round(javaRate)} |`,
  )
  console.log(`\nratio: ${(oursRate / javaRate).toFixed(2)} of the Java tool's rate`)
} finally {
  if (started) sh(['bash', kafkaSh, 'stop'])
}
