import { dcMock } from './dc-mock/index.ts'
import type { FormatDefinition, FormatFlag } from './format.ts'
import { tasksFragments } from './tasks-fragments/index.ts'

/**
 * The wire formats, by `--format` name: the rest of the code asks this registry, never a format
 * by name. A new format is a folder beside these and one line here.
 */
export const FORMATS: Readonly<Record<string, FormatDefinition>> = {
  'tasks-fragments': tasksFragments,
  'dc-mock': dcMock,
}

/** The default `--format`. */
export const DEFAULT_FORMAT = 'tasks-fragments'

/** A format by name (the name was checked when the flags were read). */
export function formatOf(name: string): FormatDefinition {
  const format = FORMATS[name]
  if (!format) throw new Error(`no format "${name}" in formats/index.ts`)
  return format
}

/**
 * Every format's flags, as citty defines flags: each stream's topic flag, then its own flags, with
 * the format that reads them and the `--help` group they are shown in.
 */
export const FORMAT_FLAGS: readonly { format: string; flag: string; group: string; def: FormatFlag }[] = Object.values(
  FORMATS,
).flatMap((f) => [
  ...Object.values(f.topics).map((t) => ({
    format: f.name,
    flag: t.flag,
    group: f.helpGroup,
    def: {
      type: 'string' as const,
      valueHint: 'NAME',
      description: `${f.name}: topic for ${t.holds}, created if missing (default ${t.default})`,
    },
  })),
  ...Object.entries(f.flags).map(([flag, def]) => ({ format: f.name, flag, group: f.helpGroup, def })),
])
