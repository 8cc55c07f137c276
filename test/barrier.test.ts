import { describe, expect, it } from 'bun:test'
import { createShared, release, setState, sharedClock, State } from '../src/barrier.ts'

function spawn(): Worker {
  return new Worker(new URL('./workers/barrier-worker.ts', import.meta.url))
}

const next = (w: Worker) => new Promise<any>((resolve) => w.addEventListener('message', (e) => resolve(e.data), { once: true }))

describe('start barrier', () => {
  it('holds both workers until the release, then both start from the one published instant', async () => {
    const shared = createShared()
    const workers = [spawn(), spawn()]
    const waiting = workers.map(next)
    workers.forEach((w) => w.postMessage(shared))
    const before = await Promise.all(waiting)
    expect(before.map((m) => m.stateBefore)).toEqual([State.loading, State.loading])
    const woke = workers.map(next)
    const start = sharedClock()
    release(shared, start, 0)
    const after = await Promise.all(woke)
    expect(after.map((m) => m.start)).toEqual([start, start])
    for (const m of after) expect(m.wokeAt).toBeGreaterThanOrEqual(start)
    workers.forEach((w) => w.terminate())
  })

  it('an abort wakes them without a start instant', async () => {
    const shared = createShared()
    const workers = [spawn(), spawn()]
    const waiting = workers.map(next)
    workers.forEach((w) => w.postMessage(shared))
    await Promise.all(waiting)
    const woke = workers.map(next)
    setState(shared, State.aborted)
    expect((await Promise.all(woke)).map((m) => m.start)).toEqual([undefined, undefined])
    workers.forEach((w) => w.terminate())
  })
})
