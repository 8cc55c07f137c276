import type { ConsolaInstance } from 'consola'
import type { ReadText } from '../core/flag-values.ts'
import type { Sink, WriteGate } from '../core/pacer.ts'
import type { ErrorReason } from '../errors.ts'
import type { Counts, FlagDef, Role, TopicSettings } from '../types.ts'

/**
 * What an output is: everything the rest of the code asks of one, so that an output lives in one
 * folder (outputs/<name>/index.ts) and one line of the registry (outputs/index.ts). The main thread
 * chooses it from the flags, checks it before the run, prepares it while the workers load, and
 * reports it in the summary and the checkpoint; each worker connects it before the release, opens
 * it after, paces into its sink, and lets it go. Nothing outside outputs/ asks which output it is.
 */

/**
 * How far each stream got: handed to the output and acknowledged by it, the event time of the last
 * message of each, and the key and value bytes acknowledged.
 */
export type StreamFigures = Partial<Record<Role, Counts & { eventTime: number; ackedTime: number; bytesAcked: number }>>

/**
 * What a worker paces its streams into (stdout, Kafka): the pacer adds messages and flushes
 * batches (core/pacer.ts Sink); `figures` feed progress and the summary; `close` waits for what is
 * still in flight and throws if it failed.
 */
export interface OutputSink extends Sink {
  figures(): StreamFigures
  /** The event time of the earliest message handed over and not yet acknowledged (Infinity: none). */
  pendingFrom(): number
  close(): Promise<void>
}

/** Figures without the event times: what the summary counts. */
export const countsOf = (figures: StreamFigures): Partial<Record<Role, Counts>> =>
  Object.fromEntries(Object.entries(figures).map(([role, f]) => [role, { sent: f!.sent, acked: f!.acked }]))

/** What an output's `resolve` reads: its flag values, the environment, files, and how the user named a flag. */
export interface ResolveContext<Args> {
  args: Args
  env: Record<string, string | undefined>
  read: ReadText
  /** How the user named a flag, for an error: `--acks`, or its environment twin. */
  name: (flag: string) => string
  /** How each topic this run may create is made (OpenDT's kafka.topics), by topic name. */
  topicSettings?: ReadonlyMap<string, TopicSettings>
}

/** The largest message a run will send to a topic: what it is (`task 2133099`) and its size. */
export interface Largest {
  what: string
  bytes: number
}

/** How the one pacing loop (run/worker.ts) drives an opened output. */
export interface OpenedOutput {
  sink: OutputSink
  /** Largest batch handed to the sink at once. */
  maxBatch: number
  /** How long a paced batch may wait for messages due after its first, ms (core/pacer.ts). */
  lingerMs?: number
  /** Orders writes with the other worker (both write one stream, in one order). */
  gate?: WriteGate
  /** Polled by the pacer: true stops the run cleanly. */
  stopped(): boolean
  /** The reader went away (a clean end, exit 141). */
  readerGone(): boolean
  /** An error mid-run as the worker reports it; undefined: it is the reader going away. */
  failure(error: unknown): { reason: ErrorReason; message: string; stack?: string } | undefined
}

/** What a worker hands an output when it opens it, after the release (run/worker.ts). */
export interface OpenContext {
  /** The topic of each stream this worker writes. */
  topics: Partial<Record<Role, string>>
  /** Trace seconds per wall second; Infinity for `--speed max`. */
  speed: number
  /** A stop was asked for (run/control.ts). */
  stopping(): boolean
  /** Runs a write holding the lock both workers share (run/control.ts withStdoutLock). */
  lock: <T>(fn: () => T) => T
  /** Orders this worker's writes with the other's (run/gate.ts), for an output both write in one order. */
  gate: WriteGate
  /** The largest batch this worker's topics take, in bytes (what `prepare` found; Infinity: no limit). */
  maxMessageBytes: number
  /** Hands counts to the main thread as messages are sent and acknowledged (what `--checkpoint` records). */
  onCounts(counts: Partial<Record<Role, Counts>>): void
}

/**
 * An output: `Config` is its settings (plain data, cloned to the workers), `Connection` what a
 * worker connects before the release (Kafka's producer), `Args` its flags' values.
 */
export interface OutputDefinition<Config = unknown, Connection = unknown, Args = Record<string, unknown>> {
  /** Its name: the JSON summary's `output`, and how a worker finds it again (types.ts Output). */
  name: string
  /** What errors call it (`Kafka`), and the flag that chooses it (`brokers`). */
  title: string
  flag: string
  /** How to choose it, for the error when nothing is chosen: `--dry-run for stdout`. */
  choice: string
  /** Its flags, as citty defines them; the replay spreads them into its own (cli/flags.ts). */
  flags: Readonly<Record<string, FlagDef>>
  /** Whether the flags ask for it: by a flag (two such exclude each other), by the environment alone, or not. */
  asked(args: Args, env: Record<string, string | undefined>): 'flag' | 'environment' | undefined
  /** Its flags checked and mapped to its settings; undefined: asked for with nothing to write to. */
  resolve(context: ResolveContext<Args>): Config | undefined
  /** Its flags checked when another output is chosen: meaningless there, yet a malformed one is refused. */
  checkUnused?(context: ResolveContext<Args>): void

  /** Whether a message is acknowledged apart from being written: the summary and progress count both. */
  acknowledges: boolean
  /** Whether both workers write one stream, in one order: at --speed max one worker writes them all. */
  oneStream: boolean
  /** Whether the workers measure each stream's largest message, for `prepare`. */
  measuresLargest: boolean
  /** Before anything is loaded: what would make the run pointless (stdout closed at start). */
  preflight?(config: Config): void
  /**
   * Main thread, while the workers load: makes the topics ready, once the workers have measured
   * their largest messages (`largest`; undefined: the run is abandoned). Per topic, the largest
   * batch it takes; undefined: the run was abandoned.
   */
  prepare?(
    config: Config,
    topics: string[],
    log: ConsolaInstance,
    largest: Promise<Map<string, Largest> | undefined>,
  ): Promise<ReadonlyMap<string, number> | undefined>
  /** Why a stalled run waits, as the progress line and the live view say it (`no acknowledgement from k1:9092`). */
  stallReason(config: Config): string
  /** What the run's first line adds about where it writes (` into tasks and fragments at k1:9092`). */
  where(config: Config, topics: readonly string[]): string
  /** Its fields of the JSON summary: the same keys whichever the run, so scripts read one shape. */
  summary(config: Config): Record<string, unknown>
  /** What a checkpoint of a run into it must agree on (`--brokers`); absent: it cannot be checkpointed. */
  identity?(config: Config): Record<string, string>
  /** Why `--checkpoint` is refused with it (it has no identity). */
  unresumable?: string

  /**
   * Worker, before the release: connects (Kafka: its producer), `paced` when the first batches must
   * be fast; `counters` count its client's retries and errors for the live view.
   */
  connect?(
    config: Config,
    context: { verbose: boolean; paced: boolean; counters?: { retried(): void; failed(): void } },
  ): Promise<Connection>
  /** Worker, after the release: the sink, and how the pacing loop drives it. */
  open(config: Config, connection: Connection, context: OpenContext): Promise<OpenedOutput>
  /** Worker, once its streams end (or the run is abandoned before the release): lets go of the connection. */
  disconnect?(connection: Connection): Promise<void>
}
