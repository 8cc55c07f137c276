import { defineCommand } from 'citty'
import { join, dirname } from 'node:path'
import { statSync } from 'node:fs'
import { badInput } from './errors.ts'
import { parseSpeed, parseTimeRef } from './options.ts'
import type { TraceSpec } from './prepare.ts'
import type { ReplayOptions } from './replay.ts'
import type { Output } from './worker.ts'
import type { KafkaConfig } from './kafka/client.ts'
import { readFileSync } from 'node:fs'
import { envName } from './env.ts'
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
/** Reads a file named by a flag (the only file reads while mapping flags). */
export type ReadText = (path: string) => string

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

/** A duration flag: `500ms`, `30s`, `2m`, `1h30m`. */
export function parseDuration(flag: string, text: string): number {
  let ref
  try {
    ref = parseTimeRef(flag, text)
  } catch {
    ref = undefined
  }
  if (!ref || !('offset' in ref)) throw badInput(`${flag}: expected a duration like 500ms, 30s or 2m, got "${text}"`)
  return ref.offset
}

/** Kafka's own rule for topic names. */
function topicName(flag: string, name: string): string {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(name)) throw badInput(`${flag}: "${name}" is not a valid topic name (letters, digits, . _ -)`)
  return name
}

function positiveInteger(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw badInput(`${flag}: expected a whole number of at least 1, got "${text}"`)
  return Number(text)
}

function nonNegativeInteger(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) throw badInput(`${flag}: expected a whole number, got "${text}"`)
  return Number(text)
}

