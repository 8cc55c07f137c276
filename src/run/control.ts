/**
 * The run's shared state, in one SharedArrayBuffer seen by the main thread and both workers:
 * the start barrier and run state, the stdout lock, and the gate's cells (run/gate.ts).
 * Workers load, report ready, then block in Atomics.wait on the state; the main thread publishes
 * the start instant and flips the state, waking both at once, so both streams pace against one
 * clock (sharedClock: performance.timeOrigin + performance.now(), comparable across threads,
 * unlike process.hrtime or Bun.nanoseconds).
 *
 * Layout: Int32 [0] state, [1] stdout lock, [2] gate version;
 * Float64 [2] start instant (ms), [3] and [4] the gate's next event times, [5] and [7] each
 * worker's Kafka batch size limit in bytes (known only once topics are prepared), [6] the
 * schedule's origin (the event time due at the start instant, the same for both streams).
 */
export const State = { loading: 0, running: 1, stopping: 2, aborted: 3 } as const

const BYTES = 64
const STATE = 0
const STDOUT_LOCK = 1
const START = 2
const MAX_MESSAGE_BYTES = [5, 7] as const
const ORIGIN = 6

/** Wall milliseconds on the clock both workers and the main thread share. */
export function sharedClock(): number {
  return performance.timeOrigin + performance.now()
}

export class SharedControl {
  readonly buffer: SharedArrayBuffer
  private readonly ints: Int32Array
  private readonly floats: Float64Array
  /** The gate's cells: each stream's next event time, and a version bumped on every publish. */
  readonly gateNext: Float64Array
  readonly gateVersion: Int32Array

  /** Wraps a buffer made by `SharedControl.create()` (in a worker: the one it was sent). */
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer
    this.ints = new Int32Array(buffer, 0, 4)
    this.floats = new Float64Array(buffer, 0, BYTES / 8)
    this.gateNext = new Float64Array(buffer, 24, 2)
    this.gateVersion = new Int32Array(buffer, 8, 1)
  }

  static create(): SharedControl {
    const control = new SharedControl(new SharedArrayBuffer(BYTES))
    control.gateNext.fill(-Infinity)
    return control
  }

  /** Main thread: publish the start instant, the origin and each worker's Kafka batch limit, then wake every waiting worker. */
  release(start: number, origin: number, maxMessageBytes: readonly [number, number] = [0, 0]): void {
    this.floats[START] = start
    this.floats[ORIGIN] = origin
    this.floats[MAX_MESSAGE_BYTES[0]] = maxMessageBytes[0]
    this.floats[MAX_MESSAGE_BYTES[1]] = maxMessageBytes[1]
    this.setState(State.running)
  }

  /** Main thread: ask the workers to stop (after a release) or never start (abort, before one). */
  stop(): void {
    this.setState(State.stopping)
  }

  abort(): void {
    this.setState(State.aborted)
  }

  private setState(state: number): void {
    Atomics.store(this.ints, STATE, state)
    Atomics.notify(this.ints, STATE)
  }

  get state(): number {
    return Atomics.load(this.ints, STATE)
  }

  /** A stop was asked for: pacing ends at the next check. */
  get stopping(): boolean {
    return this.state >= State.stopping
  }

  get origin(): number {
    return this.floats[ORIGIN]!
  }

  /** The Kafka batch limit of worker `slot`: the smallest max.message.bytes of its topics. */
  maxMessageBytes(slot: 0 | 1): number {
    return this.floats[MAX_MESSAGE_BYTES[slot]]!
  }

  /** Worker: block until released or aborted; returns the start instant, or undefined if aborted. */
  awaitRelease(): number | undefined {
    while (Atomics.load(this.ints, STATE) === State.loading) Atomics.wait(this.ints, STATE, State.loading)
    if (Atomics.load(this.ints, STATE) === State.aborted) return undefined
    return this.floats[START]!
  }

  /** Runs `fn` holding the stdout lock (a spin-free mutex: waiters sleep in Atomics.wait). */
  withStdoutLock<T>(fn: () => T): T {
    const slots = this.ints
    while (Atomics.compareExchange(slots, STDOUT_LOCK, 0, 1) !== 0) Atomics.wait(slots, STDOUT_LOCK, 1)
    try {
      return fn()
    } finally {
      Atomics.store(slots, STDOUT_LOCK, 0)
      Atomics.notify(slots, STDOUT_LOCK, 1)
    }
  }
}
