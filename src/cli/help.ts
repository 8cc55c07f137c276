import { type ExitCodeView, exitCodeLines } from '../errors.ts'
import type { FlagDef } from '../types.ts'
import { COMMANDS, type CommandName } from './commands.ts'

/**
 * `--help`: each command's flags in groups, wrapped to the terminal's width (80 columns when stdout
 * is no terminal), with examples, the environment and the exit codes. Pure: the width is given.
 */

/**
 * The order of the groups flags are shown in; each flag names its own (its definition's `group`),
 * and a group not listed here (a format's own) comes after these.
 */
export const GROUP_ORDER: readonly string[] = [
  'INPUT',
  'OUTPUT',
  'PACING',
  'OPENDT',
  'DC-MOCK FORMAT', // formats/dc-mock's helpGroup, placed here
  'WHAT-IF HARDWARE',
  'CAPACITY',
  'SCALE-OUT',
  'KAFKA',
  'SECURITY',
  'READING',
  'REPORTING',
  'LIVE VIEW',
]

/** The group a command's flag is shown in (undefined: none, which a unit test refuses). */
export const groupOf = (command: CommandName, flag: string): string | undefined =>
  (COMMANDS[command].args as Record<string, FlagDef>)[flag]?.group

/** Words of `text` in lines of at most `width` columns (a longer word gets a line of its own). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines
}

/** Two-column items: the left one padded to a column, the right one wrapped beside it (or below, when the left is long). */
function table(items: readonly (readonly [string, string])[], width: number, column = 28): string[] {
  const out: string[] = []
  const room = Math.max(20, width - column)
  for (const [left, right] of items) {
    const text = wrapText(right, room)
    const head = `  ${left}`
    if (head.length + 2 <= column && text.length > 0) {
      out.push(`${head.padEnd(column)}${text[0]}`)
      for (const l of text.slice(1)) out.push(`${' '.repeat(column)}${l}`)
    } else {
      out.push(head)
      for (const l of text) out.push(`${' '.repeat(column)}${l}`)
    }
  }
  return out
}

/** A paragraph indented by two columns, wrapped. */
const paragraph = (text: string, width: number) => wrapText(text, width - 2).map((l) => `  ${l}`)

/** An example: the command line, then what it does, indented below it. */
function examples(items: readonly (readonly [command: string, what: string])[], width: number): string[] {
  return items.flatMap(([command, what]) => [
    ...wrapText(command, width - 2).map((l, i) => (i === 0 ? `  ${l}` : `      ${l}`)),
    ...wrapText(what, width - 6).map((l) => `      ${l}`),
  ])
}

/** One flag as the help names it: `--speed N|max`, `--acks all|1|0` (an enum's options), `--no-idempotent` for a flag that is on by default. */
function flagItem(name: string, def: FlagDef): [string, string] {
  if (def.type === 'boolean' && def.default === true)
    return [`--no-${name}`, def.negativeDescription ?? def.description]
  const hint = def.valueHint ?? def.options?.join('|') ?? 'VALUE'
  const left = def.type === 'boolean' ? `--${name}` : `--${name} ${hint}`
  const shownDefault =
    def.default !== undefined && def.type !== 'boolean' && !/\(default/.test(def.description)
      ? ` (default ${String(def.default)})`
      : ''
  return [left, `${def.description}${shownDefault}`]
}

/** The exit codes as errors.ts's taxonomy says them, in `view`'s meaning. */
const exitCodes = (width: number, view: ExitCodeView = 'replay') => table(exitCodeLines(view), width, 12)

/** A command's `--help` at `width` columns. */
export function commandHelp(name: CommandName, width: number): string {
  const text: (typeof COMMANDS)[CommandName] = COMMANDS[name]
  const { description, args } = text
  const defs = args as Record<string, FlagDef>
  const out: string[] = [
    ...wrapText(`opendt-replay ${name}: ${description}`, width),
    '',
    'USAGE',
    ...usageLines(text.usage, width),
  ]
  const positional = Object.entries(defs).find(([, d]) => d.type === 'positional')
  if (positional)
    out.push(
      '',
      'ARGUMENTS',
      ...table([['argument' in text ? text.argument : 'TRACE_DIR', positional[1].description]], width),
    )
  // The groups in order; a group not listed (a format's own), after them.
  for (const title of new Set([...GROUP_ORDER, ...Object.values(defs).flatMap((d) => d.group ?? [])])) {
    const items = Object.entries(defs)
      .filter(([flag, d]) => d.type !== 'positional' && groupOf(name, flag) === title)
      .map(([flag, d]) => flagItem(flag, d))
    if (items.length > 0) out.push('', title, ...table(items, width))
  }
  out.push('', 'EXAMPLES', ...examples(text.examples, width))
  out.push('', 'ENVIRONMENT', ...text.environment.flatMap((p, i) => [...(i > 0 ? [''] : []), ...paragraph(p, width)]))
  out.push('', 'EXIT CODES', ...exitCodes(width, 'exitCodes' in text ? text.exitCodes : 'replay'))
  return `${out.join('\n')}\n`
}

/** A usage line, wrapped with its continuation lines indented under the command. */
const usageLines = (usage: string, width: number) =>
  wrapText(usage, width - 6).map((l, i) => (i === 0 ? `  ${l}` : `      ${l}`))

/** `opendt-replay --help` at `width` columns. */
export function mainHelp(width: number): string {
  const commands = Object.entries(COMMANDS).map(([name, c]) => [name, c.description] as const)
  const out = [
    ...wrapText('opendt-replay: replay OpenDC workload traces into Kafka, or stdout, in time-scaled real time', width),
    '',
    'USAGE',
    ...usageLines('opendt-replay COMMAND [OPTIONS]   (opendt-replay COMMAND --help: its flags)', width),
    '',
    'COMMANDS',
    ...table(commands, width, 12),
    '',
    'EXAMPLES',
    ...examples(
      [
        ['opendt-replay replay --dry-run', 'the built-in demo trace, paced, to stdout'],
        ['opendt-replay inspect ./surf', 'what a trace holds before replaying it'],
        ['opendt-replay replay ./surf --brokers k1:9092', 'the trace into Kafka, 10x faster than real time'],
        ['opendt-replay verify ./surf --brokers k1:9092', "do the topics hold exactly the replay's messages?"],
        ['opendt-replay --version', 'version, git commit and Bun it was built from'],
      ],
      width,
    ),
    '',
    'EXIT CODES',
    ...exitCodes(width),
  ]
  return `${out.join('\n')}\n`
}
