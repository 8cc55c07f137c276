/**
 * The messages between the main thread (run/replay.ts) and a stream's worker (run/worker.ts).
 * Besides these, they share only the SharedArrayBuffer of run/control.ts.
 *
 *   main -> worker   WorkerInit, once
 *   worker -> main   ready | error, then (after the release) progress and counts, then done | error
 */
import type { ErrorReason } from '../errors.ts'
import type { Counts, Output, Role, StreamSpec } from '../types.ts'

export interface WorkerInit {
  role: Role
  spec: StreamSpec
  /** Trace seconds per wall second; Infinity for `--speed max`. */
  speed: number
  /** This stream's topic, and every stream's (a merged stream writes both). */
  topic: string
  topics: Record<Role, string>
  output: Output
  verbose: boolean
  /** `--max-lag`: stop when a batch goes out later than this behind schedule, ms. */
  maxLagMs?: number
  /** `--resume`: messages of this stream already acknowledged in an earlier run, skipped. */
  skip: number
  /** The run's SharedArrayBuffer (run/control.ts). */
  shared: SharedArrayBuffer
}

/** The stream is loaded, checked and connected; the worker now waits for the release. */
export interface Ready {
  type: 'ready'
  /** Fragments skipped because their task is missing (fragments worker only). */
  orphans: number
  /** The window, resolved against the trace start (epoch ms; `to` may be Infinity). */
  from: number
  to: number
  /** Latest event time of this stream in the window (for progress percentages). */
  end: number
  /** Event time of the stream's next message (after a resume's skip), Infinity if none. */
  next: number
  /** The tasks file has no duration column (v2): durations are sums of fragment durations. */
  durationDerived: boolean
  /** Idle trace time that `--max-gap` skips in the window, ms. */
  skippedMs: number
}

/** Where each stream stands, when one worker writes both (a merged stream at --speed max to stdout). */
export type ByRole = Record<Role, { sent: number; eventTime: number }>

/** After a batch, at most every 200 ms: where the stream stands. */
export interface ProgressUpdate extends Counts {
  type: 'progress'
  /** Event time of the last message sent. */
  eventTime: number
  /** How late the last batch went out, ms. */
  lateness: number
  byRole?: ByRole
}

/** After every batch sent or acknowledged (Kafka): what `--checkpoint` records. */
export interface CountsUpdate extends Counts {
  type: 'counts'
}

/** The worker failed; what it had sent and had acknowledged by then, when it got that far. */
export interface Failed extends Partial<Counts> {
  type: 'error'
  reason: ErrorReason
  message: string
  stack?: string
  /** Set when this worker was writing both streams: what it wrote of each before failing. */
  byRole?: ByRole
}

/** The stream ended: all of it, or stopped on request, by --max-lag, or by a closed stdout. */
export interface Done extends Counts {
  type: 'done'
  /** The reader of stdout went away. */
  stdoutClosed: boolean
  /** Set when --max-lag stopped the stream: how far behind it was, ms. */
  lagExceeded?: number
  /** The stream's lateness histogram (core/lateness.ts), merged by the main thread. */
  lateness: { counts: Float64Array; count: number; max: number }
  /** Set when this worker wrote both streams: what it wrote of each. */
  byRole?: ByRole
}

export type WorkerMessage = Ready | ProgressUpdate | CountsUpdate | Failed | Done
