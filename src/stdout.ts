/**
 * Descriptor 1, whatever writes to it: the dry-run's lines (outputs/stdout/), `--help`, and the
 * reports of inspect and verify. A reader that goes away (EPIPE) is StdoutClosed, a full pipe is
 * waited on with poll(2), and a stdout closed at start is refused before anything is written.
 */
import { dlopen, FFIType, ptr } from 'bun:ffi'
import { readFileSync, writeSync } from 'node:fs'
import { ReplayError } from './errors.ts'

/** The reader of stdout went away (EPIPE): the run ends quietly. */
export class StdoutClosed extends Error {
  constructor() {
    super('stdout closed')
    this.name = 'StdoutClosed'
  }
}

/** Writes bytes from `offset` on; returns how many were taken (may be fewer). */
export type WriteFn = (bytes: Uint8Array, offset: number, length: number) => number

export const fdWrite =
  (fd: number): WriteFn =>
  (bytes, offset, length) =>
    writeSync(fd, bytes, offset, length)

/** Blocks this worker briefly while a non-blocking stdout is full (where poll(2) is missing). */
const pause = new Int32Array(new SharedArrayBuffer(4))
/** Longest wait for room on stdout before the write is tried again. */
const ROOM_WAIT_MS = 100

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

/** Writes `length` bytes whole, waiting for room on a full pipe; a reader gone is StdoutClosed. */
export function writeAll(write: WriteFn, bytes: Uint8Array, length: number): void {
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
