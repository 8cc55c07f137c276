import { dlopen, FFIType, ptr } from 'bun:ffi'
import { readFileSync, writeSync } from 'node:fs'
import { ByteWriter } from '../../core/bytes.ts'
import type { EventStream } from '../../core/stream.ts'
import { LINE_END, LINE_VALUE, lineStart } from '../../core/wire.ts'
import { ReplayError } from '../../errors.ts'
import type { Role } from '../../types.ts'
import type { OutputSink, StreamFigures } from '../output.ts'

/** Per stream: messages written and the event time of the last one. */
export type ByRole = Record<Role, { sent: number; eventTime: number }>

const perRole = (roles: readonly Role[]): ByRole =>
  Object.fromEntries(roles.map((r) => [r, { sent: 0, eventTime: Number.NaN }]))

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

/** Bytes a dry-run batch may reach before it is written (a batch of seed lines stays far below). */
const FLUSH_BYTES = 1 << 22

/** Blocks this worker briefly while a non-blocking stdout is full (where poll(2) is missing). */
const pause = new Int32Array(new SharedArrayBuffer(4))
/** Longest wait for room on stdout before the write is tried again. */
const ROOM_WAIT_MS = 100

/**
 * Dry-run sink: one line per message, as core/wire.ts lays it out. A batch is written
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
    out.bytes(this.starts[role]!)
    out.bytes(message.keyJson())
    out.bytes(LINE_VALUE)
    message.writeValue(out)
    out.bytes(LINE_END)
    const pending = this.pending[role]!
    pending.sent++
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
    for (const role of this.roles) {
      const p = this.pending[role]!
      if (p.sent === 0) continue
      const w = this.written[role]!
      w.sent += p.sent
      w.eventTime = p.eventTime
      p.sent = 0
    }
  }

  /** A line written is a line delivered: acknowledged as soon as it is written. */
  figures(): StreamFigures {
    return Object.fromEntries(
      this.roles.map((r) => {
        const w = this.written[r]!
        return [r, { sent: w.sent, acked: w.sent, eventTime: w.eventTime }]
      }),
    )
  }

  async close(): Promise<void> {
    this.flush()
  }
}

/**
 * Whether stdout was closed when the process started (`>&-`). The runtime then opens /dev/null
 * as descriptor 1, with O_CLOEXEC: a descriptor inherited through exec never has that flag, so
 * it tells the two apart on Linux (elsewhere this answers false). Writes would vanish.
 */
export function stdoutClosedAtStart(fdinfo = '/proc/self/fdinfo/1'): boolean {
  let text: string
  try {
    text = readFileSync(fdinfo, 'utf8')
  } catch {
    return false
  }
  const flags = /^flags:\s*([0-7]+)/m.exec(text)?.[1]
  return flags !== undefined && (Number.parseInt(flags, 8) & 0o2000000) !== 0
}

/** Fails when stdout was closed at start: a command that writes there would lose everything. */
export function requireStdout(closed = stdoutClosedAtStart()): void {
  if (closed) throw new ReplayError('output-error', 'stdout is closed (>&-): nothing written there would be kept')
}

const POLLOUT = 0x004
const POLLERR = 0x008
const POLLHUP = 0x010
let pollStdout: ((events: number, timeoutMs: number) => number) | null | undefined
const pollfd = new DataView(new ArrayBuffer(8))

/** poll(2) on descriptor 1 (its revents), through libc; null where libc cannot be loaded (Windows). */
function stdoutPoller(): ((events: number, timeoutMs: number) => number) | null {
  if (pollStdout !== undefined) return pollStdout
  try {
    const name = process.platform === 'darwin' ? 'libc.dylib' : 'libc.so.6'
    const libc = dlopen(name, { poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 } })
    pollfd.setInt32(0, 1, true) // fd 1; errors and hang-ups are reported whatever the events asked
    const fds = ptr(pollfd)
    pollStdout = (events, timeoutMs) => {
      pollfd.setInt16(4, events, true)
      pollfd.setInt16(6, 0, true)
      return libc.symbols.poll(fds, 1, timeoutMs) > 0 ? pollfd.getInt16(6, true) : 0
    }
  } catch {
    pollStdout = null
  }
  return pollStdout
}

/**
 * Whether the reader of stdout went away, asked without writing: a pipe whose read end closed
 * reports an error on poll(2). So `replay --speed 1 | head -1` ends when head does, not at the
 * next due line (which on SURF can be 30 s away).
 */
export function stdoutReaderGone(): boolean {
  const poll = stdoutPoller()
  return poll !== null && (poll(0, 0) & (POLLERR | POLLHUP)) !== 0
}

/**
 * Waits until stdout can take more bytes (at most `timeoutMs`). The runtime makes a piped stdout
 * non-blocking, so a slow reader fills the pipe: waiting on poll(2) for room, instead of retrying
 * the write every millisecond, keeps the failed writes (each an error object) to a few. Retrying
 * made 10x SURF through a slow reader grow by 1.7 MB a second (375 MB at the end, 315 MB to
 * /dev/null).
 */
function awaitRoom(timeoutMs: number): void {
  const poll = stdoutPoller()
  if (poll === null) Atomics.wait(pause, 0, 0, 1)
  else poll(POLLOUT, timeoutMs)
}

/** Writes a text to stdout (help, version, a report); a failure is an error, a reader gone is StdoutClosed. */
export function writeStdout(text: string, write: WriteFn = fdWrite(1)): void {
  const bytes = Buffer.from(text, 'utf8')
  writeAll(write, bytes, bytes.length)
}

function writeAll(write: WriteFn, bytes: Uint8Array, length: number): void {
  let offset = 0
  while (offset < length) {
    let n: number
    try {
      n = write(bytes, offset, length - offset)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EPIPE') throw new StdoutClosed()
      if (code !== 'EAGAIN')
        throw new ReplayError('output-error', `cannot write to stdout: ${(error as Error).message}`, { cause: error })
      n = 0
    }
    offset += n
    // The pipe is full: wait for room before the next write rather than meet EAGAIN again.
    if (offset < length) awaitRoom(ROOM_WAIT_MS)
  }
}
