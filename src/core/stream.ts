import type { Role } from '../types.ts'
import type { ByteWriter } from './bytes.ts'

/**
 * One stream of messages in non-decreasing event time, produced on demand: nothing is
 * materialized per message. `time` is Infinity once the window is exhausted.
 */
export interface EventStream {
  readonly role: Role
  /** Event time of the next message (epoch ms), Infinity when there is none. */
  readonly time: number
  /** The next message's record key (cached per task; null: no key) and its value, written into `w` (valid while time is finite). */
  keyBytes(): Buffer | null
  /** The key as a dry-run line spells it (JSON): the key bytes themselves when they are JSON. */
  keyJson(): Buffer
  writeValue(w: ByteWriter): void
  advance(): void
}

/** Several streams as one, in time order; on ties the earlier-listed stream's message goes first. */
export function mergeStreams(streams: EventStream[]): EventStream {
  return streams.reduce((merged, next) => new MergedStream(merged, next))
}

/**
 * Two streams as one, in time order, the first one's message first on ties: the order the Gate
 * (run/gate.ts) keeps between two threads, kept by one. At --speed max to stdout one worker
 * writes both streams through it, since two threads handing off every few lines slowed ten-fold
 * when other processes held the cores (each hand-off waited for the other thread's next slice).
 */
export class MergedStream implements EventStream {
  time = Infinity
  private current: EventStream
  private readonly first: EventStream
  private readonly second: EventStream

  constructor(first: EventStream, second: EventStream) {
    this.first = first
    this.second = second
    this.current = first
    this.pick()
  }

  get role(): Role {
    return this.current.role
  }

  keyBytes(): Buffer | null {
    return this.current.keyBytes()
  }

  keyJson(): Buffer {
    return this.current.keyJson()
  }

  writeValue(w: ByteWriter): void {
    this.current.writeValue(w)
  }

  advance(): void {
    this.current.advance()
    this.pick()
  }

  private pick(): void {
    this.current = this.second.time < this.first.time ? this.second : this.first
    this.time = this.current.time
  }
}
