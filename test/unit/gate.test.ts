import { describe, expect, it } from 'bun:test'
import { SharedControl } from '../../src/run/control.ts'
import { Gate } from '../../src/run/gate.ts'

describe('Gate: the write order of two streams on one stdout', () => {
  it("a stream may write only what is not later than the other's next message; tasks win ties", () => {
    const control = SharedControl.create()
    const tasks = new Gate(control, 0)
    const fragments = new Gate(control, 1)
    tasks.publish(100)
    fragments.publish(100)
    expect(tasks.allows(100)).toBe(true)
    expect(fragments.allows(100)).toBe(false)
    expect(fragments.allows(99)).toBe(true)
    expect(tasks.allows(101)).toBe(false)
    tasks.publish(Infinity) // the tasks stream is done
    expect(fragments.allows(1e15)).toBe(true)
  })

  it('before either has published, nothing is allowed (both start at -Infinity)', () => {
    const control = SharedControl.create()
    expect(new Gate(control, 0).allows(0)).toBe(false)
    expect(new Gate(control, 1).allows(0)).toBe(false)
  })

  it('every publish moves the version on; a wait returns at once when it already moved', () => {
    const control = SharedControl.create()
    const tasks = new Gate(control, 0)
    const fragments = new Gate(control, 1)
    const seen = fragments.snapshot()
    tasks.publish(5)
    expect(fragments.snapshot()).toBe(seen + 1)
    const before = performance.now()
    fragments.waitForOther(seen, 10_000)
    expect(performance.now() - before).toBeLessThan(1_000)
  })

  it('a wait with nothing published ends at its timeout', () => {
    const control = SharedControl.create()
    const gate = new Gate(control, 1)
    const before = performance.now()
    gate.waitForOther(gate.snapshot(), 20)
    expect(performance.now() - before).toBeGreaterThanOrEqual(19)
  })
})
