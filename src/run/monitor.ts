import { Lateness } from '../core/lateness.ts'
import { isoTime, round3 } from '../core/text.ts'
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
import type { Role } from '../types.ts'
import type { LiveFigures } from './figures.ts'

/**
 * The replay's view of itself while it runs, for the progress line and the live view (live/): it
 * reads the workers' shared figures (run/figures.ts) on the main thread's clock, whenever asked,
 * so it tells the truth even while a worker is blocked in a send. The rules, in one place:
 *
 * - Position: the trace instant before which every message is acknowledged (each worker's
 *   earliest message not yet acknowledged, or its next one not yet sent), paced runs capped at
 *   the schedule's clock. The progress and ETA come from it, never from the schedule alone.
 * - Stalled: a worker owes something (a send not acknowledged, or a message overdue) and none of
 *   its counts has moved for `noticeMs`. /healthz fails once that has lasted `stallAfterMs`.
 * - ETA, paced: until the last message is due, plus how late the run is now; at --speed max: the
 *   elapsed time scaled by the share of the window left. Unknown while stalled.
 */
export interface MonitorSettings {
  version: string
  format: string
  output: string
  streams: readonly Role[]
  topics: Record<Role, string>
  speed: number
  shard: string | null
  brokers: string[] | null
  stallAfterMs: number
  /** Why a stalled run waits (the output's stallReason). */
  stallReason: string
  /** `--max-gap` compresses the schedule: its clock is not a linear map of trace time. */
  compressed: boolean
  /** Which workers write streams (a worker without any is idle). */
  activeSlots: (0 | 1)[]
}

/** The state is `stalled` after this long without progress, or after --stall-after if that is shorter. */
export const STALL_NOTICE_MS = 5_000
/** Samples for the charts and frames on /events: at most this often. */
export const FRAME_MS = 250
/** The most points kept per chart: beyond it, every two neighbours merge into one. */
export const MAX_POINTS = 5_000
/** The acknowledged rate is measured over this much wall time. */
const RATE_WINDOW_MS = 5_000

export class ReplayMonitor implements LiveSource {
  private readonly settings: MonitorSettings
  private readonly figures: LiveFigures
  private readonly now: () => number
  private window: { from: number; to: number; end: number } | undefined
  private start: number | undefined
  private origin = 0
  private signal: string | undefined
  private ended: { state: LiveState; error: string | null; summary: unknown; final: LiveStatus } | undefined
  private points: LivePoint[] = []
  private demand: DemandSeries | null = null
  /** The history changed beyond new points (the demand arrived): the next frame carries it whole. */
  private historyChanged = false
  private readonly subscribers = new Set<(frame: LiveFrame) => void>()
  private timer: ReturnType<typeof setInterval> | undefined
  private previous: Lateness = new Lateness()
  /** Acknowledged totals per stream over the last RATE_WINDOW_MS, for the rates. */
  private readonly recent: { at: number; acked: number[] }[] = []

  /** The shared figures' buffer, handed to both workers. */
  get figuresBuffer(): SharedArrayBuffer {
    return this.figures.buffer
  }

  constructor(settings: MonitorSettings, figures: LiveFigures, now: () => number) {
    this.settings = settings
    this.figures = figures
    this.now = now
  }

  /** The trace is loaded: the window, and the last event time in it (`end`). */
  loaded(window: { from: number; to: number }, end: number): void {
    if (!Number.isFinite(window.from)) return // a worker that loaded nothing knows no window
    // A shard without a message in the window has no last event (-Infinity): its window is empty.
    this.window = { ...window, end: Number.isFinite(end) ? Math.max(end, window.from) : window.from }
  }

  /** The demand chart's series (live/demand.ts), when it was computed. */
  setDemand(demand: DemandSeries | null): void {
    this.demand = demand
    this.historyChanged = true
  }

  /** Released: the first messages are due at `start`, the schedule's origin at it. Samples start. */
  released(start: number, origin: number): void {
    this.start = start
    this.origin = origin
    this.timer ??= setInterval(() => this.tick(), FRAME_MS)
  }

  /** Frames for subscribers, before the release too (the page shows `starting`). */
  watch(): void {
    this.timer ??= setInterval(() => this.tick(), FRAME_MS)
  }

  interrupted(signal: string): void {
    this.signal ??= signal
  }

  /** The run ended: its outcome, and the summary as --summary-json has it (whose figures the status takes). */
  end(outcome: { failed: boolean; error: string | null; summary: unknown; interrupted: boolean }): void {
    if (this.ended) return
    const state: LiveState = outcome.failed ? 'failed' : outcome.interrupted ? 'interrupted' : 'done'
    const final = this.compute(this.now())
    this.ended = { state, error: outcome.error, summary: outcome.summary, final }
    clearInterval(this.timer)
    this.timer = undefined
    if (this.start !== undefined) this.sample()
    this.emit([...this.points.slice(-1)])
  }

  status(): LiveStatus {
    if (!this.ended) return this.compute(this.now())
    return this.finalStatus()
  }

