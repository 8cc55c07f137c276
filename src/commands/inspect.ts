import { toInspectOptions } from '../cli/options.ts'
import { formatInspection, inspect } from '../inspect/report.ts'
import type { InspectArgs } from '../types.ts'

/** `opendt-replay inspect`: the report on stdout, human-readable or JSON. Returns the exit code. */
export async function inspectCommand(
  args: InspectArgs,
  fromEnvironment: ReadonlySet<string>,
  stdout: (text: string) => void,
): Promise<number> {
  const { trace, speed, json } = toInspectOptions(args, { fromEnvironment })
  const report = await inspect(trace, speed)
  stdout((json ? JSON.stringify(report, null, 2) : formatInspection(report)) + '\n')
  return 0
}
