import { closeSync, existsSync, openSync, realpathSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import {
  oneOf,
  parseDuration,
  parseSpeed,
  parseTimeRef,
  positiveInteger,
  positiveNumber,
  type ReadText,
  readFlagFile,
} from '../core/flag-values.ts'
import { quote } from '../echo.ts'
import { badInput } from '../errors.ts'
import type { FormatDefinition, FormatRegistry } from '../formats/format.ts'
import { DEFAULT_FORMAT, FORMATS, formatFlags } from '../formats/index.ts'
import { parseListen } from '../live/address.ts'
import { liveCapacity } from '../live/demand.ts'
import { chooseOutput, whyNoCheckpoint } from '../outputs/index.ts'
import { KAFKA } from '../outputs/kafka/index.ts'
import { INT32_MAX } from '../trace/columns.ts'
import { checkWritable, folderState, readTextFile, reasonOf } from '../trace/file.ts'
import { capacityMhz, parseTopology, type Topology } from '../trace/topology.ts'
import type {
  Format,
  Host,
  InspectOptions,
  Output,
  ReadFrom,
  ReplayOptions,
  Role,
  Shard,
  StreamSpec,
  TopicSettings,
  TraceSpec,
  VerifyOptions,
} from '../types.ts'
import type { OutsideArgv } from './env.ts'
import { DEFAULTS, type InspectArgs, type ReplayArgs, replayArgs, type VerifyArgs, verifyArgs } from './flags.ts'

/**
 * Flags to options: every value checked and mapped to the options object the command runs with.
 * An error names the value the way the user gave it: the flag, or its environment twin.
 */

/** How the user named a flag: `--speed`, or `OPENDT_REPLAY_SPEED` when only the environment set it. */
export type FlagName = (flag: string) => string

/**
 * Names a flag for errors, given the flags set outside argv and how each is named there: its
 * environment twin (cli/env.ts), or the OpenDT setting it came from (cli/opendt.ts).
 */
export const flagNamer =
  (outsideArgv: OutsideArgv = new Map()): FlagName =>
  (flag) =>
    outsideArgv.get(flag) ?? `--${flag}`

/** Where a command's flags came from besides argv: the environment, and the files flags name. */
export interface FlagSources {
  env?: Record<string, string | undefined>
  /** The flags set outside argv, and how each is named there (cli/env.ts withEnvironment). */
  outsideArgv?: OutsideArgv
  /** How each topic this run may create is made (OpenDT's kafka.topics), by topic name. */
  topicSettings?: ReadonlyMap<string, TopicSettings>
  read?: ReadText
  /** The formats `--format` names (default formats/index.ts's; a test adds a fixture format). */
  formats?: FormatRegistry
}

/** The replay's options, and the definition of its format, picked here once and handed down. */
export function toReplayOptions(
  args: ReplayArgs,
  sources: FlagSources = {},
): { options: ReplayOptions; format: FormatDefinition; demo: boolean } {
  const read = sources.read ?? readTextFile
  const name = flagNamer(sources.outsideArgv)
  const output = chooseOutput({ args, env: sources.env ?? {}, read, name, topicSettings: sources.topicSettings })
  return replayOptions(args, sources, output)
}

/** The replay's options into `output` (chosen and checked already), every other flag checked, and its format's definition. */
function replayOptions(
  args: ReplayArgs,
  sources: FlagSources,
  output: Output,
): { options: ReplayOptions; format: FormatDefinition; demo: boolean } {
  const name = flagNamer(sources.outsideArgv)
  const optional = <T>(flag: keyof ReplayArgs & string, parse: (name: string, text: string) => T): T | undefined => {
    const text = args[flag]
    return typeof text === 'string' ? parse(name(flag), text) : undefined
  }
  const read = sources.read ?? readTextFile
  const trace = resolveTrace(args)
  const formats = sources.formats ?? FORMATS
  const format = parseFormat(name('format'), args.format ?? DEFAULT_FORMAT, formats)
  const definition = formats[format]!
  // A format's own flags (its topics, its inputs), given with another format, would be silently ignored.
  const foreign = formatFlags(formats).find((f) => f.format !== format && args[f.flag] !== undefined)
  if (foreign) {
    throw badInput(`${name(foreign.flag)} is a --format ${foreign.format} flag; this run's format is ${format}`)
  }
  const topicFlag = (role: Role) => definition.topics[role]!.flag
  const topic = (role: Role) => {
    const given = args[topicFlag(role)]
    return topicName(name(topicFlag(role)), typeof given === 'string' ? given : definition.topics[role]!.default)
  }
  const options: ReplayOptions = {
    spec: {
      trace,
      format,
      formatOptions: definition.resolve?.({ args, trace, name, read }),
      from: optional('from', parseTimeRef),
      to: optional('to', parseTimeRef),
      strict: args.strict === true,
      maxGapMs: optional('max-gap', parseDuration),
      host: resolveHost(args, name, sources.read ?? readTextFile),
      shard: resolveShard(args, name),
    },
    speed: parseSpeed(name('speed'), args.speed ?? DEFAULTS.speed),
    topics: Object.fromEntries(definition.streams.map((role) => [role, topic(role)])),
    output,
    verbose: args.verbose === true,
    quiet: args.quiet === true,
    statsIntervalMs: parseDuration(name('stats-interval'), args['stats-interval'] ?? DEFAULTS['stats-interval']),
    maxLagMs: optional('max-lag', parseDuration),
    startAt: optional('start-at', parseStartAt),
    stallAfterMs: parseDuration(name('stall-after'), args['stall-after'] ?? DEFAULTS['stall-after']),
    http: optional('http', (flag, text) => parseListen(text, flag)),
    httpLingerMs: parseDuration(name('http-linger'), args['http-linger'] ?? DEFAULTS['http-linger']),
    report: args.report,
  }
  if (options.httpLingerMs > 0 && !options.http) {
    throw badInput(`${name('http-linger')} needs ${name('http')}: without it nothing is served to linger`)
  }
  if (options.spec.shard) {
    if (trace.demo) throw badInput(`${name('shard')} needs a trace (TRACE_DIR): the demo is not sharded`)
    if (options.spec.maxGapMs !== undefined) {
      throw badInput(`${name('shard')} and --max-gap exclude each other: each shard would skip its own idle time`)
    }
  }
  if (options.statsIntervalMs <= 0) {
    throw badInput(`${name('stats-interval')}: must be longer than 0, got ${quote(args['stats-interval'])}`)
  }
  if (args['summary-json'] !== undefined) checkWritable(name('summary-json'), args['summary-json'])
  if (args.report !== undefined) checkReport(name('report'), args.report, args, trace)
  if (options.http || options.report) options.capacity = capacityOf(args, options.spec, read)
  if (options.stallAfterMs <= 0) {
    throw badInput(`${name('stall-after')}: must be longer than 0, got ${quote(args['stall-after'])}`)
  }
  if (args.resume && !args.checkpoint) throw badInput('--resume needs --checkpoint FILE')
  const unresumable = args.checkpoint !== undefined && whyNoCheckpoint(output)
  if (unresumable) throw badInput(`--checkpoint ${unresumable}`)
  const streams = definition.streams
  for (const [i, a] of streams.entries()) {
    const b = streams.slice(i + 1).find((r) => options.topics[r] === options.topics[a])
    if (b) {
      throw badInput(
        `${name(topicFlag(a))} and ${name(topicFlag(b))} are both ${quote(options.topics[a])}: use a topic per stream`,
      )
    }
  }
  // One rule for an empty window, with or without --from (which defaults to the trace start).
  const { to } = options.spec
  const from = options.spec.from ?? (to && 'offset' in to ? { offset: 0 } : undefined)
  if (from && to && 'offset' in from === 'offset' in to) {
    const a = 'offset' in from ? from.offset : from.absolute
    const b = 'offset' in to ? to.offset : to.absolute
    const shown = args.from ?? '0 (the trace start, by default)'
    if (a >= b) throw badInput(`--from ${shown} is not before --to ${args.to}: the window is empty`)
  }
  return { options, format: definition, demo: trace.demo }
}

/**
 * Maps verify's flags to its options: the replay they define (checked as `replay` checks them),
 * the brokers to read from (required), and where and how to read.
 */
export function toVerifyOptions(
  args: VerifyArgs,
  sources: FlagSources = {},
): { options: VerifyOptions; format: FormatDefinition } {
  const name = flagNamer(sources.outsideArgv)
  const env = sources.env ?? {}
  const noBrokers = () => badInput('verify needs the brokers to read from: --brokers HOST:PORT (or KAFKA_BROKERS)')
  if (args.brokers === undefined && !env.KAFKA_BROKERS) throw noBrokers()
  if (args.follow && args.since !== undefined) {
    throw badInput(`${name('since')} and --follow exclude each other: --follow reads from the topics' ends`)
  }
  // verify reads Kafka: its settings are the Kafka output's, from the same flags.
  const read = sources.read ?? readTextFile
  const config = KAFKA.resolve({ args, env, read, name, topicSettings: sources.topicSettings })
  if (config === undefined) throw noBrokers()
  const { options, format } = replayOptions({ ...args, speed: undefined }, sources, { kind: KAFKA.name, config })
  const verify: VerifyOptions = {
    spec: options.spec,
    topics: options.topics,
    config,
    from: args.since === undefined ? { earliest: true } : parseSince(name('since'), args.since),
    follow: args.follow === true,
    speed: parseSpeed(name('speed'), args.speed ?? DEFAULTS.speed),
    json: args.json === true,
    verbose: args.verbose === true,
    quiet: args.quiet === true,
    shown: positiveInteger(name('show'), args.show ?? verifyArgs.show.default),
  }
  if (args.http !== undefined) {
    verify.http = { listen: args.http, flag: name('http') }
    verify.capacity = capacityOf(args, options.spec, sources.read ?? readTextFile)
  }
  return { options: verify, format }
}

/**
 * `--report FILE`: writable now (a file it cannot create is found before anything is sent, not
 * after), a regular file if it exists, and none of the files the run reads or writes: not in the
 * trace's folder, not the trace's files, not --summary-json, --checkpoint or --host-topology.
 */
function checkReport(
  flag: string,
  path: string,
  args: Pick<ReplayArgs, 'trace_dir' | 'summary-json' | 'checkpoint' | 'host-topology'>,
  trace: TraceSpec,
): void {
  checkWritable(flag, path)
  const full = realOrResolved(path)
  const folders = [args.trace_dir, ...(trace.demo ? [] : [dirname(trace.tasks), dirname(trace.fragments)])]
  for (const folder of folders.filter((f): f is string => f !== undefined)) {
    const dir = realOrResolved(folder)
    if (full.startsWith(`${dir}/`))
      throw badInput(`${flag}: ${path} is in the trace's folder ${folder}: write the report elsewhere`)
  }
  const others = {
    'summary-json': args['summary-json'],
    checkpoint: args.checkpoint,
    'host-topology': args['host-topology'],
  }
  for (const [other, file] of Object.entries(others)) {
    if (file !== undefined && realOrResolved(file) === full)
      throw badInput(`${flag}: ${path} is also --${other}'s file`)
  }
  const existed = existsSync(path)
  if (existed && !statSync(path).isFile()) throw badInput(`${flag}: ${path} is not a regular file`)
  try {
    closeSync(openSync(path, 'a'))
  } catch (error) {
    throw badInput(`${flag}: cannot write ${path}: ${reasonOf(error)}`)
  }
  if (!existed) rmSync(path, { force: true })
}

/** A path with its links resolved (of its folder, when it does not exist yet). */
function realOrResolved(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    try {
      return join(realpathSync(dirname(path)), basename(path))
    } catch {
      return resolve(path)
    }
  }
}

