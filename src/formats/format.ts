import type { EventStream } from '../core/stream.ts'
import type { Fragments, Tasks } from '../trace/model.ts'
import type { ReplayOptions, Role, StreamSpec, TraceSpec, Window } from '../types.ts'

/**
 * What a wire format is: everything the rest of the code asks of one, so that a format lives in
 * one folder (formats/<name>/index.ts) and one line of the registry (formats/index.ts).
 */

/** A flag as citty defines it (cli/flags.ts spreads every format's flags into the replay's). */
export interface FormatFlag {
  type: 'string' | 'boolean'
  description: string
  valueHint?: string
}

/** The raw flag values a format's `resolve` reads, and what it is handed to read files and name flags. */
export interface ResolveContext {
  /** Every flag's raw value, by name (the format's own among them). */
  args: Readonly<Record<string, unknown>>
  trace: TraceSpec
  /** How the user named a flag, for an error: `--heartbeat`, or its environment twin. */
  name: (flag: string) => string
  /** Reads a text file a flag names (trace/file.ts readTextFile, or a test's). */
  read: (path: string) => string
}

/** The largest message of each stream (Kafka output: a topic's max.message.bytes must fit it). */
export type LargestMessages = Partial<Record<Role, { key: string; bytes: number }>>

/** The trace as prepare loaded it for a worker, and where a format puts the streams it builds. */
export interface BuildContext {
  spec: StreamSpec
  tasks: Tasks
  /** Loaded when the format's `needs` asked for them (or tasks depend on them). */
  fragments?: Fragments
  window: Window
  /** The trace start (the earliest submission) and end (the last task or fragment of the whole trace). */
  start: number
  traceEnd: number
  /** The last task's and the last fragment's event times (-Infinity without fragments). */
  lastTask: number
  lastFragment: number
  /** This process sends the streams without a task key: not a shard, or shard 0. */
  first: boolean
  /** This process sends control streams (heartbeats, topology): shard 0, or every shard with --shard-control all. */
  control: boolean
  /** Measure the largest message of each stream (the output's topics must fit it: outputs/output.ts measuresLargest). */
  measureLargest: boolean
  /** Stamps wall-clock fields (dc-mock's topology); verify builds them at the epoch. */
  wallClock: () => number
  /** Out: the streams built, each stream's last event time, largest messages, lines for stderr. */
  streams: EventStream[]
  ends: Partial<Record<Role, number>>
  largest: LargestMessages
  notes: string[]
}

/** How a checkpoint identifies its inputs (run/checkpoint.ts). */
export interface IdentifyTools {
  /** A file: its path, size and a hash of its last 64 KiB. */
  file(path: string): Promise<string>
  /** A text's hash: the first 16 hex digits of its SHA-256. */
  hash(text: string): string
}

/** What the fragments file must give a worker's streams. */
export interface FragmentNeeds {
  /** Load the fragments. */
  fragments: boolean
  /** Only their times are needed (the trace's end), not their usage. */
  timesOnly: boolean
  /** Keep a fragment's own cpu_count column. */
  cpuCount: boolean
  /** A shard needs the whole trace's end (its control streams run to it). */
  wholeEnd: boolean
}

export interface FormatDefinition {
  /** `--format NAME`. */
  name: string
  /** What it sends, for `--help`'s line on --format. */
  summary: string
  /** Its streams, in the order summaries list them; each gets a topic of its own. */
  streams: readonly Role[]
  /** Per stream: the flag naming its topic, the topic by default, and what the stream holds (for --help). */
  topics: Readonly<Record<Role, { flag: string; default: string; holds: string }>>
  /** Its own flags beyond the topic flags, shown in `--help` under `helpGroup`. */
  flags: Readonly<Record<string, FormatFlag>>
  helpGroup: string
  /** The streams each of the two workers writes (at --speed max to stdout one worker writes all). */
  workers: readonly [readonly Role[], readonly Role[]]
  /** Its flags checked, as plain data for the workers (undefined: it has none). */
  resolve?(context: ResolveContext): unknown
  /** What the worker writing `roles` needs from the fragments file (a what-if host adds usage; prepare sees to it). */
  needs(roles: readonly Role[]): FragmentNeeds
  /** A task's record key, for `--shard` (undefined: the task is never sent, shard 0 counts it). */
  taskKey(idJson: string): Uint8Array | undefined
  /** Builds the streams of `roles` into `context`. */
  build(roles: readonly Role[], context: BuildContext): Promise<void>
  /**
   * What a checkpoint must agree on beyond the trace, window and output (its topics, its inputs).
   * run/checkpoint.ts hands it how it identifies a file (size and a hash of its tail) and a text.
   */
  identity?(options: ReplayOptions, identify: IdentifyTools): Promise<Record<string, string>>
  /** For `verify`: what of a record's value is compared (dc-mock's topology: without its wall clock). */
  normalize?(role: Role): ((value: Buffer) => Buffer) | undefined
  /** How an error names a stream's largest message (`task 2133099`). */
  describeLargest?(role: Role, key: string): string
  /** Lines for stderr before the run, from its resolved options (an input that is not there). */
  notes?(options: unknown): string[]
  /** Keys of its control streams (sent by shard 0, or by every shard with --shard-control all): verify --shard. */
  controlKeys?: readonly Uint8Array[]
}
