import type { ExitCodeView } from '../errors.ts'
import { DC_MOCK_ENVIRONMENT } from '../formats/dc-mock/defaults.ts'
import type { FlagValues } from '../types.ts'
import { dcMockArgs, healthcheckArgs, inspectArgs, replayArgs, verifyArgs } from './flags.ts'

/**
 * The commands, each named once: its flags (flags.ts), the line `--help` describes it by, and what
 * its `--help` says beyond its flags. What each does is in commands/; main.ts runs the one dispatch
 * chose.
 */
interface CommandDefinition {
  args: object
  description: string
  usage: string
  examples: readonly (readonly [command: string, what: string])[]
  environment: readonly string[]
  /** How `--help` names the positional argument (default TRACE_DIR). */
  argument?: string
  /** Whose meaning of the exit codes `--help` lists (default a replay's). */
  exitCodes?: ExitCodeView
  /** OpenDT's configuration fills the flags it leaves unset (cli/opendt.ts): dc-mock. */
  opendt?: boolean
}

export const COMMANDS = {
  replay: {
    args: replayArgs,
    description: 'Replay a trace in time-scaled real time',
    usage: 'opendt-replay replay [TRACE_DIR] (--dry-run | --brokers HOST:PORT) [OPTIONS]',
    examples: [
      ['opendt-replay replay --dry-run', 'the built-in demo trace to stdout, paced'],
      ['opendt-replay replay ./surf --dry-run --speed max > surf.ndjson', 'a whole trace, as fast as possible'],
      ['opendt-replay replay ./surf --dry-run --from 2d --to 3d', 'the third day, paced (10x)'],
      ['opendt-replay replay ./surf --brokers localhost:9092', 'into the Kafka topics tasks and fragments'],
      ['opendt-replay replay ./surf --brokers k1:9092 --format dc-mock', "what OpenDT's dc-mock sends"],
      [
        'opendt-replay replay ./surf --brokers k1:9092 --http 9464',
        'with the live page, /metrics and /healthz at 127.0.0.1:9464',
      ],
      ['opendt-replay replay ./surf --dry-run --host-cpus 2 --host-mhz 3000', 'as if every task ran on 2 x 3000 MHz'],
    ],
    environment: [
      'Every flag has a twin: OPENDT_REPLAY_ and the flag in upper case, - as _ (OPENDT_REPLAY_SPEED=100, OPENDT_REPLAY_DRY_RUN=1); a flag on the command line wins. Booleans take 1/true/yes or 0/false/no.',
      'KAFKA_BROKERS also sets --brokers; KAFKA_SASL_PASSWORD is the SASL password (never a flag).',
    ],
  },
  inspect: {
    args: inspectArgs,
    description: 'Describe a trace before replaying it',
    usage: 'opendt-replay inspect [TRACE_DIR] [OPTIONS]',
    examples: [
      ['opendt-replay inspect ./surf', 'what the trace holds, and how long a replay at 10x takes'],
      ['opendt-replay inspect ./surf --json | jq .', 'for scripts'],
      [
        'opendt-replay inspect ./surf --topology ./surf/topology.json --svg demand.svg',
        "CPU demand against the cluster's capacity, drawn",
      ],
      [
        'opendt-replay inspect ./surf --hosts 100 --host-cpus 32 --host-mhz 3000',
        'would 100 hosts of 32 x 3000 MHz keep up?',
      ],
    ],
    environment: ['Every flag has a twin: OPENDT_REPLAY_ and the flag in upper case, - as _.'],
  },
  verify: {
    args: verifyArgs,
    description: "Check what a replay's topics hold against the trace",
    exitCodes: 'verify',
    usage: 'opendt-replay verify [TRACE_DIR] --brokers HOST:PORT [the replay flags] [OPTIONS]',
    examples: [
      ['opendt-replay verify ./surf --brokers k1:9092', 'after a replay: the topics against the trace'],
      ['opendt-replay verify ./surf --brokers k1:9092 --from 1d --to 2d', 'of a window (the same flags as the replay)'],
      ['opendt-replay verify ./surf --brokers k1:9092 --since 2026-11-26T15:00:00Z', 'topics that hold older runs too'],
      [
        'opendt-replay verify ./surf --brokers k1:9092 --follow --speed 100 --to 1h',
        'start before the replay: lateness as records arrive',
      ],
    ],
    environment: [
      "Every record of the format's topics is matched by key and value (a 64-bit hash) with the messages the trace defines: missing, duplicated, changed, not in the trace, and out of order are counted, and the first --show of each kind shown with their offsets.",
      'Flags have environment twins (OPENDT_REPLAY_ and the flag in upper case, - as _).',
    ],
  },
  'dc-mock': {
    args: dcMockArgs,
    description: "Replay as OpenDT's dc-mock: settings from its config file and environment, flags over them",
    argument: 'WORKLOAD_DIR',
    opendt: true,
    usage: 'opendt-replay dc-mock [WORKLOAD_DIR] [OPTIONS]',
    examples: [
      [
        'CONFIG_FILE=config/default.yaml WORKLOAD_DIR=workload/SURF KAFKA_BOOTSTRAP_SERVERS=localhost:9092 opendt-replay dc-mock',
        "OpenDT's dc-mock, as its compose starts it",
      ],
      [
        'CONFIG_FILE=config/default.yaml opendt-replay dc-mock ./surf --dry-run --to 1h --speed max',
        "the first hour of what it would send, to stdout, the config file's speed overridden",
      ],
    ],
    environment: [
      "In OpenDT's stack, a drop-in for its dc-mock service: started with the environment OpenDT's compose gives dc-mock, and no flags, it replays as dc-mock does.",
      `CONFIG_FILE is OpenDT's config file (--config; required); WORKLOAD_DIR the workload folder (TRACE_DIR; default ${DC_MOCK_ENVIRONMENT.workloadDir}); KAFKA_BOOTSTRAP_SERVERS the brokers (--brokers; default ${DC_MOCK_ENVIRONMENT.bootstrap}).`,
      'From the config file, read as OpenDT reads it (PyYAML and its pydantic models; a scalar YAML 1.1 and 1.2 read differently, like 010, is refused with both readings): global.speed_factor (--speed; -1 is max), services.dc-mock.heartbeat_frequency_minutes (--heartbeat), kafka.topics.{workload,power,topology}.name (the topics, required as dc-mock requires them); a missing topic is created with its partitions, replication_factor and config.',
      'A flag, or its OPENDT_REPLAY_ twin, wins over all of these; stderr says where each setting came from. Started with no command at all while CONFIG_FILE is set, opendt-replay runs this command.',
    ],
  },
  healthcheck: {
    args: healthcheckArgs,
    description: "Ask a running replay's /healthz (--http): exit 0 when healthy, 1 when not",
    exitCodes: 'healthcheck',
    usage: 'opendt-replay healthcheck [--http [HOST:]PORT] [--timeout DURATION]',
    examples: [
      ['OPENDT_REPLAY_HTTP=0.0.0.0:9464 opendt-replay healthcheck', "a container's health check, beside its replay"],
      ['opendt-replay healthcheck --http 127.0.0.1:9464', 'a replay started with --http 9464'],
    ],
    environment: [
      "For an image without curl: a compose healthcheck runs it in the replay's container, which has OPENDT_REPLAY_HTTP set. It prints the answer in one line on stdout.",
    ],
  },
} as const satisfies Record<string, CommandDefinition>

export type CommandName = keyof typeof COMMANDS

/** Each command's flag values, as citty parses them. */
export type CommandArgs = { [C in CommandName]: FlagValues<(typeof COMMANDS)[C]['args']> }
