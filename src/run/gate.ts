import type { WriteGate } from '../core/pacer.ts'
import type { SharedControl } from './control.ts'

/**
 * Orders the two streams' lines on one stdout deterministically: a line goes out only when the
 * other stream has nothing earlier left to write (ties: tasks first). Each worker publishes the
 * event time of its next unwritten message after every write; a worker whose next message is
 * not allowed yet waits for the other to publish. So `--speed max` output is byte-identical
 * run to run, and paced output keeps time order across streams. Progress is guaranteed: the
 * stream with the smaller next time is always allowed to write.
 */
const SPINS = 20_000

export class Gate implements WriteGate {
  private readonly next: Float64Array
  private readonly version: Int32Array
  private readonly mine: number
  private readonly other: number
  private readonly tiesFirst: boolean

  /** `slot` 0 is the tasks stream (first on ties), 1 the fragments stream. */
  constructor(control: Pick<SharedControl, 'gateNext' | 'gateVersion'>, slot: 0 | 1) {
    this.next = control.gateNext
    this.version = control.gateVersion
    this.mine = slot
    this.other = 1 - slot
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
    Atomics.add(this.version, 0, 1)
    Atomics.notify(this.version, 0)
  }

  /** How many publishes so far; take it before checking `allows`, then pass it to waitForOther. */
  snapshot(): number {
    return Atomics.load(this.version, 0)
  }

  /** Blocks until anyone publishes after `seen` (no lost wake-ups), `timeoutMs` at most. */
  waitForOther(seen: number, timeoutMs: number): void {
    // Hand-offs are frequent at --speed max (one per task between fragment runs) and a futex
    // wake-up costs tens of microseconds: spin briefly first, then sleep.
    for (let i = 0; i < SPINS; i++) if (Atomics.load(this.version, 0) !== seen) return
    Atomics.wait(this.version, 0, seen, timeoutMs)
  }
}
