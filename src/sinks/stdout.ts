import { writeSync } from 'node:fs'
import { ByteWriter } from '../core/bytes.ts'
import type { Sink } from '../core/pacer.ts'
import type { EventStream } from '../core/stream.ts'
import { LINE_END, LINE_VALUE, lineStart } from '../core/wire.ts'
import { ReplayError } from '../errors.ts'

/** The reader of stdout went away (EPIPE): the run ends quietly. */
export class StdoutClosed extends Error {
  constructor() {
    super('stdout closed')
    this.name = 'StdoutClosed'
  }
}

/** Writes bytes from `offset` on; returns how many were taken (may be fewer). */
export type WriteFn = (bytes: Uint8Array, offset: number, length: number) => number

/** Runs a write while holding the lock shared by both workers (run/control.ts withStdoutLock). */
export type Locker = <T>(fn: () => T) => T

export const fdWrite =
  (fd: number): WriteFn =>
  (bytes, offset, length) =>
    writeSync(fd, bytes, offset, length)

/** Blocks this worker briefly while a non-blocking stdout is full. */
const pause = new Int32Array(new SharedArrayBuffer(4))

/**
 * Dry-run sink: one line per message, as core/wire.ts lays it out. A batch is written
 * whole, under a lock shared by both workers, so lines of the two streams never interleave
 * mid-line, even on a pipe where writes larger than PIPE_BUF are not atomic. The write happens at
 * flush, when the batch is due; nothing is held back.
 */
export class LineSink implements Sink {
  private readonly out = new ByteWriter()
  private readonly start: Uint8Array
  private readonly lock: Locker
  private readonly write: WriteFn

  constructor(topic: string, lock: Locker, write: WriteFn = fdWrite(1)) {
    this.start = lineStart(topic)
    this.lock = lock
    this.write = write
  }

  add(message: EventStream): void {
    const out = this.out
    out.bytes(this.start)
    out.bytes(message.keyBytes())
    out.bytes(LINE_VALUE)
    message.writeValue(out)
    out.bytes(LINE_END)
  }

  flush(): void {
    const out = this.out
    if (out.pos === 0) return
    const length = out.pos
    out.pos = 0
    this.lock(() => writeAll(this.write, out.buf, length))
  }
}

/** Writes a text to stdout (help, version, a report); a failure is an error, a reader gone is StdoutClosed. */
export function writeStdout(text: string, write: WriteFn = fdWrite(1)): void {
  const bytes = Buffer.from(text, 'utf8')
  writeAll(write, bytes, bytes.length)
}

function writeAll(write: WriteFn, bytes: Uint8Array, length: number): void {
  let offset = 0
  while (offset < length) {
    try {
      offset += write(bytes, offset, length - offset)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EPIPE') throw new StdoutClosed()
      if (code !== 'EAGAIN')
        throw new ReplayError('stdout-error', `cannot write to stdout: ${(error as Error).message}`, { cause: error })
      Atomics.wait(pause, 0, 0, 1)
    }
  }
}
