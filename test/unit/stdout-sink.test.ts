import { describe, expect, it } from 'bun:test'
import type { EventStream } from '../../src/core/stream.ts'
import { ReplayError } from '../../src/errors.ts'
import { LineSink } from '../../src/outputs/stdout/sink.ts'
import { StdoutClosed, type WriteFn, writeStdout } from '../../src/stdout.ts'

/** One message with a fixed key and value. */
const message = (id: string, value: string, role: EventStream['role'] = 'tasks'): EventStream => ({
  role,
  time: 0,
  keyBytes: () => Buffer.from(`{"id":"${id}"}`),
  keyJson: () => Buffer.from(`{"id":"${id}"}`),
  writeValue: (w) => w.ascii(value),
  advance: () => {},
})

/** A write function that takes at most `chunk` bytes per call and records what it got. */
function recorder(chunk = Infinity): { write: WriteFn; text: () => string; calls: number } {
  const parts: Buffer[] = []
  const r = {
    calls: 0,
    write: ((bytes, offset, length) => {
      r.calls++
      const n = Math.min(length, chunk)
      parts.push(Buffer.from(bytes.subarray(offset, offset + n)))
      return n
    }) as WriteFn,
    text: () => Buffer.concat(parts).toString('utf8'),
  }
  return r
}

const failing =
  (code: string): WriteFn =>
  () => {
    throw Object.assign(new Error(`${code}: failed, write`), { code })
  }

describe('LineSink: dry-run lines', () => {
  it('writes a batch at flush, whole, under the lock, and nothing before', () => {
    const out = recorder()
    let locked = 0
    const sink = new LineSink(
      { tasks: 'tasks' },
      (fn) => {
        locked++
        return fn()
      },
      out.write,
    )
    sink.add(message('a', '{"x":1}'))
    sink.add(message('b', '{"x":2}'))
    expect(out.calls).toBe(0)
    sink.flush()
    expect(locked).toBe(1)
    expect(out.text()).toBe(
      '{"topic":"tasks","key":{"id":"a"},"value":{"x":1}}\n{"topic":"tasks","key":{"id":"b"},"value":{"x":2}}\n',
    )
    sink.flush() // an empty batch writes nothing
    expect(locked).toBe(1)
  })

  it('finishes a batch across short writes (a full pipe)', () => {
    const out = recorder(7)
    const sink = new LineSink({ fragments: 'fragments' }, (fn) => fn(), out.write)
    sink.add(message('a', '{}', 'fragments'))
    sink.flush()
    expect(out.text()).toBe('{"topic":"fragments","key":{"id":"a"},"value":{}}\n')
    expect(out.calls).toBe(Math.ceil(out.text().length / 7))
  })

  it('a full non-blocking stdout (EAGAIN) is waited out, and the batch goes out whole', () => {
    const out = recorder(5)
    let refused = 0
    const write: WriteFn = (bytes, offset, length) => {
      if (refused < 2 && ++refused)
        throw Object.assign(new Error('EAGAIN: resource temporarily unavailable, write'), { code: 'EAGAIN' })
      return out.write(bytes, offset, length)
    }
    const sink = new LineSink({ tasks: 'tasks' }, (fn) => fn(), write)
    sink.add(message('a', '{}'))
    sink.flush()
    expect(out.text()).toBe('{"topic":"tasks","key":{"id":"a"},"value":{}}\n')
    expect([refused, out.calls, sink.written.tasks!.sent]).toEqual([2, Math.ceil(out.text().length / 5), 1])
  })

  it('a reader gone is StdoutClosed; any other failure is an output error naming it', () => {
    const closed = new LineSink({ tasks: 'tasks' }, (fn) => fn(), failing('EPIPE'))
    closed.add(message('a', '{}'))
    expect(() => closed.flush()).toThrow(StdoutClosed)
    const full = new LineSink({ tasks: 'tasks' }, (fn) => fn(), failing('ENOSPC'))
    full.add(message('a', '{}'))
    let error: unknown
    try {
      full.flush()
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ReplayError)
    expect([(error as ReplayError).reason, (error as ReplayError).exitCode, (error as Error).message]).toEqual([
      'output-error',
      6,
      'cannot write to stdout: ENOSPC: failed, write',
    ])
  })

  it('writeStdout: the same rules for texts (help, version, reports)', () => {
    const out = recorder(3)
    writeStdout('héllo\n', out.write)
    expect(out.text()).toBe('héllo\n')
    expect(() => writeStdout('x', failing('EPIPE'))).toThrow(StdoutClosed)
    expect(() => writeStdout('x', failing('EBADF'))).toThrow('cannot write to stdout: EBADF: failed, write')
  })
})
