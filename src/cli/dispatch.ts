import { parseArgs, renderUsage } from 'citty'
import { badInput } from '../errors.ts'
import type { InspectArgs, ReplayArgs, VerifyArgs } from '../types.ts'
import { envName, withEnvironment } from './env.ts'
import { COMMANDS, type CommandName, mainCommand } from './flags.ts'
import { INSPECT_EPILOGUE, MAIN_EPILOGUE, REPLAY_EPILOGUE, VERIFY_EPILOGUE } from './help.ts'

/** What the command line asks for: a text to print (help, version), or a command with its flags. */
export type Invocation =
  | { command: 'print'; text: string }
  | { command: 'replay'; args: ReplayArgs; fromEnvironment: Set<string> }
  | { command: 'inspect'; args: InspectArgs; fromEnvironment: Set<string> }
  | { command: 'verify'; args: VerifyArgs; fromEnvironment: Set<string> }

export interface DispatchContext {
  env: Record<string, string | undefined>
  /** A warning on stderr (a variable that names no setting). */
  warn?: (text: string) => void
  /** The `--version` line. */
  version: string
  /** stdout is a terminal: help keeps its colours. */
  color: boolean
}

const EPILOGUES: Record<CommandName, string> = {
  replay: REPLAY_EPILOGUE,
  inspect: INSPECT_EPILOGUE,
  verify: VERIFY_EPILOGUE,
}

/** Removes ANSI colour codes (citty colours its usage; a pipe gets plain text). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what the codes start with
const stripColours = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '')

/** argv (without the executable) to an invocation; usage errors are bad input. */
export async function dispatch(argv: string[], context: DispatchContext): Promise<Invocation> {
  const usage = (text: string) => (context.color ? text : stripColours(text)) + '\n'
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    return { command: 'print', text: usage(`${await renderUsage(mainCommand)}\n\n${MAIN_EPILOGUE}`) }
  }
  if (argv[0] === '--version' || argv[0] === '-v') return { command: 'print', text: `${context.version}\n` }
  const name = argv[0]!
  if (!(name in COMMANDS)) {
    throw badInput(`unknown command "${name}" (commands: replay, inspect, verify; see opendt-replay --help)`)
  }
  const command = COMMANDS[name as CommandName]
  const rest = argv.slice(1)
  if (rest.includes('--help') || rest.includes('-h')) {
    const generated = await renderUsage(command.def as Parameters<typeof renderUsage>[0], mainCommand)
    const text = `${generated}\n\n${EPILOGUES[name as CommandName]}`
    return { command: 'print', text: usage(text) }
  }
  const { argv: effective, fromEnvironment } = withEnvironment(
    joinValues(rest, command.args),
    context.env,
    command.args,
  )
  for (const line of unknownVariables(context.env)) context.warn?.(line)
  checkFlags(effective, command.args, name)
  const args = parseArgs(effective, command.args) as unknown
  if (name === 'replay') return { command: 'replay', args: args as ReplayArgs, fromEnvironment }
  if (name === 'verify') return { command: 'verify', args: args as VerifyArgs, fromEnvironment }
  return { command: 'inspect', args: args as InspectArgs, fromEnvironment }
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
    if (name !== undefined && defs[name]?.type === 'string' && i + 1 < argv.length) out.push(`${arg}=${argv[++i]}`)
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
