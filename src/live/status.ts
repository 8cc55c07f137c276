/**
 * The live view's one contract: what a running command (replay, dc-mock, verify --follow) tells
 * the live page, `/status`, `/metrics`, `/healthz` and `--report`. The command keeps a LiveSource
 * (run/monitor.ts for a replay, verify/live.ts for verify); the edges in live/ only read it.
 * docs/live.md documents every field of LiveStatus, which is `/status` as served.
 */

/** Where a run is. `stalled`: messages wait for an acknowledgement (or the schedule) longer than the notice time. */
export type LiveState = 'starting' | 'waiting' | 'running' | 'stalled' | 'interrupted' | 'done' | 'failed'

/** One topic's figures (a replay: one per stream of the format; verify: one per topic read). */
export interface LiveTopic {
  /** The stream's name in its format (`tasks`, `fragments`, `workload`, ...). */
  stream: string
  topic: string
  /** Handed to the output (replay), or read (verify). */
  sent: number
  acknowledged: number
  /** Key and value bytes of the acknowledged messages. */
  bytesAcknowledged: number
  /** Acknowledged per second over the last few seconds. */
  ratePerSecond: number
  /** verify only: what the topic holds against the trace so far. */
  check?: { expected: number; matched: number; missing: number; duplicated: number; changed: number; foreign: number }
}

export interface LiveLateness {
  /** Messages measured (paced runs; verify: records with a due time). */
  messages: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** How late the oldest message not yet handed over is now (0 when nothing is overdue), ms. */
  currentMs: number
}

export interface LiveStatus {
  /** `replay` (also dc-mock) or `verify`. */
  command: 'replay' | 'verify'
  version: string
  state: LiveState
  /** While stalled: why (`no acknowledgement from 127.0.0.1:9092`), since when (ISO-8601), and for how long. */
  stalled: { reason: string; since: string; seconds: number } | null
  /** After a failure: the error line. */
  error: string | null
  /** Now, ISO-8601: when this status was taken. */
  now: string
  settings: {
    format: string
    output: string
    /** Stream -> topic. */
    topics: Record<string, string>
    /** Trace seconds per wall second, or `max`. */
    speed: number | 'max'
    /** The window, ISO-8601 (`to` null: the trace's end). Null until the trace is loaded. */
    window: { from: string; to: string | null } | null
    /** `K/N`, or null. */
    shard: string | null
    /** The brokers, host:port only (never a credential); null for stdout. */
    brokers: string[] | null
    /** `--stall-after`, seconds: /healthz answers 503 once stalled this long. */
    stallAfterSeconds: number
  }
  /** When the first messages were due (ISO-8601), null before the release. */
  startedAt: string | null
  elapsedSeconds: number
  /** The replay's position on the trace: everything before `acknowledged` is acknowledged. */
  trace: {
    /** The window's first and last event times, ISO-8601 (null until known). */
    from: string | null
    to: string | null
    /** The acknowledged position, ISO-8601, and as Unix seconds (null before the first acknowledgement). */
    acknowledged: string | null
    acknowledgedSeconds: number | null
    /** Of the window, 0 to 1. */
    fraction: number
    /** From acknowledged progress; null while unknown (stalled, or nothing acknowledged yet). */
    etaSeconds: number | null
  }
  topics: LiveTopic[]
  lateness: LiveLateness
  /** Requests the Kafka client retried, and errors it reported. */
  retries: number
  errors: number
  /** Wall seconds since the last acknowledgement (null before the first). */
  secondsSinceLastAcknowledgement: number | null
  /** When the run has ended: its summary, as `--summary-json` writes it (the figures above equal it). */
  summary: unknown | null
}

/**
 * One sample of the run, taken at most 4 times a second, for the charts. Wall seconds since the
 * start; counts are totals so far (a rate is a difference of two points).
 */
export interface LivePoint {
  t: number
  /** Acknowledged position on the trace, Unix seconds (NaN before the first acknowledgement: null in JSON). */
  position: number | null
  /** Per topic, in LiveStatus.topics' order: acknowledged so far. */
  acknowledged: number[]
  /** Lateness of the messages measured since the previous point (null if none), and now. */
  p50Ms: number | null
  p99Ms: number | null
  maxMs: number | null
  currentMs: number
}

/** The trace's CPU demand over trace time, as inspect computes it (what-if host applied), for the demand chart. */
export interface DemandSeries {
  /** Bucket starts, Unix seconds; at most 5,000 of them. */
  t: number[]
  /** Mean and max demand per bucket, MHz. */
  mean: number[]
  max: number[]
  /** The capacity it is drawn against, MHz, and where it comes from (`topology.json: 277 hosts x ...`); null: none known. */
  capacity: { mhz: number; source: string } | null
  /** verify: the demand the twin receives, from the fragments consumed so far (same buckets). */
  received?: number[]
}

/** The charts' data so far: bounded to about 5,000 points per series whatever the run's length. */
export interface LiveHistory {
  points: LivePoint[]
  demand: DemandSeries | null
}

/** What a frame on `/events` carries: the status, and the points since the previous frame. */
export interface LiveFrame {
  status: LiveStatus
  points: LivePoint[]
  /** The whole history instead of `points`: the first frame of a stream, or when the history was thinned. */
  history?: LiveHistory
  /** verify: the buckets of the received demand (DemandSeries.received) that changed since the previous frame, from index `from` on. */
  received?: { from: number; values: number[] }
}

/** The lateness histogram, for /metrics: counts per core/lateness.ts bucket, in ms. */
export interface LatenessHistogram {
  counts: ArrayLike<number>
  count: number
  sumMs: number
  maxMs: number
}

/** What a command that runs with `--http` or `--report` keeps up to date; live/ reads it. */
export interface LiveSource {
  status(): LiveStatus
  history(): LiveHistory
  latenessHistogram(): LatenessHistogram
  /** Frames at most 4 times a second until the run ends (then one last frame); returns an unsubscribe. */
  subscribe(onFrame: (frame: LiveFrame) => void): () => void
}
