import { ByteWriter } from '../../core/bytes.ts'
import { LINE_END, LINE_VALUE, lineStart } from '../../core/line.ts'
import type { EventStream } from '../../core/stream.ts'
import { fdWrite, type WriteFn, writeAll } from '../../stdout.ts'
import type { Role } from '../../types.ts'
import type { OutputSink, StreamFigures } from '../output.ts'

/** Per stream: messages written, their bytes, and the event time of the last one. */
export type ByRole = Record<Role, { sent: number; bytes: number; eventTime: number }>

const perRole = (roles: readonly Role[]): ByRole =>
  Object.fromEntries(roles.map((r) => [r, { sent: 0, bytes: 0, eventTime: Number.NaN }]))

/** Runs a write while holding the lock shared by both workers (run/control.ts withStdoutLock). */
export type Locker = <T>(fn: () => T) => T

/** Bytes a dry-run batch may reach before it is written (a batch of seed lines stays far below). */
const FLUSH_BYTES = 1 << 22

/**
 * Dry-run sink: one line per message, as core/line.ts lays it out. A batch is written
 * whole, under a lock shared by both workers, so lines of the two streams never interleave
 * mid-line, even on a pipe where writes larger than PIPE_BUF are not atomic. The write happens at
 * flush, when the batch is due; nothing is held back.
 */
export class LineSink implements OutputSink {
  /** Lines written, per stream, and the event time of the last one (a merged stream writes both). */
  readonly written: ByRole
  private readonly pending: ByRole
  private readonly out = new ByteWriter()
  private readonly starts: Partial<Record<Role, Uint8Array>> = {}
  private readonly lock: Locker
  private readonly write: WriteFn
  private readonly roles: Role[]
  /** The event time of the first message of the batch not written yet (Infinity: none). */
  private first = Infinity

  /** `topics`: the topic of each stream this sink writes (one, or several for a merged stream). */
  constructor(topics: Partial<Record<Role, string>>, lock: Locker, write: WriteFn = fdWrite(1)) {
    for (const [role, topic] of Object.entries(topics)) this.starts[role] = lineStart(topic!)
    this.roles = Object.keys(topics)
    this.written = perRole(this.roles)
    this.pending = perRole(this.roles)
    this.lock = lock
    this.write = write
  }

  add(message: EventStream): void {
    const out = this.out
    const role = message.role
    const start = out.pos
    if (start === 0) this.first = message.time
    out.bytes(this.starts[role]!)
    out.bytes(message.keyJson())
    out.bytes(LINE_VALUE)
    message.writeValue(out)
    out.bytes(LINE_END)
    const pending = this.pending[role]!
    pending.sent++
    pending.bytes += out.pos - start
    pending.eventTime = message.time
  }

  /** A batch goes out once it holds this much: dc-mock's task messages run to a megabyte each. */
  full(): boolean {
    return this.out.pos >= FLUSH_BYTES
  }

  flush(): void {
    const out = this.out
    if (out.pos === 0) return
    const length = out.pos
    out.pos = 0
    this.lock(() => writeAll(this.write, out.buf, length))
    this.first = Infinity
    for (const role of this.roles) {
      const p = this.pending[role]!
      if (p.sent === 0) continue
      const w = this.written[role]!
      w.sent += p.sent
      w.bytes += p.bytes
      w.eventTime = p.eventTime
      p.sent = 0
      p.bytes = 0
    }
  }

  /** A line written is a line delivered: acknowledged as soon as it is written (its bytes: the whole line). */
  figures(): StreamFigures {
    return Object.fromEntries(
      this.roles.map((r) => {
        const w = this.written[r]!
        return [r, { sent: w.sent, acked: w.sent, eventTime: w.eventTime, ackedTime: w.eventTime, bytesAcked: w.bytes }]
      }),
    )
  }

  /** A line written is delivered: what waits is the batch not written yet (its write failed, or blocks). */
  pendingFrom(): number {
    return this.first
  }

  async close(): Promise<void> {
    this.flush()
  }
}
