import { EXIT_CODE_HELP } from '../errors.ts'
import { envName } from './env.ts'
import { replayArgs } from './flags.ts'

/** Text shown after the generated usage by `--help`: examples, environment twins, exit codes. */

/** Shown after the flags by `--help`. */
export const REPLAY_EPILOGUE = `EXAMPLES

  opendt-replay replay --dry-run                                  the built-in demo trace to stdout
  opendt-replay replay ./surf --dry-run --speed max > surf.ndjson  a whole trace, as fast as possible
  opendt-replay replay ./surf --dry-run --from 2d --to 3d          the third day, paced (10x)
  opendt-replay replay ./surf --brokers localhost:9092             into Kafka topics tasks and fragments
  KAFKA_BROKERS=k1:9092,k2:9092 opendt-replay replay ./surf --speed 100 --partitions 6
  opendt-replay replay ./surf --dry-run --host-cpus 2 --host-mhz 3000  as if every task ran on 2 x 3000 MHz

ENVIRONMENT

  Every flag has a twin: OPENDT_REPLAY_ and the flag in upper case, - as _; a flag given on the
  command line wins. Booleans take 1/true/yes or 0/false/no. KAFKA_BROKERS also sets --brokers.
${Object.entries(replayArgs)
  .filter(([, def]) => def.type !== 'positional')
  .map(([flag]) => `  ${envName(flag).padEnd(36)} --${flag}`)
  .join('\n')}

EXIT CODES

${EXIT_CODE_HELP.map(([codes, , long]) => `  ${codes.padEnd(8)} ${long}`).join('\n')}
`

/** Items joined by commas, wrapped between items at about 96 columns, indented by two spaces. */
function wrap(items: string[]): string {
  const lines: string[] = []
  let line = ''
  for (const item of items) {
    if (line && line.length + item.length + 2 > 96) {
      lines.push(`${line},`)
      line = item
    } else line = line ? `${line}, ${item}` : item
  }
  return [...lines, line].map((l) => `  ${l}`).join('\n')
}

/** Shown after the command list by `opendt-replay --help`. */
export const MAIN_EPILOGUE = `EXAMPLES

  opendt-replay replay --dry-run                       the built-in demo trace, paced, to stdout
  opendt-replay inspect ./surf                         what a trace holds before replaying it
  opendt-replay replay ./surf --brokers k1:9092        the trace into Kafka, 10x faster than real time
  opendt-replay replay --help                          every replay flag, its environment twin, exit codes
  opendt-replay --version                              version, git commit and Bun it was built from

EXIT CODES

${wrap(EXIT_CODE_HELP.map(([codes, short]) => `${codes} ${short}`))}
`

export const INSPECT_EPILOGUE = `EXAMPLES

  opendt-replay inspect ./surf                 what the trace holds, and how long a replay at 10x takes
  opendt-replay inspect ./surf --speed 100     ... at 100x
  opendt-replay inspect ./surf --json | jq .   for scripts
  opendt-replay inspect ./surf --topology ./surf/topology.json --svg demand.svg
                                               CPU demand against the cluster's capacity, drawn
  opendt-replay inspect ./surf --hosts 100 --host-cpus 32 --host-mhz 3000
                                               would 100 hosts of 32 x 3000 MHz keep up?

EXIT CODES

  0    the trace is readable; 2 it is not (one line names the file, column, row and value)
`
