import { type ArgsDef, parseArgs } from 'citty'
import type { ReadText } from '../core/flag-values.ts'
import { quote } from '../echo.ts'
import { badInput } from '../errors.ts'
import { readTextFile } from '../trace/file.ts'
import type { TopicSettings } from '../types.ts'
import { COMMANDS, type CommandArgs, type CommandName } from './commands.ts'
import { envName, type OutsideArgv, withEnvironment } from './env.ts'
import type { ReplayArgs } from './flags.ts'
import { commandHelp, mainHelp } from './help.ts'
import { checkWorkloadDir, openDtLayer, parseOpenDtConfig } from './opendt.ts'

/**
 * What the command line asks for: a text to print (help, version), or a command with its flags.
 * A command that OpenDT's configuration fills (dc-mock) runs as the replay it is, with its setup.
 */
export type Invocation =
  | { command: 'print'; text: string }
  | { [C in Runnable]: { command: C; args: CommandArgs[C]; outsideArgv: OutsideArgv; opendt?: OpenDtSetup } }[Runnable]

/** The commands main.ts runs: every one but those OpenDT's configuration fills. */
type Runnable = { [C in CommandName]: (typeof COMMANDS)[C] extends { opendt: true } ? never : C }[CommandName]

/** What `dc-mock` takes from OpenDT's configuration besides flag values: stderr's lines, the topics' settings. */
export interface OpenDtSetup {
  lines: string[]
  topics: ReadonlyMap<string, TopicSettings>
}

export interface DispatchContext {
  env: Record<string, string | undefined>
  /** A warning on stderr (a variable that names no setting). */
  warn?: (text: string) => void
  /** A note on stderr (the command chosen for a bare invocation). */
  info?: (text: string) => void
  /** Reads a text file the environment names (OpenDT's config file); default trace/file.ts readTextFile. */
  read?: ReadText
  /** The `--version` line. */
  version: string
  /** Columns to wrap `--help` to: the terminal's, else 80. */
  width?: number
}

/** argv (without the executable) to an invocation; usage errors are bad input. */
export async function dispatch(argv: string[], context: DispatchContext): Promise<Invocation> {
  const width = context.width ?? 80
  // Started bare with CONFIG_FILE set, as OpenDT's compose starts its dc-mock: act as dc-mock.
  // A bare start is never a replay of ours, so an ordinary run cannot take this path by surprise.
  if (argv.length === 0 && context.env.CONFIG_FILE) {
    context.info?.(
      "no command given and CONFIG_FILE is set: running as OpenDT's dc-mock (opendt-replay dc-mock); " +
        'opendt-replay --help lists the commands',
    )
    return dispatch(['dc-mock'], context)
  }
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    return { command: 'print', text: mainHelp(width) }
  }
  if (argv[0] === '--version' || argv[0] === '-v') return { command: 'print', text: `${context.version}\n` }
  const name = argv[0]!
  if (!(name in COMMANDS)) {
    throw badInput(
      `unknown command ${quote(name)} (commands: ${Object.keys(COMMANDS).join(', ')}; see opendt-replay --help)`,
    )
  }
  const command = COMMANDS[name as CommandName]
  const rest = argv.slice(1)
  if (rest.includes('--help') || rest.includes('-h'))
    return { command: 'print', text: commandHelp(name as CommandName, width) }
  const { argv: effective, outsideArgv } = withEnvironment(joinValues(rest, command.args), context.env, command.args)
  for (const line of unknownVariables(context.env)) context.warn?.(line)
  checkFlags(effective, command.args, name)
  if ('opendt' in command) return asDcMock(command.args, effective, outsideArgv, context)
  return { command: name, args: parseArgs(effective, cittyView(command.args)), outsideArgv } as Invocation
}

/**
 * `dc-mock`: a replay whose unset flags OpenDT's configuration fills (cli/opendt.ts), so the
 * command line and the OPENDT_REPLAY_ twins win over it, and errors name the setting a value came from.
 */
