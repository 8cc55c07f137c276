import type { Demand } from '../core/demand.ts'
import { bucketLimit, Lateness } from '../core/lateness.ts'
import { isoTime, round3 } from '../core/text.ts'
import { demandBuckets, demandSeries, ReceivedDemand } from '../live/demand.ts'
import type {
  DemandSeries,
  LatenessHistogram,
  LiveFrame,
  LiveHistory,
  LivePoint,
  LiveSource,
  LiveState,
  LiveStatus,
  LiveTopic,
} from '../live/status.ts'
import type { Role, Shard, Window } from '../types.ts'
import type { TopicCheck } from './check.ts'
import type { VerifyReport } from './report.ts'

/**
 * verify's side of the live view (live/status.ts): what the topics hold so far against the trace,
 * as verify's own checks (check.ts) count it, the lateness where records carry it, and the demand
 * the twin receives, from the fragments it consumed (a format's `demandOf` reads them), against
 * the trace's demand as inspect computes it.
 *
 * States: `starting` while the trace loads, `running` while reading (waiting for the topics, or
 * for records, included), then `done`, `interrupted` (a signal) or `failed` (Kafka lost, an error).
 * verify is never `stalled`: nothing arriving while it follows is the producer's pace (a replay at
 * 1x is quiet for minutes), not verify's fault; `secondsSinceLastAcknowledgement` says how long
 * since the last record was read, and a replay's own view says whether it stalled.
 *
 * While reading, a topic's `missing` is what has not come yet (expected - matched) and `foreign`
 * every record that matches no message; which of those are changed values is known only once all
 * is read (check.ts pairs them then): from the end on, the figures are the report's.
 */

/** What the live view shows of the run's settings. */
export interface VerifyLiveSettings {
  version: string
  format: string
  /** The output read from (verify reads Kafka). */
  output: string
  /** Stream -> topic, in the format's order. */
  topics: Record<Role, string>
  speed: number
  shard?: Shard
  brokers: string[]
  capacity: DemandSeries['capacity']
  /** The format's reader of the demand a record carries, per stream (formats/format.ts demandOf). */
  demandOf?: (
    role: Role,
  ) => ((value: Buffer, add: (fromMs: number, toMs: number, mhz: number) => void) => void) | undefined
}

/** The edges: the wall clock (epoch ms) and a repeating timer (returns its cancel). */
export interface LiveClock {
  now(): number
  every(ms: number, tick: () => void): () => void
}

const SYSTEM_CLOCK: LiveClock = {
  now: Date.now,
  every(ms, tick) {
    const timer = setInterval(tick, ms)
    timer.unref?.()
    return () => clearInterval(timer)
  },
}

/** A frame at most this often (4 a second). */
export const FRAME_MS = 250
/** Points kept per series: past this, every other one is dropped and points are taken half as often. */
export const MAX_POINTS = 5000
/** Acknowledged rates are over this much wall time. */
const RATE_WINDOW_MS = 5000
/** verify never stalls; /healthz reads this field all the same (a replay's default). */
const STALL_AFTER_SECONDS = 30

/** One topic as read so far. */
interface Reading {
  role: Role
  check: TopicCheck
  bytes: number
  /** The first message of the replay not matched yet (everything before it is read). */
  cursor: number
  demand?: (value: Buffer, add: (fromMs: number, toMs: number, mhz: number) => void) => void
}

export class VerifyLive implements LiveSource {
  private readonly settings: VerifyLiveSettings
  private readonly clock: LiveClock
  private state: LiveState = 'starting'
  private error: string | null = null
  private report: VerifyReport | null = null
  private window: Window | null = null
  private readings: Reading[] = []
  private byTopic = new Map<string, Reading>()
  private startedAt: number | null = null
  private lastRecordAt: number | null = null
  /** When the position first moved, and where it was then: the ETA's rate is measured from there. */
  private firstPosition: { at: number; position: number } | null = null
  private expectedDemand: DemandSeries | null = null
  private received: ReceivedDemand | null = null
  private points: LivePoint[] = []
  private stride = 1
  private ticks = 0
  private thinned = false
  private previousLateness = new Float64Array(0)
  private rates: { at: number; read: number[] }[] = []
  private readonly subscribers = new Set<(frame: LiveFrame) => void>()
  private cancel: (() => void) | null = null
  private retries = 0
  private errors = 0
  /** For the consumer's client: each request it retries, each error it reports (kafka/client.ts). */
  readonly counters = {
    retried: () => {
      this.retries++
    },
    failed: () => {
      this.errors++
    },
  }

  constructor(settings: VerifyLiveSettings, clock: LiveClock = SYSTEM_CLOCK) {
    this.settings = settings
    this.clock = clock
    this.cancel = clock.every(FRAME_MS, () => this.tick())
  }