function readFlagFile(flag: string, path: string, read: ReadText): string {
  try {
    return read(path)
  } catch (error) {
    throw badInput(`${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const

/** SASL and TLS settings; the password from the environment or a file, never from a flag. */
function resolveSecurity(args: ReplayArgs, env: Record<string, string | undefined>, read: ReadText): Pick<KafkaConfig, 'sasl' | 'tls'> {
  let sasl: KafkaConfig['sasl']
  if (args.sasl !== undefined) {
    const mechanism = args.sasl.toLowerCase() as (typeof MECHANISMS)[number]
    if (!MECHANISMS.includes(mechanism)) throw badInput(`--sasl: expected plain, scram-sha-256 or scram-sha-512, got "${args.sasl}"`)
    const username = args['sasl-username']
    if (!username) throw badInput(`--sasl ${mechanism} needs --sasl-username`)
    const file = args['sasl-password-file']
    const password = file !== undefined ? readFlagFile('--sasl-password-file', file, read).replace(/\r?\n$/, '') : env.KAFKA_SASL_PASSWORD
    if (!password) throw badInput(`--sasl ${mechanism} needs a password: set KAFKA_SASL_PASSWORD or pass --sasl-password-file FILE`)
    sasl = { mechanism, username, password }
  } else if (args['sasl-username'] !== undefined || args['sasl-password-file'] !== undefined) {
    throw badInput('--sasl-username and --sasl-password-file need --sasl plain|scram-sha-256|scram-sha-512')
  }
  if ((args['tls-cert'] === undefined) !== (args['tls-key'] === undefined)) throw badInput('--tls-cert and --tls-key go together')
  const anyTls = args.tls === true || args['tls-ca'] !== undefined || args['tls-cert'] !== undefined
  const tls = anyTls
    ? {
        ca: args['tls-ca'] === undefined ? undefined : readFlagFile('--tls-ca', args['tls-ca'], read),
        cert: args['tls-cert'] === undefined ? undefined : readFlagFile('--tls-cert', args['tls-cert'], read),
        key: args['tls-key'] === undefined ? undefined : readFlagFile('--tls-key', args['tls-key'], read),
      }
    : undefined
  return { sasl, tls }
}

function resolveOutput(args: ReplayArgs, env: Record<string, string | undefined>, read: ReadText): Output {
  if (args['dry-run']) {
    if (args.brokers !== undefined) throw badInput('--dry-run and --brokers exclude each other: pick stdout or Kafka')
    return { kind: 'stdout' }
  }
  const list = args.brokers ?? env.KAFKA_BROKERS
  if (list === undefined || list.trim() === '') {
    throw badInput('no output chosen: pass --brokers HOST:PORT (or set KAFKA_BROKERS) to send to Kafka, or --dry-run for stdout')
  }
  const brokers = list.split(',').map((b) => b.trim())
  for (const b of brokers) {
    if (!/^[^\s:,]+:\d{1,5}$/.test(b)) throw badInput(`--brokers: "${b}" is not HOST:PORT`)
  }
  const acksText = args.acks ?? 'all'
  const acks = ({ all: -1, '-1': -1, '1': 1, '0': 0 } as const)[acksText as 'all']
  if (acks === undefined) throw badInput(`--acks: expected all, 1 or 0, got "${acksText}"`)
  const idempotent = args.idempotent !== false
  if (idempotent && acks !== -1) throw badInput(`--acks ${acksText} needs --no-idempotent (the idempotent producer waits for all replicas)`)
  const sendRetries = nonNegativeInteger('--send-retries', args['send-retries'] ?? '8')
  if (idempotent && sendRetries < 1) throw badInput('--send-retries 0 needs --no-idempotent (the idempotent producer must retry)')
  const recordTime = args['record-time'] ?? 'send'
  if (recordTime !== 'send' && recordTime !== 'trace') throw badInput(`--record-time: expected send or trace, got "${recordTime}"`)
  const connectTimeoutMs = parseDuration('--connect-timeout', args['connect-timeout'] ?? '30s')
  return {
    kind: 'kafka',
    config: {
      brokers,
      clientId: args['client-id'] ?? 'opendt-replay',
      acks,
      idempotent,
      recordTime,
      connectTimeoutMs,
      sendRetries,
      ...resolveSecurity(args, env, read),
      partitions: positiveInteger('--partitions', args.partitions ?? '1'),
      replicationFactor: positiveInteger('--replication-factor', args['replication-factor'] ?? '1'),
    },
  }
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

/** Shown after the flags by `--help`. */
export const REPLAY_EPILOGUE = `EXAMPLES

  opendt-replay replay --dry-run                                  the built-in demo trace to stdout
  opendt-replay replay ./surf --dry-run --speed max > surf.ndjson  a whole trace, as fast as possible
  opendt-replay replay ./surf --dry-run --from 2d --to 3d          the third day, paced (10x)
  opendt-replay replay ./surf --brokers localhost:9092             into Kafka topics tasks and fragments
  KAFKA_BROKERS=k1:9092,k2:9092 opendt-replay replay ./surf --speed 100 --partitions 6

ENVIRONMENT

  Every flag has a twin: OPENDT_REPLAY_ and the flag in upper case, - as _; a flag given on the
  command line wins. Booleans take 1/true/yes or 0/false/no. KAFKA_BROKERS also sets --brokers.
${Object.entries(replayArgs)
  .filter(([, def]) => def.type !== 'positional')
  .map(([flag]) => `  ${envName(flag).padEnd(36)} --${flag}`)
  .join('\n')}

EXIT CODES

  0    everything in the window was sent (and acknowledged, with Kafka)
  1    internal error (run with --verbose for the stack)
  2    bad input (a flag or the trace); nothing was sent
  3    Kafka unreachable at start, lost mid-run, or a message not acknowledged
  4    a stream fell further behind its schedule than --max-lag
  5    the brokers rejected the SASL credentials
  130  stopped by SIGINT, 143 by SIGTERM (after reporting what was sent)
  141  the reader of stdout went away (| head)
`

/** Shown after the command list by `opendt-replay --help`. */
export const MAIN_EPILOGUE = `EXAMPLES

  opendt-replay replay --dry-run                       the built-in demo trace, paced, to stdout
  opendt-replay inspect ./surf                         what a trace holds before replaying it
  opendt-replay replay ./surf --brokers k1:9092        the trace into Kafka, 10x faster than real time
  opendt-replay replay --help                          every replay flag, its environment twin, exit codes
  opendt-replay --version                              version, git commit and Bun it was built from

EXIT CODES

  0 ok, 1 internal error, 2 bad input, 3 Kafka unreachable or lost, 4 --max-lag exceeded,
  5 credentials rejected, 130/143 SIGINT/SIGTERM, 141 stdout closed
`

export const INSPECT_EPILOGUE = `EXAMPLES

  opendt-replay inspect ./surf                 what the trace holds, and how long a replay at 10x takes
  opendt-replay inspect ./surf --speed 100     ... at 100x
  opendt-replay inspect ./surf --json | jq .   for scripts

EXIT CODES

  0    the trace is readable; 2 it is not (one line names the file, column, row and value)
`

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