function asDcMock(
  defs: Record<string, { type: string }>,
  effective: string[],
  outsideArgv: Map<string, string>,
  context: DispatchContext,
): Invocation {
  const end = effective.includes('--') ? effective.indexOf('--') : effective.length
  const given = new Set<string>()
  let traceGiven = end < effective.length - 1
  for (const arg of effective.slice(0, end)) {
    const flag = /^--([^=]+)/.exec(arg)?.[1]
    if (flag === undefined) traceGiven ||= !arg.startsWith('-')
    else if (flag !== 'no-dry-run') given.add(flag.replace(/^no-/, ''))
  }
  const configText = effective.slice(0, end).findLast((a) => a.startsWith('--config='))
  const configPath = configText?.slice('--config='.length) ?? context.env.CONFIG_FILE
  const configName = configText === undefined ? 'CONFIG_FILE' : (outsideArgv.get('config') ?? '--config')
  if (!configPath) {
    throw badInput(
      "opendt-replay dc-mock needs OpenDT's config file: set CONFIG_FILE (as OpenDT's compose does) or pass --config FILE",
    )
  }
  let text: string
  try {
    text = (context.read ?? readTextFile)(configPath)
  } catch (error) {
    throw badInput(`${configName}: ${(error as Error).message}`, error)
  }
  const layer = openDtLayer({
    configPath,
    config: parseOpenDtConfig(configPath, text),
    env: context.env,
    given,
    traceGiven,
  })
  const extra = layer.settings.map((s) => `--${s.flag}=${s.value}`)
  for (const s of layer.settings) outsideArgv.set(s.flag, s.source)
  const args = parseArgs(
    [...effective.slice(0, end), ...extra, ...effective.slice(end)],
    cittyView(defs),
  ) as unknown as ReplayArgs
  if (args.format !== 'dc-mock') {
    throw badInput(
      `${outsideArgv.get('format') ?? '--format'} ${args.format}: opendt-replay dc-mock sends dc-mock's format; use replay for another`,
    )
  }
  if (layer.traceDir) {
    checkWorkloadDir(layer.traceDir)
    args.trace_dir = layer.traceDir.value
  }
  return {
    command: 'replay',
    args,
    outsideArgv,
    opendt: { lines: [`as OpenDT's dc-mock, from ${configName} ${configPath}:`, ...layer.lines], topics: layer.topics },
  }
}

/**
 * The definitions as citty is handed them: an enum flag as a string flag. citty would refuse a
 * value outside the options itself, with its own message (colour codes, no environment twin or
 * OpenDT setting named) and before errors that come first; our check (core/flag-values.ts oneOf) reads
 * the same options, and --help shows them.
 */
function cittyView(defs: Record<string, { type: string }>): ArgsDef {
  return Object.fromEntries(
    Object.entries(defs).map(([flag, def]) => [flag, def.type === 'enum' ? { ...def, type: 'string' } : def]),
  ) as ArgsDef
}

/**
 * `--flag value` as `--flag=value` for flags that take a value, so a value that starts with a
 * dash (`--speed -1`, `--from -1s`) reaches the flag's own check instead of reading as an option.
 */
function joinValues(argv: string[], defs: Record<string, { type: string }>): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') return [...out, ...argv.slice(i)]
    const name = /^--([^=]+)$/.exec(arg)?.[1]
    const takesValue = defs[name ?? '']?.type === 'string' || defs[name ?? '']?.type === 'enum'
    if (name !== undefined && takesValue && i + 1 < argv.length) out.push(`${arg}=${argv[++i]}`)
    else out.push(arg)
  }
  return out
}

/** Flags citty would silently ignore are usage errors. */
function checkFlags(args: string[], defs: Record<string, unknown>, command: string): void {
  const known = new Set(Object.keys(defs).filter((k) => k !== 'trace_dir'))
  for (const arg of args) {
    if (arg === '--') break
    if (!arg.startsWith('-') || arg === '-') continue
    const name = arg.replace(/^--?/, '').split('=')[0]!
    if (!known.has(name) && !(name.startsWith('no-') && known.has(name.slice(3)))) {
      throw badInput(`unknown option ${arg} (see opendt-replay ${command} --help)`)
    }
  }
}

/**
 * OPENDT_REPLAY_ variables that are no flag's twin in any command: a misspelt one would otherwise
 * be ignored without a word. Each gets a line, with the nearest twin when one is close.
 */
export function unknownVariables(env: Record<string, string | undefined>): string[] {
  const known = new Set(
    Object.values(COMMANDS).flatMap((c) =>
      Object.keys(c.args)
        .filter((f) => f !== 'trace_dir')
        .map(envName),
    ),
  )
  const scripts = new Set(['OPENDT_REPLAY_CACHE']) // scripts/kafka.sh's cache folder, not the binary's
  return Object.keys(env)
    .filter((v) => v.startsWith('OPENDT_REPLAY_') && !known.has(v) && !scripts.has(v))
    .sort()
    .map((v) => {
      const near = [...known].find((k) => distance(k, v) <= 2)
      return `${v} is not a setting of opendt-replay${near ? ` (did you mean ${near}?)` : ''}: ignored`
    })
}

/** Levenshtein distance, for the nearest known name. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length]!
}