/**
 * The capacity a live view draws the demand against (live/demand.ts liveCapacity has the rule):
 * `--host-topology`'s file, else a topology.json beside the trace (TRACE_DIR, or the tasks
 * file's folder), read and checked as inspect reads one. One beside the trace that does not
 * read as a topology gives none: it is not the run's input, and the run goes on without it.
 */
export function capacityOf(
  args: Pick<ReplayArgs, 'trace_dir' | 'host-topology'>,
  spec: Pick<StreamSpec, 'trace' | 'host'>,
  read: ReadText,
): { mhz: number; source: string } | null {
  const file = args['host-topology']
  // resolveHost read and checked it already.
  const hostTopology = file === undefined ? undefined : parseTopology(file, read(file))
  const beside = spec.trace.demo ? undefined : join(args.trace_dir ?? dirname(spec.trace.tasks), 'topology.json')
  let topology: Topology | undefined
  if (beside !== undefined && !hostTopology && existsSync(beside)) {
    try {
      topology = parseTopology(beside, read(beside))
    } catch {
      topology = undefined
    }
  }
  return liveCapacity({ host: spec.host, hostTopology, topology })
}

/** `--since`: an offset (digits), or an ISO-8601 time (one before 1970: the beginning). */
function parseSince(flag: string, text: string): ReadFrom {
  if (/^\d+$/.test(text.trim())) {
    // Past 2^53 a number would round to another offset (no topic holds that many records anyway).
    if (!Number.isSafeInteger(Number(text.trim()))) {
      throw badInput(`${flag}: an offset is at most ${Number.MAX_SAFE_INTEGER}, got ${quote(text)}`)
    }
    return { offset: Number(text.trim()) }
  }
  const time = instant(flag, text)
  if (time === undefined) {
    throw badInput(
      `${flag}: expected an offset (0, 1500) or an ISO-8601 time (2026-11-26T15:00:00Z), got ${quote(text)}`,
    )
  }
  // Kafka reads a negative time as a special one (-1 the latest offset, -2 the earliest; others are
  // refused). No record's time is before 1970 (-1 is "none"), so every record is at or after one
  // that is: the topics' beginnings, exactly.
  return time < 0 ? { earliest: true } : { time }
}

