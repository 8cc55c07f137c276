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
  /** Loaded when the streams built read them (the format's `reads`), or tasks depend on them. */
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

/** A column of the fragments file besides its task ids (trace/schema.ts FRAGMENT_COLUMNS); times are read from `duration`. */
export type FragmentColumn = 'duration' | 'cpu_usage' | 'cpu_count'

/**
 * What one stream reads from the trace, as data: formats/prepare.ts loads, for a worker, what its
 * streams read together (and what the run adds: v2 durations, a what-if host and `--max-gap`
 * read the fragments too). Every stream reads the tasks file whole: it orders and windows the trace.
 */
export interface StreamReads {
  /** The fragments file's columns it reads; none: the file is not read for this stream. */
  fragments?: readonly FragmentColumn[]
  /**
   * It runs to the trace's end, its last task or fragment (BuildContext traceEnd), so the
   * fragments' times are read; under --shard, the whole trace's end, read apart from the shard's.
   */
  toTraceEnd?: boolean
}

/** The trace's events: the tasks' submissions and the fragments' (message) times (core/order.ts). */
export type TraceEvents = 'tasks' | 'fragments'

/** A trace as loaded whole: the tasks, and the fragments grouped by task with their own cpu_count (if the file has it). */
export interface LoadedTrace {
  tasks: Tasks
  fragments: Fragments
}

/** A format's own section of `inspect`'s report: what it would send from the trace. */
export interface FormatInspection {
  /** The section's key in `inspect --json` (`dcMock`); the human-readable report gives its lines. */
  key: string
  /** Its inputs from inspect's flags and the trace folder, checked, as plain data (undefined: none). */
  resolve?(context: ResolveContext): unknown
  /** The section, from the whole trace and its resolved inputs. */
  view(trace: LoadedTrace, inputs: unknown): Promise<unknown>
  /** The section as lines of the human-readable report. */
  lines(view: unknown): string[]
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
  /** Per stream, what it reads from the trace. */
  reads: Readonly<Record<Role, StreamReads>>
  /** The trace's events its messages follow: `--max-gap` shortens the idle stretches between them. */
  activity: readonly TraceEvents[]
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
  /**
   * For `verify`'s report: a value built for the comparison as a difference shows it (dc-mock's
   * topology, built at the epoch: with its wall-clock stamp named instead).
   */
  shownExpected?(role: Role, value: string): string
  /**
   * For `verify --http`: the CPU demand a record of `role` carries, as the twin reads it: `add`
   * called with each fragment's start and end (epoch ms) and usage (MHz). Undefined: the stream
   * carries none (or the format does not say). A value it cannot read adds nothing.
   */
  demandOf?(role: Role): ((value: Buffer, add: (fromMs: number, toMs: number, mhz: number) => void) => void) | undefined
  /**
   * Its streams of `roles` over the built-in demo trace (trace/demo.ts), spelled as its messages are:
   * a paced worker writes them a few hundred times before the release, so that the first due
   * batches run compiled code (run/worker.ts). Without it, nothing is warmed.
   */
  warmUp?(roles: readonly Role[], demo: LoadedTrace): EventStream[]
  /** Its section of `inspect`'s report, if it has one. */
  inspect?: FormatInspection
}

/** Formats by `--format` name: formats/index.ts's registry, or a test's with a fixture format added. */
export type FormatRegistry = Readonly<Record<string, FormatDefinition>>
