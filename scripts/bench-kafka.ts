#!/usr/bin/env bun
/**
 * Kafka throughput, side by side in one run (after `bun run build`):
 *
 *   bun scripts/bench-kafka.ts [TRACE_DIR] [--format dc-mock] [--shards N] [--compression CODEC] [--bin PATH]
 *   (default ../shared/data/surf and the seed's format; KAFKA_VERSION as kafka.sh; --bin: another
 *   build of opendt-replay to measure, dist/opendt-replay by default)
 *
 * 1. The whole trace at --speed max into fresh topics with the default, safe settings (acks all,
 *    idempotent producer), wall time from spawn to exit, and the send phase its summary line gives (release to the last
 *    acknowledgement); with --shards N, N processes at once
 *    (--shard k/N each) into topics of N partitions, wall time until the last exits.
 * 2. Kafka's own producer benchmark (org.apache.kafka.tools.ProducerPerformance, from the same
 *    Maven download; the rate it prints, and its own spawn to exit) sending as many records with
 *    acks=all to the same broker: of the trace's
 *    average key + value size for the seed's format; for dc-mock's, whose records run from 70
 *    bytes to 1 MB, drawn from the replay's own values (--payload-file), so sizes match too.
 * With --compression CODEC, both compress: the replay with --compression, ProducerPerformance with
 * compression.type. Starts a broker with scripts/kafka.sh if none runs, and stops it afterwards.
 */
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { scriptArgs } from './args.ts'
import { KAFKA_SH, localBroker, sh } from './local-broker.ts'

const root = resolve(import.meta.dir, '..')
const { argv, option, positional: rest } = scriptArgs()
const bin = resolve(option('--bin') ?? join(root, 'dist', 'opendt-replay'))
const shards = Number(option('--shards') ?? 1)
const compression = option('--compression')
const dcMock = argv.includes('dc-mock')
const positional = rest().filter((a) => a !== 'dc-mock')
const trace = resolve(positional[0] ?? join(root, '..', 'shared', 'data', 'surf'))
const format = dcMock ? ['--format', 'dc-mock'] : []
const local = localBroker()
const broker = local.bootstrap
const classpath = local.classpath

try {
  // Records and their average key + value size, from a dry-run of the same trace.
  const dry = Bun.spawnSync([bin, 'replay', trace, ...format, '--dry-run', '--speed', 'max'], {
    stdout: 'pipe',
    stderr: 'ignore',
  })
  const text = dry.stdout.toString()
  let records = 0
  let bytes = 0
  const values: string[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    records++
    // line = {"topic":T,"key":K,"value":V}: key + value = line minus the wrapper.
    const topicEnd = line.indexOf(',"key":')
    bytes += line.length - topicEnd - ',"key":'.length - ',"value":'.length - 1
    if (dcMock) values.push(line.slice(line.indexOf(',"value":') + 9, -1))
  }
  const recordSize = Math.round(bytes / records)
  const payloadFile = join(tmpdir(), `bench-payloads-${process.pid}.txt`)
  if (dcMock) writeFileSync(payloadFile, values.join('\n'))
  const topicFlags = dcMock
    ? ['--workload-topic', 'w', '--power-topic', 'p', '--topology-topic', 't']
    : ['--tasks-topic', 't', '--fragments-topic', 'f']

  const stamp = Date.now()
  const t0 = performance.now()
  // --shards N: N processes at once, shard k of N each, into topics of N partitions.
  const procs = Array.from({ length: shards }, (_, k) =>
    Bun.spawn(
      [
        bin,
        'replay',
        trace,
        '--brokers',
        broker,
        ...format,
        '--speed',
        'max',
        ...topicFlags.map((f) => (f.startsWith('--') ? f : `bench-${f}-${stamp}`)),
        ...(shards > 1 ? ['--shard', `${k}/${shards}`, '--partitions', String(shards)] : []),
        ...(compression ? ['--compression', compression] : []),
      ],
      { stdout: 'ignore', stderr: 'pipe' },
    ),
  )
  const [codes, stderrs] = await Promise.all([
    Promise.all(procs.map((p) => p.exited)),
    Promise.all(procs.map((p) => new Response(p.stderr).text())),
  ])
  const oursMs = performance.now() - t0
  if (codes.some((c) => c !== 0)) throw new Error(`replay failed: ${stderrs[0]}`)
  const oursRate = records / (oursMs / 1000)
  // The send phase, as each summary line gives it: release to the last acknowledgement (the longest shard's).
  const sendSeconds = Math.max(
    ...stderrs.map((e) => Number(/acknowledged in ([\d.]+) s \(/.exec(e)?.[1] ?? Number.NaN)),
  )
  const sendRate = records / sendSeconds

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
    '--config',
    'max.message.bytes=10485760',
  ])
  const perfStart = performance.now()
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
    ...(dcMock ? ['--payload-file', payloadFile] : ['--record-size', String(recordSize)]),
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${broker}`,
    'acks=all',
    'max.request.size=10485760',
    ...(compression ? [`compression.type=${compression}`] : []),
  ])
  const perfMs = performance.now() - perfStart
  // Progress lines every 5 s look the same; the summary (with percentiles) comes last.
  const m = [...perf.out.matchAll(/(\d+) records sent, ([\d.]+) records\/sec/g)].at(-1)
  if (!m) throw new Error(`ProducerPerformance printed no summary:\n${perf.out}\n${perf.err}`)
  const javaRate = Number(m[2])

  const version = process.env.KAFKA_VERSION ?? /KAFKA_VERSION:-([\d.]+)/.exec(await Bun.file(KAFKA_SH).text())![1]
  console.log(
    `broker: Apache Kafka ${version} at ${broker}, one partition per topic; ${records} records, average key + value ${recordSize} bytes\n`,
  )
  console.log('| producer (acks=all) | records | wall | records/s |')
  console.log('| --- | --- | --- | --- |')
  const what =
    (dcMock ? `${format.join(' ')}, 3 topics` : '2 topics') +
    (shards > 1 ? `, ${shards} --shard processes, ${shards} partitions` : '') +
    (compression ? `, --compression ${compression}` : '')
  console.log(
    `| opendt-replay --speed max (idempotent, whole trace, ${what}), spawn to exit | ${records} | ${(oursMs / 1000).toFixed(2)} s | ${Math.round(oursRate)} |`,
  )
  console.log(
    `| the same run's send phase (its summary: release to the last acknowledgement) | ${records} | ${sendSeconds.toFixed(2)} s | ${Math.round(sendRate)} |`,
  )
  const payload =
    (dcMock ? `--payload-file (the replay's ${records} values)` : `--record-size ${recordSize}`) +
    (compression ? `, compression.type=${compression}` : '')
  console.log(
    `| ProducerPerformance ${payload} | ${m[1]} | ${(Number(m[1]) / javaRate).toFixed(2)} s | ${Math.round(javaRate)} |`,
  )
  console.log(
    `| the same tool, spawn to exit (its JVM start, producer set-up, payload file read) | ${m[1]} | ${(perfMs / 1000).toFixed(2)} s | ${Math.round(records / (perfMs / 1000))} |`,
  )
  console.log(
    `\nratio: ${(oursRate / javaRate).toFixed(2)} of the Java tool's rate spawn to exit, ${(sendRate / javaRate).toFixed(2)} in the send phase ` +
      "(ProducerPerformance's rate is its send loop's: its JVM start is not counted); " +
      `${(perfMs / oursMs).toFixed(2)} with both timed spawn to exit`,
  )
} finally {
  rmSync(join(tmpdir(), `bench-payloads-${process.pid}.txt`), { force: true })
  local.stop()
}