/** An ISO-8601 instant, read as `--from`/`--to` read one (parseTimeRef: no zone is UTC); undefined when the text is none. */
function instant(flag: string, text: string): number | undefined {
  try {
    const ref = parseTimeRef(flag, text)
    return 'absolute' in ref ? ref.absolute : undefined
  } catch {
    return undefined
  }
}

/** `--shard K/N` (0 <= K < N) and `--shard-control first|all`. */
function resolveShard(args: ReplayArgs, name: FlagName): Shard | undefined {
  const given = args['shard-control']
  const control =
    given === undefined ? undefined : oneOf(name('shard-control'), replayArgs['shard-control'].options, given)
  const text = args.shard
  if (text === undefined) {
    if (control !== undefined) throw badInput(`${name('shard-control')} needs --shard K/N`)
    return undefined
  }
  const m = /^(\d+)\/(\d+)$/.exec(text.trim())
  const [index, count] = m ? [Number(m[1]), Number(m[2])] : [Number.NaN, Number.NaN]
  if (m && count > 1_000_000) throw badInput(`${name('shard')}: N is at most 1000000, got ${quote(text)}`)
  if (!m || count < 1 || index >= count) {
    throw badInput(`${name('shard')}: expected K/N with 0 <= K < N (0/3, 1/3, 2/3), got ${quote(text)}`)
  }
  return { index, count, control: control ?? 'first' }
}

