/**
 * The start barrier and run state shared by the main thread and both workers, in one
 * SharedArrayBuffer. Workers load, report ready, then block in Atomics.wait on the state slot;
 * the main thread publishes the start instant and flips the state, waking both at once, so both
 * streams pace against one clock (performance.timeOrigin + performance.now(), which is
 * comparable across threads, unlike process.hrtime or Bun.nanoseconds).
 *
 * Layout: Int32 [0] state, [1] stdout lock, [2] gate version (gate.ts);
 * Float64 [2] (byte 16) start instant (ms), [3] and [4] the gate's next event times,
 * [5] the batch size limit in bytes for the Kafka sink (known only once topics are prepared),
 * [6] the schedule's origin (event time due at the start instant), the same for both streams.
 */
export const State = { loading: 0, running: 1, stopping: 2, aborted: 3 } as const

const STATE = 0
export const STDOUT_LOCK = 1
export const GATE_VERSION = 2
const START = 2
export const GATE_NEXT = 3
const MAX_MESSAGE_BYTES = 5
const ORIGIN = 6

export const int32s = (shared: SharedArrayBuffer) => new Int32Array(shared, 0, 4)
export const float64s = (shared: SharedArrayBuffer) => new Float64Array(shared, 0, 7)

export function createShared(): SharedArrayBuffer {
  const shared = new SharedArrayBuffer(56)
  float64s(shared).fill(-Infinity, GATE_NEXT)
  return shared
}

export function sharedClock(): number {
  return performance.timeOrigin + performance.now()
}

/** Main thread: publish the start instant, the origin (and the Kafka batch limit), then release every waiting worker. */
export function release(shared: SharedArrayBuffer, start: number, origin: number, maxMessageBytes = 0): void {
  float64s(shared)[START] = start
  float64s(shared)[ORIGIN] = origin
  float64s(shared)[MAX_MESSAGE_BYTES] = maxMessageBytes
  setState(shared, State.running)
}

/** Main thread: ask the workers to stop (after a release) or never start (before one). */
export function setState(shared: SharedArrayBuffer, state: number): void {
  const slots = int32s(shared)
  Atomics.store(slots, STATE, state)
  Atomics.notify(slots, STATE)
}

export function state(shared: SharedArrayBuffer): number {
  return Atomics.load(int32s(shared), STATE)
}

export function origin(shared: SharedArrayBuffer): number {
  return float64s(shared)[ORIGIN]!
}

export function maxMessageBytes(shared: SharedArrayBuffer): number {
  return float64s(shared)[MAX_MESSAGE_BYTES]!
}

/** Worker: block until released or aborted; returns the start instant, or undefined if aborted. */
export function awaitRelease(shared: SharedArrayBuffer): number | undefined {
  const slots = int32s(shared)
  while (Atomics.load(slots, STATE) === State.loading) Atomics.wait(slots, STATE, State.loading)
  if (Atomics.load(slots, STATE) === State.aborted) return undefined
  return float64s(shared)[START]!
}

/** Runs `fn` holding a lock slot (a spin-free mutex: waiters sleep in Atomics.wait). */
export function withLock<T>(shared: SharedArrayBuffer, slot: number, fn: () => T): T {
  const slots = int32s(shared)
  while (Atomics.compareExchange(slots, slot, 0, 1) !== 0) Atomics.wait(slots, slot, 1)
  try {
    return fn()
  } finally {
    Atomics.store(slots, slot, 0)
    Atomics.notify(slots, slot, 1)
  }
}
