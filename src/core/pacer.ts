import { Lateness } from './lateness.ts'
import { dueAt, type Schedule } from './schedule.ts'
import type { EventStream } from './stream.ts'

/** The clock the pacer reads and sleeps on; wall ms on one clock shared by both workers. */
export interface Clock {
  now(): number
  /** Resolves at `wall` or soon after; may resolve early when the run is stopped. */
  sleepUntil(wall: number): Promise<void>
}

/**
 * Where batches go: `add` collects the stream's current message, `flush` sends what was collected.
 * `due` is the wall instant the message is due at (shared clock, epoch ms): at --speed max, the
 * release, when every message is due.
 */
export interface Sink {
  add(message: EventStream, due: number): void
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

/** After each batch: how far the stream got. */
export interface Progress {
  /** Messages handed to the sink so far. */
  sent: number
  /** Event time of the last message sent. */
  eventTime: number
  /** How far the batch's oldest message was behind its due time, ms (0 at --speed max). */
  lateness: number
}

export interface PaceOptions {
  /** Largest batch handed to the sink at once. */
  maxBatch: number
  gate?: WriteGate
  /** Stop when a batch goes out later than this behind its schedule, ms (`--max-lag`). */
  maxLagMs?: number
  /**
   * `--linger`, paced runs: a batch waits for the messages due up to this long after its first
   * (sleeping until each is due), then goes out as soon as the next one is due later, ms.
   */
  lingerMs?: number
  onBatch?(progress: Progress): void
  /**
   * When the oldest message not yet handed to the sink is due: before a batch is flushed (its
   * first message's) and after it (the next message's; Infinity at the end). A live view measures
   * from it how late the run is now, even while a flush is blocked.
   */
  onDue?(wall: number): void
  /** The histogram to add lateness to (run/figures.ts shares it with the main thread); default: a new one. */
  lateness?: Lateness
  /** Polled between batches and after sleeps: true stops the loop cleanly. */
  stopped(): boolean
}

export interface PaceResult {
  sent: number
  lateness: Lateness
  stoppedEarly: boolean
  /** Set when the run stopped because it fell behind by more than maxLagMs: by how much, ms. */
  lagExceeded?: number
}

/**
 * Sends the stream on schedule: everything due by now goes out as one batch (catching up if
 * behind), then the pacer sleeps until the next message is due. With a linger, the batch first
 * takes the messages due within it of its oldest. Lateness is measured when the sink has taken
 * the batch: flush end minus each message's due time.
 */
export async function pace(
  stream: EventStream,
  schedule: Schedule,
  clock: Clock,
  sink: Sink,
  options: PaceOptions,
): Promise<PaceResult> {
  const lateness = options.lateness ?? new Lateness()
  const onDue = options.onDue
  const paced = schedule.speed !== Infinity
  // A shared stdout (a gate) writes each instant at once: lingering is for Kafka's sends.
  const linger = paced && !options.gate ? (options.lingerMs ?? 0) : 0
  const dues = new Float64Array(options.maxBatch)
  const gate = options.gate
  let sent = 0
  let lastTime = Number.NaN
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
    for (;;) {
      while (n < options.maxBatch && stream.time !== Infinity) {
        const due = dueAt(schedule, stream.time)
        if (due > now || (gate && !gate.allows(stream.time))) break
        dues[n++] = due
        lastTime = stream.time
        sink.add(stream, paced ? due : schedule.start)
        stream.advance()
        if (sink.full?.()) break
      }
      // Linger: wait for the next message if it is due soon enough after this batch's first.
      if (linger === 0 || n === 0 || n >= options.maxBatch || stream.time === Infinity || sink.full?.()) break
      const next = dueAt(schedule, stream.time)
      if (next > dues[0]! + linger) break
      if (next > now) await clock.sleepUntil(next)
      if (options.stopped()) break
      now = clock.now()
    }
    if (onDue && n > 0) onDue(dues[0]!)
    await sink.flush()
    sent += n
    if (gate) {
      gate.publish(stream.time)
      // The other stream holds an earlier message: let it write first.
      if (n === 0) gate.waitForOther(seen, 50)
    }
    if (n === 0) continue
    let behind = 0
    if (paced) {
      const done = clock.now()
      for (let i = 0; i < n; i++) lateness.add(done - dues[i]!)
      behind = Math.max(0, done - dues[0]!)
    }
    onDue?.(stream.time === Infinity ? Infinity : dueAt(schedule, stream.time))
    options.onBatch?.({ sent, eventTime: lastTime, lateness: behind })
    if (options.maxLagMs !== undefined && behind > options.maxLagMs) {
      gate?.publish(Infinity)
      return { sent, lateness, stoppedEarly: true, lagExceeded: behind }
    }
  }
  gate?.publish(Infinity)
  return { sent, lateness, stoppedEarly: false }
}
