import { dcMock } from './dc-mock/index.ts'
import type { FormatFlag, FormatRegistry } from './format.ts'
import { tasksFragments } from './tasks-fragments/index.ts'

/**
 * The wire formats, by `--format` name. A new format is a folder beside these and one line here.
 * The edges pick a format from it by name once (cli/options.ts for the commands, run/worker.ts
 * for a worker, which receives the name) and hand its definition down; nothing else looks a
 * format up.
 */
export const FORMATS: FormatRegistry = {
  'tasks-fragments': tasksFragments,
  'dc-mock': dcMock,
}

/** The default `--format`. */
export const DEFAULT_FORMAT = 'tasks-fragments'

/** A format's own flag, as citty defines flags, with the format that reads it and the `--help` group it is shown in. */
export interface FormatFlagEntry {
  format: string
  flag: string
  group: string
  def: FormatFlag
}

/** Every format's flags: each stream's topic flag, then its own flags. */
export function formatFlags(formats: FormatRegistry): readonly FormatFlagEntry[] {
  return Object.values(formats).flatMap((f) => [
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
}

/** The registry's formats' flags (cli/flags.ts makes them flags of the commands, cli/help.ts groups them). */
export const FORMAT_FLAGS = formatFlags(FORMATS)
