#!/usr/bin/env bun
/**
 * A CPU profile of one worker's send loop into Kafka (prints figures and writes a profile; not a
 * timed test). `bun --cpu-prof` sees only the main thread, and a replay sends from its Workers, so
 * this runs one worker's path on the main thread: load and build its streams (formats/prepare.ts),
 * prepare its topics, connect its producer, pace at --speed max into a KafkaSink. It runs from the
 * sources with the dependency patches, as every source run does (bunfig.toml preloads patches/),
 * under `bun --cpu-prof-md`:
 *
 *   bun scripts/profile-send.ts [TRACE_DIR] [--format dc-mock] [--role ROLE] [--compression CODEC]
 *
 * (default ../shared/data/surf, the seed's format and its fragments stream; dc-mock's default role
 * is workload). Starts a broker with scripts/kafka.sh if none runs, and stops it afterwards. Prints
 * the time to load, to prepare topics and connect, and to send, then the profile's top functions;
 * the whole profile (markdown) is left in a temporary folder, named at the end.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { KafkaConfig } from '../src/types.ts'

const CHILD = 'OPENDT_PROFILE_SEND_CHILD'
const root = resolve(import.meta.dir, '..')
const argv = process.argv.slice(2)
const option = (flag: string): string | undefined => {
  const at = argv.indexOf(flag)
  return at < 0 ? undefined : argv[at + 1]
}
const format = option('--format') ?? 'tasks-fragments'
const role = option('--role') ?? (format === 'dc-mock' ? 'workload' : 'fragments')
const compression = option('--compression')
const trace = resolve(
  argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--')) ??
    join(root, '..', 'shared', 'data', 'surf'),
)

if (process.env[CHILD]) await child(process.env[CHILD])
else await parent()

/** Starts a broker if needed, and runs this file again under the profiler. */
async function parent(): Promise<void> {
  const { localBroker } = await import('./local-broker.ts')
  const local = localBroker()
  try {
    const dir = mkdtempSync(join(tmpdir(), 'profile-send-'))
    const run = Bun.spawnSync(
      [process.execPath, '--cpu-prof-md', `--cpu-prof-dir=${dir}`, import.meta.path, ...argv, trace],
      {
        cwd: root, // whose bunfig.toml preloads the patches
        env: { ...process.env, [CHILD]: local.bootstrap },
        stdout: 'inherit',
        stderr: 'inherit',
      },
    )
    if (run.exitCode !== 0) throw new Error(`the profiled run exited with ${run.exitCode}`)
    const profile = readdirSync(dir).find((f) => f.endsWith('.md'))!
    const text = readFileSync(join(dir, profile), 'utf8')
    const hot = text.indexOf('## Hot Functions')
    console.log(text.slice(0, hot).trim())
    console.log(text.slice(hot).split('\n').slice(0, 24).join('\n'))
    console.log(`\nthe whole profile: ${join(dir, profile)}`)
  } finally {
    local.stop()
  }
}

/** The worker's path on this thread, into the broker at `brokers`, with a phase's time each. */
async function child(brokers: string): Promise<void> {
  const [{ toReplayOptions }, { prepare }, admin, client, { KafkaSink }, { pace }, { registerCodecs }, { createLog }] =
    await Promise.all([
      import('../src/cli/options.ts'),
      import('../src/formats/prepare.ts'),
      import('../src/kafka/admin.ts'),
      import('../src/kafka/client.ts'),
      import('../src/outputs/kafka/sink.ts'),
      import('../src/core/pacer.ts'),
      import('../src/kafka/codecs.ts'),
      import('../src/log.ts'),
    ])
  registerCodecs()
  const stamp = Date.now()
  const topics =
    format === 'dc-mock'
      ? { 'workload-topic': `w-${stamp}`, 'power-topic': `p-${stamp}`, 'topology-topic': `t-${stamp}` }
      : { 'tasks-topic': `t-${stamp}`, 'fragments-topic': `f-${stamp}` }
  const { options } = toReplayOptions({ trace_dir: trace, format, brokers, speed: 'max', compression, ...topics })
  const config = options.output.config as KafkaConfig // --brokers chooses the Kafka output
  const roles = [role as keyof typeof options.topics]
  const t0 = performance.now()
  const prepared = await prepare(roles, options.spec, true)
  const t1 = performance.now()
  const sizes = new Map(
    Object.entries(prepared.largest).map(([r, big]) => [
      options.topics[r as (typeof roles)[0]]!,
      { what: `the ${r} message`, bytes: big!.bytes },
    ]),
  )
  const ready = await admin.prepareTopics(
    config,
    Object.values(options.topics).filter((t): t is string => t !== undefined),
    createLog(),
    Promise.resolve(sizes),
  )
  const producer = await client.connectProducer(config, false)
  const t2 = performance.now()
  const topic = options.topics[roles[0]!]!
  const sink = new KafkaSink(producer, {
    topics: { [roles[0]!]: topic },
    acks: config.acks,
    recordTime: config.recordTime,
    maxMessageBytes: ready?.limits.get(topic) ?? 1_048_588,
    dueHeader: false,
    compression: config.compression,
    batchBytes: config.batchBytes,
  })
  const clock = { now: () => performance.now(), sleepUntil: async () => {} }
  const schedule = { start: performance.now(), origin: prepared.window.from, speed: Infinity }
  await pace(prepared.stream, schedule, clock, sink, { stopped: () => false, maxBatch: 2000 })
  await sink.close()
  const t3 = performance.now()
  await producer.disconnect()
  const { sent, acked } = sink.figures()[roles[0]!]!
  const ms = (a: number, b: number) => `${Math.round(b - a)} ms`
  console.log(
    `${format} ${role}${compression ? `, ${compression}` : ''}: load ${ms(t0, t1)}, topics and producer ${ms(t1, t2)}, ` +
      `send ${ms(t2, t3)} (${sent} sent, ${acked} acknowledged)\n`,
  )
}
