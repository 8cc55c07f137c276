import { describe, expect, it } from 'bun:test'
import { COMMANDS, type CommandName } from '../../src/cli/commands.ts'
import { commandHelp, GROUP_ORDER, groupOf, mainHelp, wrapText } from '../../src/cli/help.ts'
import { FORMAT_FLAGS } from '../../src/formats/index.ts'

/** `--help`: every flag in a group, every line within the width, none padded at its end. */
const names = Object.keys(COMMANDS) as CommandName[]

describe('--help', () => {
  it('every flag of every command is shown in a group', () => {
    const orphans = names.flatMap((name) =>
      Object.entries(COMMANDS[name].args)
        .filter(([flag, def]) => def.type !== 'positional' && groupOf(name, flag) === undefined)
        .map(([flag]) => `${name} --${flag}`),
    )
    expect(orphans).toEqual([])
    for (const name of names) {
      const help = commandHelp(name, 80)
      for (const [flag, def] of Object.entries(COMMANDS[name].args)) {
        if (def.type === 'positional') continue
        const shown = def.type === 'boolean' && 'default' in def && def.default === true ? `--no-${flag}` : `--${flag}`
        expect(help).toMatch(new RegExp(`^  ${shown}( |$)`, 'm'))
      }
    }
  })

  it("every group a flag names is one --help orders, or a format's own", () => {
    const known = new Set([...GROUP_ORDER, ...FORMAT_FLAGS.map((f) => f.group)])
    const strays = names.flatMap((name) =>
      Object.keys(COMMANDS[name].args).flatMap((flag) => {
        const group = groupOf(name, flag)
        return group === undefined || known.has(group) ? [] : [`${name} --${flag}: ${group}`]
      }),
    )
    expect(strays).toEqual([])
  })

  for (const width of [60, 80, 120]) {
    it(`at ${width} columns: no line longer, no trailing space, no blank line twice`, () => {
      for (const text of [mainHelp(width), ...names.map((n) => commandHelp(n, width))]) {
        const lines = text.split('\n')
        expect(lines.filter((l) => l.length > width && !/^\s*\S+$/.test(l))).toEqual([])
        expect(lines.filter((l) => / $/.test(l))).toEqual([])
        expect(text).not.toContain('\n\n\n')
      }
    })
  }

  it('groups in order, a flag with its hint, its default, and text wrapped beside it', () => {
    const help = commandHelp('replay', 80)
    const titles = help.split('\n').filter((l) => /^[A-Z][A-Z -]+$/.test(l))
    expect(titles).toEqual([
      'USAGE',
      'ARGUMENTS',
      'INPUT',
      'OUTPUT',
      'PACING',
      'DC-MOCK FORMAT',
      'WHAT-IF HARDWARE',
      'SCALE-OUT',
      'KAFKA',
      'SECURITY',
      'REPORTING',
      'LIVE VIEW',
      'EXAMPLES',
      'ENVIRONMENT',
      'EXIT CODES',
    ])
    expect(help).toContain(
      '  --speed N|max             Trace seconds per wall second; 0.5 slows down, max\n' +
        '                            sends without pacing (default 10)\n',
    )
    expect(help).toContain('  --no-idempotent           Plain producer: faster retries, duplicates possible')
    expect(commandHelp('inspect', 80)).toMatch(/CAPACITY\n(.*\n)* {2}--topology FILE /)
  })

  it('wraps words, and gives a word longer than the width a line of its own', () => {
    expect(wrapText('a bb ccc dddd', 6)).toEqual(['a bb', 'ccc', 'dddd'])
    expect(wrapText('x TRACE_DIR/fragments.parquet y', 10)).toEqual(['x', 'TRACE_DIR/fragments.parquet', 'y'])
  })
})
