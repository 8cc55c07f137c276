import { defineCommand } from 'citty'
import { readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { badInput } from './errors.ts'
import { parseDuration, parseSpeed, parseTimeRef } from './options.ts'
import { resolveOutput, type ReadText } from './kafka/flags.ts'
import type { TraceSpec } from './prepare.ts'
import type { ReplayOptions } from './replay.ts'
import pkg from '../package.json' with { type: 'json' }

/** Raw values of `replay`'s flags, as citty parses them. */
export interface ReplayArgs {
  trace_dir?: string
  tasks?: string
  fragments?: string
  'dry-run'?: boolean
  speed?: string
  from?: string
  to?: string
  strict?: boolean
  verbose?: boolean
  brokers?: string
  'tasks-topic'?: string
  'fragments-topic'?: string
  'client-id'?: string
  partitions?: string
  'replication-factor'?: string
  acks?: string
  idempotent?: boolean
  'record-time'?: string
  'connect-timeout'?: string
  'send-retries'?: string
  quiet?: boolean
  'stats-interval'?: string
  'summary-json'?: string
  'max-lag'?: string
  'max-gap'?: string
  sasl?: string
  'sasl-username'?: string
  'sasl-password-file'?: string
  tls?: boolean
  'tls-ca'?: string
  'tls-cert'?: string
  'tls-key'?: string
  checkpoint?: string
  resume?: boolean
}

export const replayArgs = {
  trace_dir: { type: 'positional', required: false, description: 'Folder with tasks.parquet and fragments.parquet (none: the built-in demo trace)' },
  tasks: { type: 'string', valueHint: 'FILE', description: 'Tasks file (overrides TRACE_DIR/tasks.parquet)' },
  fragments: { type: 'string', valueHint: 'FILE', description: 'Fragments file (overrides TRACE_DIR/fragments.parquet)' },
  brokers: { type: 'string', valueHint: 'HOST:PORT[,HOST:PORT]', description: 'Kafka bootstrap brokers to send to (default: $KAFKA_BROKERS)' },
  'dry-run': { type: 'boolean', description: 'Write the messages to stdout as JSON lines instead of sending them' },
  speed: { type: 'string', default: '10', valueHint: 'N|max', description: 'Trace seconds per wall second; 0.5 slows down, max sends without pacing' },
  from: { type: 'string', valueHint: 'T', description: 'Window start: offset from the first task (90s, 30m, 2h, 1d) or ISO-8601 time' },
  to: { type: 'string', valueHint: 'T', description: 'Window end, exclusive: offset or ISO-8601 time' },
  strict: { type: 'boolean', description: 'Fail on fragments whose task is missing instead of skipping them' },
  'tasks-topic': { type: 'string', default: 'tasks', valueHint: 'NAME', description: 'Topic for tasks (created if missing)' },
  'fragments-topic': { type: 'string', default: 'fragments', valueHint: 'NAME', description: 'Topic for fragments (created if missing)' },
  'client-id': { type: 'string', default: 'opendt-replay', valueHint: 'ID', description: 'Kafka client id' },
  partitions: { type: 'string', default: '1', valueHint: 'N', description: 'Partitions of topics this run creates (existing topics are used as they are)' },
  'replication-factor': { type: 'string', default: '1', valueHint: 'N', description: 'Replication factor of topics this run creates' },
  acks: { type: 'string', default: 'all', valueHint: 'all|1|0', description: 'Acknowledgements to wait for; 1 or 0 trade safety for speed and need --no-idempotent' },
  idempotent: { type: 'boolean', default: true, description: 'Idempotent producer: a retry never duplicates a message', negativeDescription: 'Plain producer: faster retries, duplicates possible after a broker error' },
  'record-time': { type: 'string', default: 'send', valueHint: 'send|trace', description: 'Kafka record timestamps: send time, or trace time (WARNING: 2022 timestamps fall outside retention and the broker may delete them at once)' },
  'connect-timeout': { type: 'string', default: '30s', valueHint: 'DURATION', description: 'How long to keep trying to reach the brokers at start' },
  'send-retries': { type: 'string', default: '8', valueHint: 'N', description: 'Retries of a failed send (backing off 0.3 s to 30 s; 8 is about a minute) before the run stops with exit 3' },
  sasl: { type: 'string', valueHint: 'plain|scram-sha-256|scram-sha-512', description: 'Authenticate with SASL; the password comes from $KAFKA_SASL_PASSWORD or --sasl-password-file, never a flag' },
  'sasl-username': { type: 'string', valueHint: 'USER', description: 'SASL user name' },
  'sasl-password-file': { type: 'string', valueHint: 'FILE', description: 'File holding the SASL password (a trailing newline is dropped)' },
  tls: { type: 'boolean', description: 'Connect with TLS (implied by --tls-ca, --tls-cert, --tls-key)' },
  'tls-ca': { type: 'string', valueHint: 'FILE', description: 'PEM CA certificate(s) to trust instead of the system ones' },
  'tls-cert': { type: 'string', valueHint: 'FILE', description: 'PEM client certificate (with --tls-key)' },
  'tls-key': { type: 'string', valueHint: 'FILE', description: 'PEM client private key (with --tls-cert)' },
  checkpoint: { type: 'string', valueHint: 'FILE', description: 'After each acknowledged batch, record atomically in FILE how far each stream got (Kafka output)' },
  resume: { type: 'boolean', description: 'Continue from --checkpoint FILE where the acknowledged messages end (same trace and flags)' },
  'max-lag': { type: 'string', valueHint: 'DURATION', description: 'Stop (exit 4) when a stream falls further behind its schedule than this, e.g. 5s' },
  'max-gap': { type: 'string', valueHint: 'DURATION', description: 'Shorten idle stretches of the trace (no message in either stream) longer than this to this, e.g. 10m' },
  'stats-interval': { type: 'string', default: '60s', valueHint: 'DURATION', description: 'When stderr is not a terminal: one progress line this often (on a terminal: live lines)' },
  quiet: { type: 'boolean', description: 'Only errors and the final summary on stderr' },
  'summary-json': { type: 'string', valueHint: 'FILE', description: 'Also write the final summary as JSON to FILE (counts, wall time, rates, lateness, exit reason)' },
  verbose: { type: 'boolean', description: 'Debug logs, and stack traces with errors' },
} as const

/** Maps the flags to replay options; the only logic here is resolving the trace's file names. */
const readTextFile: ReadText = (path) => readFileSync(path, 'utf8')

export function toReplayOptions(
  args: ReplayArgs,
  env: Record<string, string | undefined> = {},
  read: ReadText = readTextFile,
): { options: ReplayOptions; demo: boolean } {
  const output = resolveOutput(args, env, read)
  const trace = resolveTrace(args)
  const options: ReplayOptions = {
    spec: {
      trace,
      from: args.from === undefined ? undefined : parseTimeRef('--from', args.from),
      to: args.to === undefined ? undefined : parseTimeRef('--to', args.to),
      strict: args.strict === true,
      maxGapMs: args['max-gap'] === undefined ? undefined : parseDuration('--max-gap', args['max-gap']),
    },
    speed: parseSpeed(args.speed ?? '10'),
    topics: { tasks: topicName('--tasks-topic', args['tasks-topic'] ?? 'tasks'), fragments: topicName('--fragments-topic', args['fragments-topic'] ?? 'fragments') },
    output,
    verbose: args.verbose === true,
    quiet: args.quiet === true,
    statsIntervalMs: parseDuration('--stats-interval', args['stats-interval'] ?? '60s'),
    maxLagMs: args['max-lag'] === undefined ? undefined : parseDuration('--max-lag', args['max-lag']),
  }
  if (options.statsIntervalMs <= 0) throw badInput(`--stats-interval: must be longer than 0, got "${args['stats-interval']}"`)
  if (args.resume && !args.checkpoint) throw badInput('--resume needs --checkpoint FILE')
  if (args.checkpoint !== undefined && output.kind !== 'kafka') throw badInput('--checkpoint needs Kafka output (--brokers): a dry-run has nothing to resume')
  if (options.topics.tasks === options.topics.fragments) throw badInput(`--tasks-topic and --fragments-topic are both "${options.topics.tasks}": use two topics`)
  const { from, to } = options.spec
  if (from && to && 'offset' in from === 'offset' in to) {
    const a = 'offset' in from ? from.offset : from.absolute
    const b = 'offset' in to ? to.offset : to.absolute
    if (a >= b) throw badInput(`--from ${args.from} is not before --to ${args.to}: the window is empty`)
  }
  return { options, demo: trace.demo }
}

/** Kafka's own rule for topic names. */
function topicName(flag: string, name: string): string {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(name)) throw badInput(`${flag}: "${name}" is not a valid topic name (letters, digits, . _ -)`)
  return name
}

