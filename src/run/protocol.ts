/**
 * The messages between the main thread (run/replay.ts) and a stream's worker (run/worker.ts).
 * Besides these, they share only the SharedArrayBuffer of run/control.ts.
 *
 *   main -> worker   WorkerInit, once
 *   worker -> main   ready | error, then (after the release) counts, then done | error
 *
 * Progress goes through the shared figures of run/figures.ts, not in messages.
 */

import type { Demand } from '../core/demand.ts'
import type { ErrorReason } from '../errors.ts'
import type { Counts, Output, Role, StreamSpec } from '../types.ts'

/** Per stream: a worker's counts (only the streams it writes). */
export type StreamCounts = Partial<Record<Role, Counts>>

export interface WorkerInit {
  /** Which of the two workers: 0 goes first on ties at the gate (run/gate.ts). */
  slot: 0 | 1
  /** The streams this worker writes, merged in time order (none: it loads nothing, and ends at the release). */
  roles: Role[]
  spec: StreamSpec
  /** Trace seconds per wall second; Infinity for `--speed max`. */
  speed: number
  topics: Record<Role, string>
  output: Output
  verbose: boolean
  /** `--max-lag`: stop when a batch goes out later than this behind schedule, ms. */
  maxLagMs?: number
  /** `--resume`: messages of this worker's streams already acknowledged in an earlier run, skipped. */
  skip: number
  /** The run's SharedArrayBuffer (run/control.ts). */
  shared: SharedArrayBuffer
  /** A live view draws the trace's demand: the worker that loads the fragments' usages computes it. */
  demand: boolean
  /** The run's live figures (run/figures.ts), laid out by `streams`: the format's streams, in its order. */
  figures: SharedArrayBuffer
  streams: Role[]
}

/** The streams are loaded, checked and connected; the worker now waits for the release. */
export interface Ready {
  type: 'ready'
  /** Fragments skipped because their task is missing. */
  orphans: number
  /** The window, resolved against the trace start (epoch ms; `to` may be Infinity). */
  from: number
  to: number
  /** Per stream: the latest event time in the window (for progress percentages). */
  ends: StreamEnds
  /** Event time of the next message (after a resume's skip), Infinity if none. */
  next: number
  /** The tasks file has no duration column (v2): durations are sums of fragment durations. */
  durationDerived: boolean
  /** Idle trace time that `--max-gap` skips in the window, ms. */
  skippedMs: number
  /** Per stream, with Kafka output: its largest message (a topic's max.message.bytes must fit it). */
  largest: Partial<Record<Role, { key: string; bytes: number }>>
  /** Things worth one line on stderr (the main thread logs each distinct one once). */
  notes: string[]
  /** Asked for (WorkerInit.demand) by a worker that loaded the usages: the trace's CPU demand (core/demand.ts). */
  demand?: Demand
}

export type StreamEnds = Partial<Record<Role, number>>

/** After every batch sent or acknowledged (Kafka): what `--checkpoint` records. */
export interface CountsUpdate {
  type: 'counts'
  counts: StreamCounts
}

/** The worker failed; what it had sent and had acknowledged by then, when it got that far. */
export interface Failed {
  type: 'error'
  reason: ErrorReason
  message: string
  stack?: string
  counts?: StreamCounts
}

/** The streams ended: all of them, or stopped on request, by --max-lag, or by a closed stdout. */
export interface Done {
  type: 'done'
  counts: StreamCounts
  /** The reader of stdout went away. */
  stdoutClosed: boolean
  /** Set when --max-lag stopped the stream: how far behind it was, ms. */
  lagExceeded?: number
  /** The lateness histogram (core/lateness.ts), merged by the main thread. */
  lateness: { counts: Float64Array; count: number; max: number; sum: number }
}

export type WorkerMessage = Ready | CountsUpdate | Failed | Done