  /** The trace is loaded: the replay's window, the checks that read each topic, and the trace's demand (null: none drawn). */
  loaded(window: Window, checks: readonly TopicCheck[], demand: Demand | null): void {
    this.window = window
    const roleOf = new Map(Object.entries(this.settings.topics).map(([role, topic]) => [topic, role]))
    this.readings = checks.map((check) => {
      const role = roleOf.get(check.expected.topic) ?? check.expected.topic
      return { role, check, bytes: 0, cursor: 0, demand: this.settings.demandOf?.(role) }
    })
    this.byTopic = new Map(this.readings.map((r) => [r.check.expected.topic, r]))
    if (demand) {
      this.expectedDemand = demandSeries(demand, this.settings.capacity, MAX_POINTS)
      this.received = new ReceivedDemand(demandBuckets(demand, MAX_POINTS))
      // A page that connected while the trace loaded has no demand: the next frame carries it.
      this.thinned = true
    }
    this.previousLateness = new Float64Array(new Lateness().counts.length)
    this.state = 'running'
    this.startedAt = this.clock.now()
  }

  /** A record read from `topic` (after its check counted it). */
  record(topic: string, key: Buffer | null, value: Buffer | null): void {
    const r = this.byTopic.get(topic)
    if (!r) return
    r.bytes += (key?.length ?? 0) + (value?.length ?? 0)
    this.lastRecordAt = this.clock.now()
    if (r.demand && value && this.received) {
      const received = this.received
      r.demand(value, (from, to, mhz) => received.add(from, to, mhz))
    }
  }

  /** The run ended: its state, the error line of a failure, and verify's report. One last frame goes out. */
  end(state: 'done' | 'interrupted' | 'failed', report: VerifyReport | null, error?: string): void {
    if (this.cancel === null) return
    this.state = state
    this.report = report
    this.error = error ?? null
    this.tick()
    this.cancel()
    this.cancel = null
    this.subscribers.clear()
  }

  /** Takes a point (every `stride`-th tick) and sends a frame to every subscriber. */
  tick(): void {
    const now = this.clock.now()
    const status = this.status()
    const ended = this.cancel !== null && ['done', 'interrupted', 'failed'].includes(this.state)
    const points: LivePoint[] = []
    if (this.startedAt !== null && (this.ticks++ % this.stride === 0 || ended)) {
      const point = this.point(now, status)
      this.points.push(point)
      points.push(point)
      if (this.points.length > MAX_POINTS) this.thin()
    }
    this.rates.push({ at: now, read: this.readings.map((r) => r.check.read) })
    while (this.rates.length > 1 && now - this.rates[0]!.at > RATE_WINDOW_MS) this.rates.shift()
    const received = this.received?.takeChanges()
    const frame: LiveFrame = this.thinned ? { status, points: [], history: this.history() } : { status, points }
    if (received) frame.received = received
    this.thinned = false
    for (const send of this.subscribers) send(frame)
  }

  /** Every other point dropped (the first and last kept), and points taken half as often from now on. */
  private thin(): void {
    const last = this.points.at(-1)!
    this.points = this.points.filter((_, i) => i % 2 === 0)
    if (this.points.at(-1) !== last) this.points.push(last)
    this.stride *= 2
    this.thinned = true
  }

  private point(now: number, status: LiveStatus): LivePoint {
    const merged = this.mergedLateness()
    // The records measured since the previous point: the difference of the histograms.
    const counts = new Float64Array(merged.counts.length)
    let count = 0
    let max = 0
    for (let b = 0; b < merged.counts.length; b++) {
      const d = merged.counts[b]! - this.previousLateness[b]!
      if (d > 0) {
        counts[b] = d
        count += d
        max = Math.min(bucketLimit(b), merged.max)
      }
    }
    const since = new Lateness(counts, new Float64Array([count, 0, max]))
    this.previousLateness = Float64Array.from(merged.counts)
    const measured = since.count > 0
    return {
      t: round3((now - this.startedAt!) / 1000),
      position: status.trace.acknowledgedSeconds,
      acknowledged: this.readings.map((r) => r.check.read),
      p50Ms: measured ? round3(since.quantile(0.5)) : null,
      p99Ms: measured ? round3(since.quantile(0.99)) : null,
      maxMs: measured ? round3(since.max) : null,
      currentMs: 0,
    }
  }

  private mergedLateness(): Lateness {
    const merged = new Lateness()
    for (const r of this.readings) merged.merge(r.check.lateness)
    return merged
  }

  /** The replay's first and last event times (of the topics' expected messages). */
  private span(): { from: number; to: number } | null {
    let from = Infinity
    let to = -Infinity
    for (const { check } of this.readings) {
      const e = check.expected
      if (e.count === 0) continue
      from = Math.min(from, e.time[0]!)
      to = Math.max(to, e.time[e.count - 1]!)
    }
    return from === Infinity ? null : { from, to }
  }