  history(): LiveHistory {
    return { points: [...this.points], demand: this.demand }
  }

  latenessHistogram(): LatenessHistogram {
    const l = this.figures.mergedLateness()
    return { counts: l.counts, count: l.count, sumMs: l.sum, maxMs: l.max }
  }

  subscribe(onFrame: (frame: LiveFrame) => void): () => void {
    this.subscribers.add(onFrame)
    return () => this.subscribers.delete(onFrame)
  }

  /** Stops the samples (the process is about to exit). */
  close(): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.subscribers.clear()
  }

  private tick(): void {
    if (this.start === undefined || this.now() < this.start) {
      this.emit(this.historyChanged ? undefined : [])
      this.historyChanged = false
      return
    }
    const whole = this.sample() || this.historyChanged
    this.historyChanged = false
    this.emit(whole ? undefined : this.points.slice(-1))
  }

  /** `points` undefined: the history was thinned, frames carry it whole. */
  private emit(points: LivePoint[] | undefined): void {
    if (this.subscribers.size === 0) return
    const status = this.status()
    const frame: LiveFrame = points ? { status, points } : { status, points: [], history: this.history() }
    for (const fn of this.subscribers) fn(frame)
  }

  /** One point for the charts; true when the history was thinned to stay under MAX_POINTS. */
  private sample(): boolean {
    const now = this.now()
    const status = this.compute(now)
    const current = this.figures.mergedLateness()
    const delta = new Lateness()
    delta.merge({
      counts: current.counts.map((c, b) => c - this.previous.counts[b]!),
      count: current.count - this.previous.count,
      // Quantiles are capped at the max: the interval's is unknown, the run's bounds it.
      max: current.max,
      sum: current.sum - this.previous.sum,
    })
    const measured = delta.count > 0
    // The max of the interval is not kept by the histogram: its bucket edge (within 1.6 %), capped at the run's max.
    const max = measured ? Math.min(delta.quantile(1), current.max) : null
    this.previous = new Lateness(current.counts.slice(), new Float64Array([current.count, current.sum, current.max]))
    this.points.push({
      t: round3((now - this.start!) / 1000),
      position: status.trace.acknowledgedSeconds,
      acknowledged: status.topics.map((t) => t.acknowledged),
      p50Ms: measured ? round3(delta.quantile(0.5)) : null,
      p99Ms: measured ? round3(delta.quantile(0.99)) : null,
      maxMs: max === null ? null : round3(max),
      currentMs: status.lateness.currentMs,
    })
    if (this.points.length <= MAX_POINTS) return false
    this.points = thin(this.points)
    return true
  }

  /** The status once ended: the last live figures, with the summary's counts and lateness. */
  private finalStatus(): LiveStatus {
    const e = this.ended!
    const s = structuredClone(e.final)
    s.state = e.state
    s.stalled = null
    s.error = e.error
    s.now = isoTime(this.now())
    s.summary = e.summary
    s.trace.etaSeconds = e.state === 'done' ? 0 : null
    // Done: every message of the window is acknowledged, so the position is the window's end, even
    // when the schedule's clock stopped short of it (the last message came before the end).
    if (e.state === 'done' && this.window) {
      const end = this.window.end
      Object.assign(s.trace, { acknowledged: isoTime(end), acknowledgedSeconds: end / 1000, fraction: 1 })
    }
    const json = e.summary as {
      topics?: Record<string, { sent: number; acknowledged: number; ratePerSecond: number }>
      lateness?: { messages: number; p50Ms: number; p99Ms: number; maxMs: number } | null
      wallSeconds?: number
    } | null
    if (json?.topics) {
      for (const t of s.topics) {
        const j = json.topics[t.stream]
        if (j)
          Object.assign(t, {
            sent: j.sent,
            acknowledged: j.acknowledged,
            ratePerSecond: j.ratePerSecond ?? t.ratePerSecond,
          })
      }
    }
    if (json?.lateness) s.lateness = { ...json.lateness, currentMs: 0 }
    else s.lateness.currentMs = 0
    if (json?.wallSeconds !== undefined) s.elapsedSeconds = json.wallSeconds
    return s
  }

  private compute(now: number): LiveStatus {
    const st = this.settings
    const paced = st.speed !== Infinity
    const streams = st.streams.map((_, i) => this.figures.stream(i))
    const workers = st.activeSlots.map((slot) => this.figures.worker(slot))
    const released = this.start !== undefined
    const started = released && now >= this.start!
    // How late the run is now: the oldest message not yet handed over, against its due time.
    const due = Math.min(...workers.map((w) => w.due))
    const currentMs = paced && started && due < now ? round3(now - due) : 0
    // Stalled: the worker that owes something and has moved least recently.
    let stalledSince = Infinity
    if (started && !this.ended) {
      for (const w of workers) {
        const owes = w.outstanding || w.due <= now
        if (!owes) continue
        const since = Math.max(Number.isNaN(w.changed) ? this.start! : w.changed, this.start!)
        if (now - since >= Math.min(STALL_NOTICE_MS, st.stallAfterMs)) stalledSince = Math.min(stalledSince, since)
      }
    }
    const stalled = stalledSince !== Infinity
    const state: LiveState = this.ended
      ? this.ended.state
      : !released
        ? 'starting'
        : !started
          ? 'waiting'
          : this.signal
            ? 'interrupted'
            : stalled
              ? 'stalled'
              : 'running'
    const position = this.position(now, workers, started)
    const w = this.window
    const span = w ? w.end - w.from : 0
    const fraction = position === null || !w ? 0 : span > 0 ? Math.min(1, Math.max(0, (position - w.from) / span)) : 1
    const elapsedMs = started ? now - this.start! : 0
    const endDue = Math.max(...workers.map((x) => x.endDue))
    let eta: number | null = null
    if (started && !stalled) {
      if (paced && !Number.isNaN(endDue)) eta = Math.max(0, endDue - now) + currentMs
      else if (!paced && fraction > 0) eta = (elapsedMs * (1 - fraction)) / fraction
    }
    const lastAck = Math.max(...workers.map((x) => (Number.isNaN(x.lastAck) ? -Infinity : x.lastAck)))
    const lateness = this.figures.mergedLateness()
    const acked = streams.map((s) => s.acked)
    this.recent.push({ at: now, acked })
    while (this.recent.length > 1 && now - this.recent[0]!.at > RATE_WINDOW_MS) this.recent.shift()
    const oldest = this.recent[0]!
    const seconds = (now - oldest.at) / 1000
    const topics: LiveTopic[] = st.streams.map((role, i) => ({
      stream: role,
      topic: st.topics[role]!,
      sent: streams[i]!.sent,
      acknowledged: streams[i]!.acked,
      bytesAcknowledged: streams[i]!.bytesAcked,
      ratePerSecond: seconds > 0 ? Math.round((acked[i]! - oldest.acked[i]!) / seconds) : 0,
    }))
    return {
      command: 'replay',
      version: st.version,
      state,
      stalled: stalled
        ? { reason: st.stallReason, since: isoTime(stalledSince), seconds: round3((now - stalledSince) / 1000) }
        : null,
      error: null,
      now: isoTime(now),
      settings: {
        format: st.format,
        output: st.output,
        topics: Object.fromEntries(st.streams.map((r) => [r, st.topics[r]!])),
        speed: paced ? st.speed : 'max',
        window: w ? { from: isoTime(w.from), to: w.to === Infinity ? null : isoTime(w.to) } : null,
        shard: st.shard,
        brokers: st.brokers,
        stallAfterSeconds: st.stallAfterMs / 1000,
      },
      startedAt: released ? isoTime(this.start!) : null,
      elapsedSeconds: round3(elapsedMs / 1000),
      trace: {
        from: w ? isoTime(w.from) : null,
        to: w ? isoTime(w.end) : null,
        acknowledged: position === null ? null : isoTime(position),
        acknowledgedSeconds: position === null ? null : position / 1000,
        fraction: round3(fraction),
        etaSeconds: eta === null ? null : round3(eta / 1000),
      },
      topics,
      lateness: {
        messages: lateness.count,
        p50Ms: round3(lateness.quantile(0.5)),
        p99Ms: round3(lateness.quantile(0.99)),
        maxMs: round3(lateness.max),
        currentMs,
      },
      retries: workers.reduce((n, x) => n + x.retries, 0),
      errors: workers.reduce((n, x) => n + x.errors, 0),
      secondsSinceLastAcknowledgement: lastAck === -Infinity ? null : round3((now - lastAck) / 1000),
      summary: null,
    }
  }

  /** Everything before it is acknowledged (epoch ms), or null before anything is known. */
  private position(now: number, workers: { position: number }[], started: boolean): number | null {
    const w = this.window
    if (!w || !started) return null
    let p = Math.min(...workers.map((x) => x.position))
    if (p === -Infinity) return null
    // A paced run cannot be ahead of its schedule: between messages it stands where the clock does.
    if (this.settings.speed !== Infinity && !this.settings.compressed) {
      p = Math.min(p, this.origin + (now - this.start!) * this.settings.speed)
    }
    return Math.floor(Math.max(w.from, Math.min(p, w.end)))
  }
}

/** Every two neighbours as one (the later's totals, the worse of their lateness): half as many points. */
export function thin(points: LivePoint[]): LivePoint[] {
  const out: LivePoint[] = []
  const worse = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b))
  for (let i = 0; i < points.length; i += 2) {
    const a = points[i]!
    const b = points[i + 1]
    if (!b) {
      out.push(a)
      continue
    }
    out.push({
      ...b,
      p50Ms: worse(a.p50Ms, b.p50Ms),
      p99Ms: worse(a.p99Ms, b.p99Ms),
      maxMs: worse(a.maxMs, b.maxMs),
      currentMs: Math.max(a.currentMs, b.currentMs),
    })
  }
  return out
}
