import { describe, expect, it } from 'bun:test'
import { retime } from '../../src/core/cycles.ts'
import { demand, MAX_BUCKETS } from '../../src/core/demand.ts'
import { demandSvg } from '../../src/inspect/svg.ts'
import { makeFragments, makeTasks } from '../helpers.ts'

const T = Date.UTC(2022, 9, 6, 22)

/**
 * a at T: 1000 ms at 100 MHz, then 2000 ms at 50 MHz; b at T+500: 1000 ms at 200 MHz; c at
 * T+4000 without fragments. By hand, the demand is 100 on [0, 500), 300 on [500, 1000), 250 on
 * [1000, 1500), 50 on [1500, 3000) and 0 on [3000, 4000) ms from T.
 */
function trace() {
  const tasks = makeTasks([
    ['a', T, 3000],
    ['b', T + 500, 1000],
    ['c', T + 4000, 10],
  ])
  const fragments = makeFragments(3, [
    [0, 1000],
    [1, 1000],
    [0, 2000],
  ])
  fragments.cpuUsage.set([100, 50, 200]) // grouped order: a's two, then b's
  return { tasks, fragments }
}

describe('demand over the timeline', () => {
  it('a hand-made trace, worked out by hand', () => {
    const { tasks, fragments } = trace()
    const d = demand(tasks, fragments, 200)
    expect(d.totalCycles).toBe(String(1000 * 100 * 1000 + 2000 * 50 * 1000 + 1000 * 200 * 1000))
    expect(d.topTasks).toEqual([
      { id: 'a', cycles: 200_000_000 },
      { id: 'b', cycles: 200_000_000 },
      { id: 'c', cycles: 0 },
    ])
    // integral 100*500 + 300*500 + 250*500 + 50*1500 = 400,000 MHz ms over 4,000 ms
    expect([d.from, d.to, d.mean, d.peak, d.peakAt]).toEqual([T, T + 4000, 100, 300, T + 500])
    // time-weighted: 0 for 1000 ms, 50 for 1500, 100 for 500, 250 for 500, 300 for 500
    expect([d.p50, d.p99]).toEqual([50, 300])
    // above 200 MHz on [500, 1500): 1000 ms
    expect(d.capacity).toEqual({ mhz: 200, peakUtilization: 1.5, meanUtilization: 0.5, minutesOver: 1000 / 60_000 })
    expect([d.bucketStart, d.bucketMs, [...d.bucketMean], [...d.bucketMax]]).toEqual([
      T,
      60_000,
      [400_000 / 60_000],
      [300],
    ])
    expect([d.submissionStart, d.submissionMs, [...d.submissions]]).toEqual([T, 3_600_000, [3]])
  })

  it('on a what-if host the cycles stay and the timeline follows them', () => {
    const { tasks, fragments } = trace()
    retime(tasks, fragments, { cpus: 1, mhz: 400 })
    // a: 100,000 then 100,000 MHz ms -> 250 + 250 ms at 400, so [0, 500); b: 200,000 -> 500 ms at
    // 400 from 500, so [500, 1000). They no longer overlap: 400 for 1000 ms, 0 for 3000 ms. The
    // integral, 400,000 MHz ms, is the cycles' and does not change: neither does the mean.
    const d = demand(tasks, fragments)
    expect(d.totalCycles).toBe('400000000')
    expect([d.mean, d.peak, d.peakAt, d.p50, d.p99]).toEqual([100, 400, T, 0, 400])
  })

  it('the SVG draws each minute at (x0 + m sx, y0 - v sy), from the values themselves', () => {
    const { tasks, fragments } = trace()
    const d = demand(tasks, fragments, 200)
    const svg = demandSvg(d, null)
    for (const [id, values] of [
      ['demand-mean', d.bucketMean],
      ['demand-max', d.bucketMax],
    ] as const) {
      const line = new RegExp(
        `<polyline id="${id}" data-x0="([^"]+)" data-sx="([^"]+)" data-y0="([^"]+)" data-sy="([^"]+)" points="([^"]+)"`,
      ).exec(svg)!
      const [x0, sx, y0, sy] = line.slice(1, 5).map(Number) as [number, number, number, number]
      expect(line[5]!.split(' ')).toEqual(Array.from(values, (v, m) => `${x0 + m * sx},${y0 - v * sy}`))
    }
    expect(svg).toContain('<line id="capacity"')
    expect(svg.match(/<rect x=[^>]*><title>3<\/title><\/rect>/g)?.length).toBe(1)
  })

  it('a century of trace costs by its buckets, not its minutes: 2^k-minute buckets, at most MAX_BUCKETS', () => {
    // Three one-minute tasks, a century apart: 52.6 million minutes of span.
    const century = 100 * 365.25 * 86_400_000
    const tasks = makeTasks([
      ['a', T, 60_000],
      ['b', T + century, 60_000],
      ['c', T + 2 * century, 60_000],
    ])
    const fragments = makeFragments(3, [
      [0, 60_000],
      [1, 60_000],
      [2, 60_000],
    ])
    const d = demand(tasks, fragments)
    // 200 years are 105 million minutes: 2^13 minutes is the first width that fits 16,384 buckets.
    expect(d.bucketMs).toBe(8192 * 60_000)
    expect(d.bucketMean.length).toBeLessThanOrEqual(MAX_BUCKETS)
    expect(d.submissions.length).toBeLessThanOrEqual(MAX_BUCKETS)
    expect(d.submissions.reduce((n, x) => n + x, 0)).toBe(3)
    expect(d.peak).toBe(102) // usages 100, 101, 102 (makeFragments)
    const svg = demandSvg(d, null)
    expect(svg.length).toBeLessThan(2_000_000)
    expect(svg).toContain('per-8192-minute max (light) and mean (dark)')
  })
})
