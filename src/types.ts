/**
 * The shared vocabulary: types that the CLI, the trace loader, the core, the threads and the
 * outputs all speak, and the closed sets of values their flags take. Plain data only (they cross
 * the worker boundary by structured clone); this file imports nothing but types, so no import
 * cycle can start from it.
 */
import type { ArgsDef, ParsedArgs } from 'citty'

/**
 * Flag values as citty parses them, derived from their definitions (a flag's type is written once,
 * there). Every flag optional and writable: a caller may give only some (tests, dc-mock's
 * settings), and a missing default is read from the definition. An enum flag's value is text
 * until our own check reads it against the definition's options (cli/dispatch.ts says why).
 */
export type FlagValues<T> = Parsed<Unchecked<T>>

/** A flag as citty defines it (`options`: an enum flag's values, read by its check and by --help). */
export interface FlagDef {
  type: 'string' | 'boolean' | 'enum' | 'positional'
  description: string
  valueHint?: string
  default?: string | boolean
  options?: readonly string[]
  negativeDescription?: string
  /** The `--help` group it is shown in (INPUT, KAFKA, ...; cli/help.ts orders them). */
  group?: string
}

type Parsed<D> = D extends ArgsDef ? { -readonly [K in keyof ParsedArgs<D>]?: ParsedArgs<D>[K] } : never

/** Enum flags as text: what citty is handed (cli/dispatch.ts cittyView). */
type Unchecked<T> = {
  [K in keyof T]: T[K] extends { type: 'enum' } ? Omit<T[K], 'type' | 'options'> & { type: 'string' } : T[K]
}

/** A wire format's `--format` name: the formats themselves are formats/index.ts's registry. */
export type Format = string

/** One stream of a format (`tasks`, `workload`), with a topic of its own. */
export type Role = string

/** How far one stream got. */
export interface Counts {
  /** Handed to the output (written to stdout, or sent to Kafka). */
  sent: number
  /** Acknowledged by the broker (stdout: equal to sent). */
  acked: number
}

/** A window on event time, absolute epoch ms: from inclusive, to exclusive. */
export interface Window {
  from: number
  to: number
}

/** A point in trace time as a flag gives it: an offset from the trace start, or an instant (epoch ms). */
export type TimeRef = { offset: number } | { absolute: number }

/** Which trace to replay: the two files, or the built-in demo. */
export type TraceSpec = { demo: true } | { demo: false; tasks: string; fragments: string }

/** A what-if host (`--host-cpus N --host-mhz M`): every task runs on one such host (core/cycles.ts). */
export interface Host {
  cpus: number
  /** Each CPU's speed, MHz. */
  mhz: number
  /** How an error names what gave it: `--host-cpus 1 --host-mhz 1e-300`, or the topology file's field. */
  source?: string
}

/** What a worker needs to build its streams. */
export interface StreamSpec {
  trace: TraceSpec
  format: Format
  /** The format's own options, as its `resolve` made them (plain data; formats/<name>/ reads them). */
  formatOptions?: unknown
  /** `--from`/`--to`, resolved against the trace start once it is loaded. */
  from?: TimeRef
  to?: TimeRef
  /** `--strict`: a fragment whose task is missing is an error instead of being skipped. */
  strict: boolean
  /** `--max-gap`: idle stretches longer than this are shortened to it, ms. */
  maxGapMs?: number
  /** `--host-cpus`/`--host-mhz` or `--host-topology`: replay as if every task ran on this host. */
  host?: Host
  /** `--shard K/N`: only the tasks (and their fragments) whose key falls in shard `index` of `count`. */
  shard?: Shard
}

/**
 * One of N processes replaying a trace together: shard `index` of `count` by Kafka's murmur2 of
 * each task's key (core/shard.ts). Streams without a task key (heartbeats, power, topology) come
 * from shard 0, heartbeats and topology from every shard with `control: 'all'`.
 */
export interface Shard {
  index: number
  count: number
  control: ShardControl
}

/**
 * The closed sets of values, each written once: the enum flags that take them read their options
 * from here (`--shard-control`, `--compression`, `--record-time`, `--sasl`), and so do their checks,
 * errors and `--help`.
 */
/** Which shards send the control streams: shard 0 (`first`) or every shard. */
export const SHARD_CONTROLS = ['first', 'all'] as const
export type ShardControl = (typeof SHARD_CONTROLS)[number]
/** Kafka's record-batch compression codecs. */
export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
export type Compression = (typeof COMPRESSIONS)[number]
/** Record timestamps: the send time, or the message's trace time. */
export const RECORD_TIMES = ['send', 'trace'] as const
export type RecordTime = (typeof RECORD_TIMES)[number]
/** The SASL mechanisms kafkajs speaks without a plug-in. */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const
export type SaslMechanism = (typeof SASL_MECHANISMS)[number]

