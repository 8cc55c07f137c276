import { writeFileSync } from 'node:fs'
import type { OutsideArgv } from '../cli/env.ts'
import type { InspectArgs } from '../cli/flags.ts'
import { toInspectOptions } from '../cli/options.ts'
import { ReplayError } from '../errors.ts'
import type { FormatRegistry } from '../formats/format.ts'
import { FORMATS } from '../formats/index.ts'
import { formatInspection, inspect } from '../inspect/report.ts'
import { demandSvg } from '../inspect/svg.ts'
import { reasonOf } from '../trace/file.ts'

/**
 * `opendt-replay inspect`: the report on stdout, human-readable or JSON, and the SVG when asked,
 * with a section for each of `formats` that has one. Returns the exit code.
 */
export async function inspectCommand(
  args: InspectArgs,
  outsideArgv: OutsideArgv,
  stdout: (text: string) => void,
  formats: FormatRegistry = FORMATS,
): Promise<number> {
  const options = toInspectOptions(args, { outsideArgv, formats })
  const definitions = Object.values(formats)
  const { report, demand } = await inspect(options, definitions)
  if (options.svg) {
    try {
      writeFileSync(options.svg, demandSvg(demand, report.demand.host))
    } catch (cause) {
      throw new ReplayError('output-error', `--svg: cannot write ${options.svg}: ${reasonOf(cause)}`, { cause })
    }
  }
  stdout((options.json ? JSON.stringify(report, null, 2) : formatInspection(report, definitions)) + '\n')
  return 0
}