  /**
   * Everything before this trace instant is read: the earliest message not matched yet, or the
   * last event once all are (`all`). Null before the first match.
   */
  private position(span: { to: number } | null): { at: number; all: boolean } | null {
    if (span === null || this.readings.every((r) => r.check.matched === 0)) return null
    let at = Infinity
    for (const r of this.readings) {
      const e = r.check.expected
      while (r.cursor < e.count && e.seen[r.cursor] === 1) r.cursor++
      if (r.cursor < e.count) at = Math.min(at, e.time[r.cursor]!)
    }
    return at === Infinity ? { at: span.to, all: true } : { at, all: false }
  }

  status(): LiveStatus {
    const now = this.clock.now()
    const span = this.span()
    const read = this.position(span)
    const position = read?.at ?? null
    if (position !== null && this.firstPosition === null) this.firstPosition = { at: now, position }
    const fraction =
      span && position !== null ? (span.to > span.from ? (position - span.from) / (span.to - span.from) : 1) : 0
    const lateness = this.mergedLateness()
    const s = this.settings
    const final = new Map(this.report?.topics.map((t) => [t.topic, t]))
    const oldest = this.rates[0]
    return {
      command: 'verify',
      version: s.version,
      state: this.state,
      stalled: null,
      error: this.error,
      now: isoTime(now),
      settings: {
        format: s.format,
        output: s.output,
        topics: { ...s.topics },
        speed: s.speed === Infinity ? 'max' : s.speed,
        window: this.window
          ? {
              from: isoTime(this.window.from),
              to: Number.isFinite(this.window.to) ? isoTime(this.window.to) : null,
            }
          : null,
        shard: s.shard ? `${s.shard.index}/${s.shard.count}` : null,
        brokers: [...s.brokers],
        stallAfterSeconds: STALL_AFTER_SECONDS,
      },
      startedAt: this.startedAt === null ? null : isoTime(this.startedAt),
      elapsedSeconds: this.startedAt === null ? 0 : round3((now - this.startedAt) / 1000),
      trace: {
        from: span ? isoTime(span.from) : null,
        to: span ? isoTime(span.to) : null,
        acknowledged: position === null ? null : isoTime(position),
        acknowledgedSeconds: position === null ? null : position / 1000,
        fraction: round3(Math.min(1, Math.max(0, fraction))),
        etaSeconds: read?.all ? 0 : this.eta(now, span, position),
      },
      topics: this.readings.map((r, i): LiveTopic => {
        const c = r.check
        const read = c.read
        const seconds = oldest ? (now - oldest.at) / 1000 : 0
        const t = final.get(c.expected.topic)
        return {
          stream: r.role,
          topic: c.expected.topic,
          sent: read,
          acknowledged: read,
          bytesAcknowledged: r.bytes,
          ratePerSecond: oldest && seconds > 0 ? Math.round((read - oldest.read[i]!) / seconds) : 0,
          check: t
            ? {
                expected: t.expected,
                matched: t.matched,
                missing: t.missing,
                duplicated: t.duplicated,
                changed: t.changed,
                foreign: t.foreign,
              }
            : {
                expected: c.expected.count,
                matched: c.matched,
                missing: c.expected.count - c.matched,
                duplicated: c.duplicated,
                changed: 0,
                foreign: c.unexpected,
              },
        }
      }),
      lateness: {
        messages: lateness.count,
        p50Ms: round3(lateness.quantile(0.5)),
        p99Ms: round3(lateness.quantile(0.99)),
        maxMs: round3(lateness.max),
        currentMs: 0,
      },
      retries: this.retries,
      errors: this.errors,
      secondsSinceLastAcknowledgement: this.lastRecordAt === null ? null : round3((now - this.lastRecordAt) / 1000),
      summary: this.report,
    }
  }

  /** The trace still to read at the rate the position moved since it was first known: null until it has moved. */
  private eta(now: number, span: { to: number } | null, position: number | null): number | null {
    if (span === null || position === null) return null
    const first = this.firstPosition
    if (!first || now <= first.at || position <= first.position) return null
    const rate = (position - first.position) / (now - first.at)
    return (span.to - position) / rate / 1000
  }

  history(): LiveHistory {
    const demand =
      this.expectedDemand && this.received ? { ...this.expectedDemand, received: this.received.series() } : null
    return { points: [...this.points], demand }
  }

  latenessHistogram(): LatenessHistogram {
    const l = this.mergedLateness()
    return { counts: l.counts, count: l.count, sumMs: l.sum, maxMs: l.max }
  }

  subscribe(onFrame: (frame: LiveFrame) => void): () => void {
    onFrame({ status: this.status(), points: [], history: this.history() })
    if (this.cancel === null) return () => {}
    this.subscribers.add(onFrame)
    return () => this.subscribers.delete(onFrame)
  }
}
