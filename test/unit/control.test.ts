import { describe, expect, it } from 'bun:test'
import { SharedControl, State, sharedClock } from '../../src/run/control.ts'

function spawn(): Worker {
  return new Worker(new URL('./workers/barrier-worker.ts', import.meta.url))
}

const next = (w: Worker) =>
  new Promise<{ stateBefore?: number; start?: number; wokeAt?: number }>((resolve) =>
    w.addEventListener('message', (e) => resolve(e.data), { once: true }),
  )

describe('start barrier (SharedControl)', () => {
  it('holds both workers until the release, then both start from the one published instant', async () => {
    const control = SharedControl.create()
    const workers = [spawn(), spawn()]
    const waiting = workers.map(next)
    for (const w of workers) w.postMessage(control.buffer)
    const before = await Promise.all(waiting)
    expect(before.map((m) => m.stateBefore)).toEqual([State.loading, State.loading])
    const woke = workers.map(next)
    const start = sharedClock()
    control.release(start, 0)
    const after = await Promise.all(woke)
    expect(after.map((m) => m.start)).toEqual([start, start])
    for (const m of after) expect(m.wokeAt).toBeGreaterThanOrEqual(start)
    for (const w of workers) w.terminate()
  })

  it('an abort wakes them without a start instant', async () => {
    const control = SharedControl.create()
    const workers = [spawn(), spawn()]
    const waiting = workers.map(next)
    for (const w of workers) w.postMessage(control.buffer)
    await Promise.all(waiting)
    const woke = workers.map(next)
    control.abort()
    expect((await Promise.all(woke)).map((m) => m.start)).toEqual([undefined, undefined])
    for (const w of workers) w.terminate()
  })
})

describe('SharedControl', () => {
  it('publishes the origin and the batch limit with the release; stop and abort are states', () => {
    const control = SharedControl.create()
    expect(control.state).toBe(State.loading)
    expect(control.stopping).toBe(false)
    control.release(1000, 1_665_093_600_000, [1_048_588, 2_097_152])
    expect([control.state, control.origin, control.maxMessageBytes(0), control.maxMessageBytes(1)]).toEqual([
      State.running,
      1_665_093_600_000,
      1_048_588,
      2_097_152,
    ])
    control.stop()
    expect([control.state, control.stopping]).toEqual([State.stopping, true])
    control.abort()
    expect([control.state, control.stopping]).toEqual([State.aborted, true])
  })

  it('a worker wrapping the same buffer sees the same cells', () => {
    const control = SharedControl.create()
    const other = new SharedControl(control.buffer)
    expect([...other.gateNext]).toEqual([-Infinity, -Infinity])
    control.release(5, 7, [9, 10])
    expect([other.state, other.origin, other.maxMessageBytes(0), other.maxMessageBytes(1)]).toEqual([
      State.running,
      7,
      9,
      10,
    ])
  })

  it('the stdout lock runs one holder at a time and is released after a throw', () => {
    const control = SharedControl.create()
    const order: string[] = []
    control.withStdoutLock(() => order.push('first'))
    expect(() =>
      control.withStdoutLock(() => {
        throw new Error('write failed')
      }),
    ).toThrow('write failed')
    control.withStdoutLock(() => order.push('after a throw'))
    expect(order).toEqual(['first', 'after a throw'])
  })
})