/** The furthest ahead `--start-at` may be: a week (a start further off is a typo, not a plan). */
export const MAX_START_AHEAD_MS = 7 * 86_400_000

/** `--start-at`: an ISO-8601 instant, or `+DURATION` from now, at most a week ahead. */
function parseStartAt(flag: string, text: string, now = Date.now()): number {
  const at = text.startsWith('+') ? now + parseDuration(flag, text.slice(1)) : instant(flag, text)
  if (at === undefined) {
    throw badInput(`${flag}: expected an ISO-8601 time (2026-11-26T15:00:00Z) or +DURATION (+30s), got ${quote(text)}`)
  }
  if (!(at - now <= MAX_START_AHEAD_MS)) {
    const days = ((at - now) / 86_400_000).toFixed(1)
    throw badInput(`${flag}: ${text} is ${days} days ahead; a start may be at most 7 days ahead`)
  }
  return at
}

const parseFormat = (flag: string, text: string, formats: FormatRegistry): Format =>
  oneOf(flag, Object.keys(formats), text)

/**
 * The what-if host: `--host-cpus N --host-mhz M` (both or neither), or `--host-topology FILE`,
 * whose first host gives coreCount x coreSpeed.
 */
export function resolveHost(
  args: Pick<ReplayArgs, 'host-cpus' | 'host-mhz' | 'host-topology'>,
  name: FlagName,
  read: ReadText,
): Host | undefined {
  const cpus = args['host-cpus']
  const mhz = args['host-mhz']
  const file = args['host-topology']
  if (file !== undefined) {
    if (cpus !== undefined || mhz !== undefined) {
      throw badInput(`${name('host-topology')} and --host-cpus/--host-mhz exclude each other: pick one host`)
    }
    const first = parseTopology(file, readFlagFile(name('host-topology'), file, read)).hosts[0]!
    const source = `${name('host-topology')} ${file}: its first host's cpu.coreSpeed ${first.coreSpeed} (cpu.coreCount ${first.coreCount})`
    return { cpus: first.coreCount, mhz: first.coreSpeed, source }
  }
  if ((cpus === undefined) !== (mhz === undefined)) throw badInput('--host-cpus and --host-mhz go together')
  if (cpus === undefined || mhz === undefined) return undefined
  return {
    cpus: positiveInteger(name('host-cpus'), cpus, INT32_MAX, " (OpenDC's CPU count)"),
    mhz: positiveNumber(name('host-mhz'), mhz),
    source: `${name('host-cpus')} ${quote(cpus).slice(1, -1)} ${name('host-mhz')} ${quote(mhz).slice(1, -1)}`,
  }
}

