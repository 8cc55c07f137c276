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
  opendt-replay verify ./surf --brokers k1:9092        do the topics hold exactly the replay's messages?
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

export const VERIFY_EPILOGUE = `EXAMPLES

  opendt-replay verify ./surf --brokers k1:9092            after a replay: the topics against the trace
  opendt-replay verify ./surf --brokers k1:9092 --from 1d --to 2d   ... of a window (the same flags as the replay)
  opendt-replay verify ./surf --brokers k1:9092 --since 2026-11-26T15:00:00Z   topics that hold older runs too
  opendt-replay verify ./surf --brokers k1:9092 --follow --speed 100 --to 1h
                                                           start before the replay: lateness as records arrive
  opendt-replay verify ./surf --brokers k1:9092 --json | jq .exact

  Every record of the format's topics is matched by key and value (a 64-bit hash) with the
  messages the trace defines: missing, duplicated, changed, not in the trace, and out of order (in
  its partition, and for its key) are counted, and the first --show of each kind shown with their
  offsets. Flags have environment twins (OPENDT_REPLAY_ and the flag in upper case, - as _).

EXIT CODES

  0    the topics hold exactly the replay's messages
  1    they do not (or an internal error)
  2    bad input (a flag or the trace)
  3    Kafka unreachable, or lost while reading
  5    the brokers rejected the SASL credentials
  6    stdout could not be written (closed, a full disk)
  130/143  stopped by SIGINT/SIGTERM (once reading began, the report of what was read is printed)
  141  the reader of stdout went away (| head)
`

export const DC_MOCK_EPILOGUE = `OPENDT'S SETTINGS

  In OpenDT's stack, a drop-in for its dc-mock service: started with the environment OpenDT's
  compose gives dc-mock, and no flags, it replays as dc-mock does.
    CONFIG_FILE              OpenDT's config file (--config); required
    WORKLOAD_DIR             the workload folder (TRACE_DIR; default /app/workload)
    KAFKA_BOOTSTRAP_SERVERS  the brokers (--brokers; default kafka:29092)
  From the config file: global.speed_factor (--speed; -1 is max), services.dc-mock.
  heartbeat_frequency_minutes (--heartbeat), kafka.topics.{workload,power,topology}.name (the
  topics); a missing topic is created with that entry's partitions, replication_factor and config.
  A flag, or its OPENDT_REPLAY_ twin, wins over all of these; stderr says where each came from.
  Started with no command at all while CONFIG_FILE is set, opendt-replay runs this command.

EXAMPLES

  CONFIG_FILE=config/default.yaml WORKLOAD_DIR=workload/SURF KAFKA_BOOTSTRAP_SERVERS=localhost:9092 \\
    opendt-replay dc-mock                         OpenDT's dc-mock, as its compose starts it
  CONFIG_FILE=config/default.yaml opendt-replay dc-mock ./surf --dry-run --to 1h --speed max

EXIT CODES

${EXIT_CODE_HELP.map(([codes, , long]) => `  ${codes.padEnd(8)} ${long}`).join('\n')}
`
