import { badInput } from '../errors.ts'
import type { Output } from '../types.ts'
import { KAFKA } from './kafka/index.ts'
import type { OutputDefinition, ResolveContext } from './output.ts'
import { STDOUT } from './stdout/index.ts'

/**
 * The outputs, as a registry: a run writes into one of them, chosen by the flags. Each lives in
 * its folder (outputs/<name>/index.ts, an OutputDefinition) and is listed here, in the order
 * `--help` and the errors name them. A new output is its folder and a line here.
 */
const LIST = [KAFKA, STDOUT] as const

export const OUTPUTS: readonly OutputDefinition[] = LIST

/** Every output's flags, as citty defines them (cli/flags.ts spreads them into the replay's). */
export const OUTPUT_FLAGS = Object.assign({}, ...LIST.map((o) => o.flags)) as UnionToIntersection<
  (typeof LIST)[number]['flags']
>

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never

/** The flags that choose an output: when argv names one, the environment sets none of them (cli/env.ts). */
export const CHOOSING_FLAGS: readonly string[] = OUTPUTS.map((o) => o.flag)

/** The definition of a run's output, for the code that runs it (a worker gets the output as data). */
export function outputOf(output: Output): OutputDefinition {
  const definition = OUTPUTS.find((o) => o.name === output.kind)
  if (!definition) throw new Error(`no output "${output.kind}"`)
  return definition
}

/**
 * The output the flags choose, its settings checked: the one whose flag is given (two exclude
 * each other), else the one the environment names (KAFKA_BROKERS); none is an error naming how
 * each is chosen.
 */
export function chooseOutput(context: ResolveContext<Record<string, unknown>>): Output {
  const { args, env } = context
  const flagged = OUTPUTS.filter((o) => o.asked(args, env) === 'flag')
  if (flagged.length > 1) {
    throw badInput(
      `${flagged.map((o) => `--${o.flag}`).join(' and ')} exclude each other: pick ${flagged.map((o) => o.title).join(' or ')}`,
    )
  }
  const chosen = flagged[0] ?? OUTPUTS.find((o) => o.asked(args, env) === 'environment')
  if (chosen) for (const other of OUTPUTS) if (other !== chosen) other.checkUnused?.(context)
  const config = chosen?.resolve(context)
  if (!chosen || config === undefined) {
    throw badInput(`no output chosen: pass ${OUTPUTS.map((o) => o.choice).join(', or ')}`)
  }
  return { kind: chosen.name, config }
}

/**
 * Why `--checkpoint` is refused with this output (undefined: it takes one): it needs an output that
 * acknowledges what it wrote, `needs Kafka output (--brokers): a dry-run has nothing to resume`.
 */
export function whyNoCheckpoint(output: Output): string | undefined {
  const definition = outputOf(output)
  if (definition.identity) return undefined
  const resumable = OUTPUTS.filter((o) => o.identity).map((o) => `${o.title} output (--${o.flag})`)
  return `needs ${resumable.join(' or ')}: ${definition.unresumable}`
}