/** Kafka's own rule for topic names. */
function topicName(flag: string, name: string): string {
  if (name.length > 249) throw badInput(`${flag}: a topic name has at most 249 characters, got ${name.length}`)
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(name) || name === '.' || name === '..') {
    throw badInput(`${flag}: ${quote(name)} is not a valid topic name (letters, digits, . _ -; not . or ..)`)
  }
  return name
}

/**
 * Maps inspect's flags to its inputs: the trace, a speed, a what-if host, a capacity, the SVG
 * file, and the inputs of each format's section of the report.
 */
export function toInspectOptions(
  args: InspectArgs,
  sources: Pick<FlagSources, 'outsideArgv' | 'read' | 'formats'> = {},
): InspectOptions {
  const name = flagNamer(sources.outsideArgv)
  const read = sources.read ?? readTextFile
  const trace = resolveTrace(args)
  if (trace.demo) throw badInput('inspect needs a trace: pass TRACE_DIR (or --tasks and --fragments)')
  const host = resolveHost(args, name, read)
  let capacity: InspectOptions['capacity']
  if (args.topology !== undefined) {
    if (args.hosts !== undefined)
      throw badInput(`${name('topology')} and --hosts exclude each other: pick one capacity`)
    const topology = parseTopology(args.topology, readFlagFile(name('topology'), args.topology, read))
    capacity = { mhz: capacityMhz(topology), source: args.topology }
  } else if (args.hosts !== undefined) {
    if (!host) throw badInput('--hosts K needs the host: --host-cpus N --host-mhz M (or --host-topology FILE)')
    const count = positiveInteger(name('hosts'), args.hosts)
    capacity = { mhz: count * host.cpus * host.mhz, source: `${count} hosts of ${host.cpus} x ${host.mhz} MHz` }
  }
  if (args.svg !== undefined) checkWritable(name('svg'), args.svg)
  const sections = Object.values(sources.formats ?? FORMATS).filter((f) => f.inspect)
  return {
    formats: Object.fromEntries(
      sections.map((f) => [f.name, f.inspect!.resolve?.({ args, trace, name, read })] as const),
    ),
    trace,
    speed: parseSpeed(name('speed'), args.speed ?? DEFAULTS.speed),
    json: args.json === true,
    host,
    capacity,
    svg: args.svg,
  }
}

function resolveTrace(args: Pick<ReplayArgs, 'trace_dir' | 'tasks' | 'fragments'>): TraceSpec {
  const dir = args.trace_dir
  if (dir === undefined && args.tasks === undefined && args.fragments === undefined) return { demo: true }
  if (dir !== undefined) {
    const state = folderState(dir)
    if (state !== 'folder') {
      throw badInput(`${dir}: ${state} (TRACE_DIR must hold tasks.parquet and fragments.parquet)`)
    }
  }
  // With one file named and no folder, the other is looked for beside it.
  const base = dir ?? dirname((args.tasks ?? args.fragments)!)
  return {
    demo: false,
    tasks: args.tasks ?? join(base, 'tasks.parquet'),
    fragments: args.fragments ?? join(base, 'fragments.parquet'),
  }
}
