/**
 * Every flag has an environment-variable twin: OPENDT_REPLAY_ and the flag's name in upper case
 * with `_` for `-` (`--speed` is OPENDT_REPLAY_SPEED). A flag on the command line wins over its twin.
 * Booleans take 1/true/yes or 0/false/no. The flags that choose an output (`--dry-run`, `--brokers`:
 * outputs/index.ts CHOOSING_FLAGS) go together: when the command line names one, the environment
 * sets none. `KAFKA_BROKERS` is read where the Kafka output is resolved (outputs/kafka/flags.ts),
 * after OPENDT_REPLAY_BROKERS. An error in a value from the
 * environment names the variable, not the flag (cli/options.ts flagNamer).
 */
import { quote } from '../echo.ts'
import { badInput } from '../errors.ts'
import { CHOOSING_FLAGS } from '../outputs/index.ts'

export const envName = (flag: string) => `OPENDT_REPLAY_${flag.toUpperCase().replaceAll('-', '_')}`

interface FlagDef {
  type: string
}

/** Flags set outside argv, each with the name an error gives it (`OPENDT_REPLAY_SPEED`). */
export type OutsideArgv = ReadonlyMap<string, string>

/** argv with the flags that only the environment sets appended, and which flags those are (pure). */
export function withEnvironment(
  argv: string[],
  env: Record<string, string | undefined>,
  defs: Record<string, FlagDef>,
): { argv: string[]; outsideArgv: Map<string, string> } {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length
  const given = new Set<string>()
  for (const arg of argv.slice(0, end)) {
    const m = /^--(?:no-)?([^=]+)/.exec(arg)
    if (m) given.add(m[1]!)
  }
  if (CHOOSING_FLAGS.some((flag) => given.has(flag))) for (const flag of CHOOSING_FLAGS) given.add(flag)
  const extra: string[] = []
  const outsideArgv = new Map<string, string>()
  for (const [flag, def] of Object.entries(defs)) {
    if (def.type === 'positional' || given.has(flag)) continue
    const value = env[envName(flag)]
    if (value === undefined || value === '') continue
    if (def.type === 'boolean') {
      const on = /^(1|true|yes)$/i.test(value)
      const off = /^(0|false|no)$/i.test(value)
      if (!on && !off) throw badInput(`${envName(flag)}: expected 1/true/yes or 0/false/no, got ${quote(value)}`)
      extra.push(on ? `--${flag}` : `--no-${flag}`)
    } else {
      extra.push(`--${flag}=${value}`)
    }
    outsideArgv.set(flag, envName(flag))
  }
  return { argv: [...argv.slice(0, end), ...extra, ...argv.slice(end)], outsideArgv }
}

/**
 * Whether the run is verbose, known before the flags are parsed (so a usage error can show its
 * stack too): `--verbose`, or its twin OPENDT_REPLAY_VERBOSE=1 unless `--no-verbose` is given.
 */
export function wantsVerbose(argv: string[], env: Record<string, string | undefined>): boolean {
  if (argv.includes('--verbose')) return true
  if (argv.includes('--no-verbose')) return false
  return /^(1|true|yes)$/i.test(env[envName('verbose')] ?? '')
}