export interface InspectArgs {
  trace_dir?: string
  tasks?: string
  fragments?: string
  speed?: string
  json?: boolean
  verbose?: boolean
}

export const inspectArgs = {
  trace_dir: replayArgs.trace_dir,
  tasks: replayArgs.tasks,
  fragments: replayArgs.fragments,
  speed: { ...replayArgs.speed, description: 'Speed to estimate the replay time at (trace seconds per wall second, or max)' },
  json: { type: 'boolean', description: 'Print the report as JSON' },
  verbose: replayArgs.verbose,
} as const

/** Maps inspect's flags to its inputs: the trace's two files and a speed. */
export function toInspectOptions(args: InspectArgs): { trace: { tasks: string; fragments: string }; speed: number; json: boolean } {
  const trace = resolveTrace(args)
  if (trace.demo) throw badInput('inspect needs a trace: pass TRACE_DIR (or --tasks and --fragments)')
  return { trace, speed: parseSpeed(args.speed ?? '10'), json: args.json === true }
}

function resolveTrace(args: Pick<ReplayArgs, 'trace_dir' | 'tasks' | 'fragments'>): TraceSpec {
  const dir = args.trace_dir
  if (dir === undefined && args.tasks === undefined && args.fragments === undefined) return { demo: true }
  if (dir !== undefined) {
    let isDir = false
    try {
      isDir = statSync(dir).isDirectory()
    } catch {
      throw badInput(`${dir}: no such directory (TRACE_DIR must hold tasks.parquet and fragments.parquet)`)
    }
    if (!isDir) throw badInput(`${dir}: not a directory (TRACE_DIR must hold tasks.parquet and fragments.parquet)`)
  }
  // With one file named and no folder, the other is looked for beside it.
  const base = dir ?? dirname((args.tasks ?? args.fragments)!)
  return {
    demo: false,
    tasks: args.tasks ?? join(base, 'tasks.parquet'),
    fragments: args.fragments ?? join(base, 'fragments.parquet'),
  }
}

export function mainCommand(run: (args: ReplayArgs) => Promise<void>, runInspect: (args: InspectArgs) => Promise<void>) {
  return defineCommand({
    meta: { name: 'opendt-replay', version: pkg.version, description: 'Replay OpenDC workload traces as paced tasks and fragments streams' },
    subCommands: {
      replay: defineCommand({
        meta: { name: 'replay', description: 'Replay a trace in time-scaled real time' },
        args: replayArgs,
        run: ({ args }) => run(args as ReplayArgs),
      }),
      inspect: defineCommand({
        meta: { name: 'inspect', description: 'Describe a trace before replaying it' },
        args: inspectArgs,
        run: ({ args }) => runInspect(args as InspectArgs),
      }),
    },
  })
}
