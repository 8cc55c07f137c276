import { float64s, GATE_NEXT, GATE_VERSION, int32s } from './barrier.ts'

/**
 * Orders the two streams' lines on one stdout deterministically: a line goes out only when the
 * other stream has nothing earlier left to write (ties: tasks first). Each worker publishes the
 * event time of its next unwritten message after every write; a worker whose next message is
 * not allowed yet waits for the other to publish. So `--speed max` output is byte-identical
 * run to run, and paced output keeps time order across streams. Progress is guaranteed: the
 * stream with the smaller next time is always allowed to write.
 */
const SPINS = 20_000

export class Gate {
  private readonly next: Float64Array
  private readonly version: Int32Array
  private readonly mine: number
  private readonly other: number
  private readonly tiesFirst: boolean

  /** `slot` 0 is the tasks stream (first on ties), 1 the fragments stream. */
  constructor(shared: SharedArrayBuffer, slot: 0 | 1) {
    this.next = float64s(shared)
    this.version = int32s(shared)
    this.mine = GATE_NEXT + slot
    this.other = GATE_NEXT + 1 - slot
    this.tiesFirst = slot === 0
  }

  /** Whether a message at `time` may be written now. */
  allows(time: number): boolean {
    const other = this.next[this.other]!
    return this.tiesFirst ? time <= other : time < other
  }

  /** After a write: the event time of my next unwritten message (Infinity when done). */
  publish(time: number): void {
    this.next[this.mine] = time
    Atomics.add(this.version, GATE_VERSION, 1)
    Atomics.notify(this.version, GATE_VERSION)
  }

  /** How many publishes so far; take it before checking `allows`, then pass it to waitForOther. */
  snapshot(): number {
    return Atomics.load(this.version, GATE_VERSION)
  }

  /** Blocks until anyone publishes after `seen` (no lost wake-ups), `timeoutMs` at most. */
  waitForOther(seen: number, timeoutMs: number): void {
    // Hand-offs are frequent at --speed max (one per task between fragment runs) and a futex
    // wake-up costs tens of microseconds: spin briefly first, then sleep.
    for (let i = 0; i < SPINS; i++) if (Atomics.load(this.version, GATE_VERSION) !== seen) return
    Atomics.wait(this.version, GATE_VERSION, seen, timeoutMs)
  }
}