/** How to reach and write to Kafka. */
export interface KafkaConfig {
  brokers: string[]
  clientId: string
  /** -1 (all replicas, the default), 1 (leader only) or 0 (no acknowledgement). */
  acks: -1 | 1 | 0
  /** kafkajs's idempotent producer: retries never duplicate (requires acks -1). */
  idempotent: boolean
  /** Record timestamps: the send time (default) or the message's trace time. */
  recordTime: RecordTime
  /** How long to keep trying to reach the brokers at start, ms. */
  connectTimeoutMs: number
  /** Retries of a failed send before the run gives up (kafka/client.ts sendRetry). */
  sendRetries: number
  /** How record batches are compressed (kafka/codecs.ts); every codec is read whatever this is. */
  compression: Compression
  /** `--batch-size`: most bytes of records per send (over all its partitions); unset: the topics' limit. */
  batchBytes?: number
  /** `--linger`: how long a paced send may wait for messages due after its first, ms (0: none). */
  lingerMs: number
  /** Partitions and replication factor of the topics this run creates. */
  partitions: number
  replicationFactor: number
  /** Per topic, how it is made if this run creates it (OpenDT's kafka.topics); else the two above. */
  topicSettings?: ReadonlyMap<string, TopicSettings>
  /** SASL authentication; the password never leaves this object (not logged, not in summaries). */
  sasl?: { mechanism: SaslMechanism; username: string; password: string }
  /** TLS, with PEM texts: a CA to trust (else the system's), a client certificate and key. */
  tls?: { ca?: string; cert?: string; key?: string }
}

/**
 * How a topic is made when a run creates it (OpenDT's kafka-init settings): partitions and
 * replication factor (unset: the run's own), and topic configs (retention.ms, cleanup.policy, ...).
 */
export interface TopicSettings {
  partitions?: number
  replicationFactor?: number
  configs: Record<string, string>
  /** How an error names the key these settings are under: `/app/config.yaml: kafka.topics.power`. */
  source?: string
}

/**
 * Where a run writes, as data that crosses to the workers: which output (outputs/index.ts, by its
 * name) and its settings, as its `resolve` made them (outputs/<name>/ reads them).
 */
export interface Output {
  kind: string
  config: unknown
}

/**
 * A `--checkpoint` file's content. Messages are acknowledged in stream order (one send in flight
 * per producer), so `acked` is a prefix of the stream that `--resume` skips.
 */
export interface Checkpoint {
  version: 1
  /** What the run replays and where to (trace files, message-shaping flags): a resume must match it. */
  identity: Record<string, string>
  streams: Partial<Record<Role, Counts>>
  /** When it was written, ISO-8601. */
  updated: string
}

/** Everything `replay` needs, checked: what the CLI makes of the flags. */
export interface ReplayOptions {
  spec: StreamSpec
  /** Trace seconds per wall second; Infinity for `--speed max`. */
  speed: number
  /** Each stream's topic: the format's streams, in its order (cli/options.ts). */
  topics: Record<Role, string>
  output: Output
  /** Debug logs, and stacks with internal errors. */
  verbose: boolean
  /** Only errors and the summary on stderr. */
  quiet: boolean
  /** Plain progress lines when stderr is not a terminal, every this many ms. */
  statsIntervalMs: number
  /** `--max-lag`: stop (exit 4) when a stream falls further behind its schedule, ms. */
  maxLagMs?: number
  /** `--checkpoint`: where progress is recorded, and where this run starts from (run/checkpoint.ts). */
  checkpoint?: { path: string; start: Checkpoint }
  /** `--start-at`: the wall-clock instant (epoch ms) the first messages are due, shared by every shard. */
  startAt?: number
  /** `--stall-after`: /healthz fails once the run has been stalled this long, ms. */
  stallAfterMs: number
  /** `--http`: where the live view listens. */
  http?: { host: string; port: number }
  /** `--http-linger`: how long the live view keeps serving after the run, ms. */
  httpLingerMs: number
  /** `--report`: the self-contained HTML report written when the run ends. */
  report?: string
  /** With `--http` or `--report`: the capacity the demand chart is drawn against (live/demand.ts liveCapacity); null: unknown. */
  capacity?: { mhz: number; source: string } | null
}

/** Where `verify` starts reading each partition: its first offset, its end, an offset, or the first record at or after a time. */
export type ReadFrom = { earliest: true } | { latest: true } | { offset: number } | { time: number }

/** Everything `verify` needs, checked: the replay to compare with, and where and how to read. */
export interface VerifyOptions {
  spec: StreamSpec
  topics: Record<Role, string>
  config: KafkaConfig
  from: ReadFrom
  /** `--follow`: read from the end offsets on while a replay runs, and measure lateness. */
  follow: boolean
  /** The replay's speed: the schedule of records without an `opendt-due` header is fitted with it. */
  speed: number
  json: boolean
  verbose: boolean
  quiet: boolean
  /** Differences shown per kind. */
  shown: number
  /** `--http [HOST:]PORT`: serve the live view there: the text given, and how the user named the flag. */
  http?: { listen: string; flag: string }
  /** With `--http`: the capacity the live view draws the demand against (live/demand.ts liveCapacity); null: unknown. */
  capacity?: { mhz: number; source: string } | null
}

/** Everything `inspect` needs, checked. */
export interface InspectOptions {
  trace: { tasks: string; fragments: string }
  /** The speed to estimate the replay time at (Infinity: max). */
  speed: number
  json: boolean
  /** A what-if host: demand and capacity are reported for the retimed trace. */
  host?: Host
  /** The capacity to compare the demand with, MHz, and where it came from. */
  capacity?: { mhz: number; source: string }
  /** Where to draw the demand as SVG. */
  svg?: string
  /** Per format with a section in the report (formats/<name>/ inspect), by name: its inputs, as it resolved them (plain data). */
  formats: Record<Format, unknown>
}
