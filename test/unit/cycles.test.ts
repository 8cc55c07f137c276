import { describe, expect, it } from 'bun:test'
import { retimedDurationMs, runtimeMs, totalCycles } from '../../src/core/cycles.ts'

describe('cycle math (the seed worked examples)', () => {
  it('a 5000 ms fragment at 1000 MHz needs 5,000,000,000 cycles', () => {
    expect(totalCycles(5000, 1000)).toBe(5_000_000_000)
  })
  it.each([
    [2, 1000, 2500],
    [1, 5000, 1000],
    [1, 1000, 5000],
    [4, 2500, 500],
  ])('on %i CPUs at %i MHz it takes %i ms', (cpus, mhz, ms) => {
    expect(runtimeMs(5_000_000_000, cpus, mhz)).toBe(ms)
    expect(retimedDurationMs(5000, 1000, cpus, mhz)).toBe(ms)
  })
  it('zero usage needs zero cycles and takes zero time', () => {
    expect(totalCycles(30_000, 0)).toBe(0)
    expect(runtimeMs(0, 2, 1000)).toBe(0)
  })
  it.each([
    [() => runtimeMs(1, 0, 1000), 'cycles: host CPU count must be > 0, got 0'],
    [() => runtimeMs(1, 2, 0), 'cycles: host CPU frequency must be > 0 MHz, got 0'],
    [() => runtimeMs(1, -1, 1000), 'cycles: host CPU count must be > 0, got -1'],
    [() => totalCycles(-1, 1000), 'cycles: duration must be >= 0 ms, got -1'],
    [() => totalCycles(10, Number.NaN), 'cycles: cpu usage must be >= 0 MHz, got NaN'],
  ])('rejects a bad host or fragment (%#)', (fn, message) => {
    expect(fn).toThrow(new RangeError(message))
  })
})
