import { Lateness } from './lateness.ts'
import { dueAt, type Schedule } from './schedule.ts'
import type { EventStream } from './stream.ts'

/** The clock the pacer reads and sleeps on; wall ms on one clock shared by both workers. */
export interface Clock {
  now(): number
  /** Resolves at `wall` or soon after; may resolve early when the run is stopped. */
  sleepUntil(wall: number): Promise<void>
}

/** Where batches go: `add` collects the stream's current message, `flush` sends what was collected. */
export interface Sink {
  add(message: EventStream): void
  /** True when the batch should go out before another message is added (a size limit). */
  full?(): boolean
  flush(): void | Promise<void>
}

/** Orders writes across streams that share one output (gate.ts). */
export interface WriteGate {
  allows(time: number): boolean
  publish(time: number): void
  snapshot(): number
  waitForOther(seen: number, timeoutMs: number): void
}

export interface PaceOptions {
  /** Largest batch handed to the sink at once. */
  maxBatch: number
  gate?: WriteGate
  /** Polled between batches and after sleeps: true stops the loop cleanly. */
  stopped(): boolean
}

export interface PaceResult {
  sent: number
  lateness: Lateness
  stoppedEarly: boolean
}

/**
 * Sends the stream on schedule: everything due by now goes out as one batch (catching up if
 * behind), then the pacer sleeps until the next message is due. Lateness is measured when the
 * sink has taken the batch: flush end minus each message's due time.
 */
export async function pace(stream: EventStream, schedule: Schedule, clock: Clock, sink: Sink, options: PaceOptions): Promise<PaceResult> {
  const lateness = new Lateness()
  const paced = schedule.speed !== Infinity
  const dues = new Float64Array(options.maxBatch)
  const gate = options.gate
  let sent = 0
  const stop = () => {
    gate?.publish(Infinity)
    return { sent, lateness, stoppedEarly: true }
  }
  gate?.publish(stream.time)
  while (stream.time !== Infinity) {
    if (options.stopped()) return stop()
    let now = clock.now()
    const firstDue = dueAt(schedule, stream.time)
    if (firstDue > now) {
      await clock.sleepUntil(firstDue)
      if (options.stopped()) return stop()
      now = clock.now()
    }
    const seen = gate?.snapshot() ?? 0
    let n = 0
    while (n < options.maxBatch && stream.time !== Infinity) {
      const due = dueAt(schedule, stream.time)
      if (due > now || (gate && !gate.allows(stream.time))) break
      dues[n++] = due
      sink.add(stream)
      stream.advance()
      if (sink.full?.()) break
    }
    await sink.flush()
    sent += n
    if (gate) {
      gate.publish(stream.time)
      // The other stream holds an earlier message: let it write first.
      if (n === 0) gate.waitForOther(seen, 50)
    }
    if (paced) {
      const done = clock.now()
      for (let i = 0; i < n; i++) lateness.add(done - dues[i]!)
    }
  }
  gate?.publish(Infinity)
  return { sent, lateness, stoppedEarly: false }
}
