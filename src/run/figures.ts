/**
 * The run's live figures, in one SharedArrayBuffer: each worker writes its own as it sends and as
 * its output acknowledges; the main thread reads them whenever it wants a status (run/monitor.ts),
 * without a message and without waiting for the worker. A worker blocked in a send (a frozen
 * broker) thus cannot freeze the view of it: its figures simply stop moving, and the main thread
 * sees since when.
 *
 * Layout, Float64 per worker slot: WORKER fields, then FIELDS per stream of the format (in its
 * order), then the lateness histogram (core/lateness.ts). One writer per slot: plain stores, no
 * Atomics (a reader may see one field a batch ahead of another, never a torn number).
 */
import { BUCKETS, Lateness } from '../core/lateness.ts'
import type { StreamFigures } from '../outputs/output.ts'
import type { Role } from '../types.ts'

/** Per worker. */
const DUE = 0 // wall instant the oldest message not yet handed over is due (Infinity: none waiting)
const CHANGED = 1 // wall instant a count last changed (NaN: never)
const POSITION = 2 // event time before which all of this worker's messages are acknowledged
const RETRIES = 3
const ERRORS = 4
const LAST_ACK = 5 // wall instant of the last acknowledgement (NaN: none yet)
const LATENESS = 6 // count, sum, max: three fields (core/lateness.ts)
const END_DUE = 9 // wall instant its last message in the window is due (Infinity: at --speed max)
const WORKER = 10
/** Per stream. */
const SENT = 0
const ACKED = 1
const BYTES = 2
const SENT_TIME = 3
const ACKED_TIME = 4
const FIELDS = 5

/** What a reader gets for one stream: summed over the workers that write it. */
export interface StreamLive {
  sent: number
  acked: number
  bytesAcked: number
  /** The event time of the last message sent and acknowledged (NaN: none). */
  sentTime: number
  ackedTime: number
}

/** What a reader gets for one worker. */
export interface WorkerLive {
  due: number
  changed: number
  position: number
  retries: number
  errors: number
  lastAck: number
  endDue: number
  outstanding: boolean
  /** Its streams' indexes in the format's order. */
  streams: number[]
}

export class LiveFigures {
  readonly buffer: SharedArrayBuffer
  private readonly streams: readonly Role[]
  private readonly slots: Float64Array[]
  private readonly histograms: Lateness[]
  private readonly stride: number

  constructor(streams: readonly Role[], buffer?: SharedArrayBuffer) {
    this.streams = streams
    this.stride = WORKER + streams.length * FIELDS + BUCKETS
    this.buffer = buffer ?? new SharedArrayBuffer(2 * this.stride * 8)
    this.slots = [0, 1].map((slot) => new Float64Array(this.buffer, slot * this.stride * 8, this.stride))
    this.histograms = [0, 1].map(
      (slot) =>
        new Lateness(
          new Float64Array(this.buffer, (slot * this.stride + this.stride - BUCKETS) * 8, BUCKETS),
          new Float64Array(this.buffer, (slot * this.stride + LATENESS) * 8, 3),
        ),
    )
    if (!buffer) {
      for (const s of this.slots) {
        s[DUE] = Infinity
        s[CHANGED] = Number.NaN
        s[POSITION] = -Infinity
        s[LAST_ACK] = Number.NaN
        s[END_DUE] = Number.NaN
        for (let i = 0; i < streams.length; i++) {
          s[WORKER + i * FIELDS + SENT_TIME] = Number.NaN
          s[WORKER + i * FIELDS + ACKED_TIME] = Number.NaN
        }
      }
    }
  }

  /** Worker: its lateness histogram, which the pacer adds to (shared, so the main thread reads it live). */
  lateness(slot: 0 | 1): Lateness {
    return this.histograms[slot]!
  }

  /** Worker: when the oldest message not yet handed to the output is due (Infinity: none). */
  due(slot: 0 | 1, wall: number): void {
    this.slots[slot]![DUE] = wall
  }

  /** Worker, at the release: when its last message is due (a paced run's ETA counts down to it). */
  endsAt(slot: 0 | 1, wall: number): void {
    this.slots[slot]![END_DUE] = wall
  }

  /** Worker: its output asked the client to retry a request, or the client reported an error. */
  retried(slot: 0 | 1): void {
    this.slots[slot]![RETRIES]! += 1
  }

  failed(slot: 0 | 1): void {
    this.slots[slot]![ERRORS]! += 1
  }

  /**
   * Worker: its streams' figures as its output knows them, and the event time before which all is
   * acknowledged (`position`). `now`: the shared clock, stamped when a count changed.
   */
  record(slot: 0 | 1, figures: StreamFigures, position: number, now: number): void {
    const s = this.slots[slot]!
    let changed = false
    for (const [role, f] of Object.entries(figures)) {
      const at = WORKER + this.streams.indexOf(role) * FIELDS
      if (f!.acked !== s[at + ACKED]) s[LAST_ACK] = now
      if (f!.sent !== s[at + SENT] || f!.acked !== s[at + ACKED]) changed = true
      s[at + SENT] = f!.sent
      s[at + ACKED] = f!.acked
      s[at + BYTES] = f!.bytesAcked
      s[at + SENT_TIME] = f!.eventTime
      s[at + ACKED_TIME] = f!.ackedTime
    }
    if (changed) s[CHANGED] = now
    s[POSITION] = position
  }

  /** Reader: one stream, summed over both workers (a worker that does not write it holds zeros). */
  stream(index: number): StreamLive {
    const out: StreamLive = { sent: 0, acked: 0, bytesAcked: 0, sentTime: Number.NaN, ackedTime: Number.NaN }
    for (const s of this.slots) {
      const at = WORKER + index * FIELDS
      out.sent += s[at + SENT]!
      out.acked += s[at + ACKED]!
      out.bytesAcked += s[at + BYTES]!
      out.sentTime = latest(out.sentTime, s[at + SENT_TIME]!)
      out.ackedTime = latest(out.ackedTime, s[at + ACKED_TIME]!)
    }
    return out
  }

  /** Reader: one worker. */
  worker(slot: 0 | 1): WorkerLive {
    const s = this.slots[slot]!
    const streams: number[] = []
    let outstanding = false
    for (let i = 0; i < this.streams.length; i++) {
      const at = WORKER + i * FIELDS
      if (s[at + SENT]! > s[at + ACKED]!) outstanding = true
      streams.push(i)
    }
    return {
      due: s[DUE]!,
      changed: s[CHANGED]!,
      position: s[POSITION]!,
      retries: s[RETRIES]!,
      errors: s[ERRORS]!,
      lastAck: s[LAST_ACK]!,
      endDue: s[END_DUE]!,
      outstanding,
      streams,
    }
  }

  /** Reader: both workers' lateness, merged. */
  mergedLateness(): Lateness {
    const merged = new Lateness()
    for (const h of this.histograms) merged.merge(h)
    return merged
  }
}

const latest = (a: number, b: number) => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b))
