import type { OutsideArgv } from '../cli/env.ts'
import type { VerifyArgs } from '../cli/flags.ts'
import { toVerifyOptions } from '../cli/options.ts'
import type { FormatRegistry } from '../formats/format.ts'
import { type VerifyEdges, verify } from '../verify/run.ts'

export interface VerifyCommandEdges extends VerifyEdges {
  env: Record<string, string | undefined>
  /** The formats `--format` names (default formats/index.ts's; a test adds a fixture format). */
  formats?: FormatRegistry
}

/**
 * `opendt-replay verify`: the flags to checked options, then verify/run.ts reads the topics back
 * and checks them against the replay those options define.
 */
export async function verifyCommand(
  args: VerifyArgs,
  outsideArgv: OutsideArgv,
  edges: VerifyCommandEdges,
): Promise<number> {
  const { options, format } = toVerifyOptions(args, { env: edges.env, outsideArgv, formats: edges.formats })
  if (options.quiet) edges.log.level = 1
  return verify(options, format, edges, args.since)
}
