import { describe, expect, it } from 'bun:test'
import { compressor, findGaps, mergeAscending } from '../../src/core/gaps.ts'

describe('--max-gap', () => {
  it('shortens idle stretches longer than maxGap to maxGap, from the window start', () => {
    // window from 0; events at 100 (gap 100), 150, 1150 (gap 1000), 1200, 5200 (gap 4000)
    const gaps = findGaps([100, 150, 1150, 1200, 5200], 0, 300)
    expect([...gaps.ends]).toEqual([1150, 5200])
    expect([...gaps.skipped]).toEqual([700, 4400])
    expect(gaps.total).toBe(4400)
    const c = compressor(gaps)
    expect([100, 150, 1150, 1200, 5200].map(c)).toEqual([100, 150, 450, 500, 800])
    // between events, time before a gap's end is not compressed by it
    expect(c(1149)).toBe(1149)
  })

  it('no long gap leaves times as they are; equal times are no gap', () => {
    const gaps = findGaps([0, 0, 10, 20], 0, 10)
    expect(gaps.total).toBe(0)
    expect(compressor(gaps)(123)).toBe(123)
  })

  it("merges the two streams' times", () => {
    const merged = [...mergeAscending([1, 4, 4, 9][Symbol.iterator](), [2, 4, 10][Symbol.iterator]())]
    expect(merged).toEqual([1, 2, 4, 4, 4, 9, 10])
  })
})
