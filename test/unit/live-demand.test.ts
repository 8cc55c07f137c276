import { describe, expect, it } from 'bun:test'
import { demand } from '../../src/core/demand.ts'
import { demandBuckets, demandSeries, liveCapacity, ReceivedDemand } from '../../src/live/demand.ts'
import { parseTopology } from '../../src/trace/topology.ts'
import { makeFragments, makeTasks } from '../helpers.ts'

const T = Date.UTC(2022, 9, 6, 22)
const S = T / 1000

/**
 * a at T: 90 s at 100 MHz; b at T+120 s: 60 s at 30 MHz; c at T+150 s: 30 s at 60 MHz. By hand,
 * per minute: [0, 60) 100 throughout (mean 100, max 100); [60, 120) 100 for 30 s then 0 (mean 50,
 * max 100); [120, 180) 30 for 30 s, then 90 (mean 60, max 90). The last event is at T+180 s.
 */
function trace() {
  const tasks = makeTasks([
    ['a', T, 90_000],
    ['b', T + 120_000, 60_000],
    ['c', T + 150_000, 30_000],
  ])
  const fragments = makeFragments(3, [
    [0, 90_000],
    [1, 60_000],
    [2, 30_000],
  ])
  fragments.cpuUsage.set([100, 30, 60])
  return demand(tasks, fragments)
}

/** The trace's fragments as the twin receives them: [from, to, MHz]. */
const FRAGMENTS: [number, number, number][] = [
  [T, T + 90_000, 100],
  [T + 120_000, T + 180_000, 30],
  [T + 150_000, T + 180_000, 60],
]

describe('the demand series, merged to at most maxPoints', () => {
  it("inspect's minutes, worked out by hand", () => {
    const d = trace()
    expect([...d.bucketMean]).toEqual([100, 50, 60])
    expect(demandSeries(d, null)).toEqual({
      t: [S, S + 60, S + 120],
      mean: [100, 50, 60],
      max: [100, 100, 90],
      capacity: null,
    })
  })

  it('adjacent buckets merged: the mean of their means, the max of their maxes; the last holds the rest', () => {
    const capacity = { mhz: 200, source: 'by hand' }
    expect(demandSeries(trace(), capacity, 2)).toEqual({
      t: [S, S + 120],
      mean: [75, 60],
      max: [100, 90],
      capacity,
    })
    expect(demandBuckets(trace(), 2)).toEqual({
      startMs: T,
      widthMs: 120_000,
      count: 2,
      endMs: T + 180_000,
      source: { startMs: T, widthMs: 60_000, count: 3 },
      merge: 2,
    })
    expect(demandSeries(trace(), null, 1).mean).toEqual([70])
  })

  it('refuses fewer than one point', () => {
    expect(() => demandBuckets(trace(), 0)).toThrow('demand: maxPoints must be at least 1, got 0')
  })
})

describe('the demand received, in the same buckets', () => {
  it('every fragment in, in any order: equal to the expected mean', () => {
    for (const maxPoints of [5000, 2, 1]) {
      const d = trace()
      const received = new ReceivedDemand(demandBuckets(d, maxPoints))
      for (const [from, to, mhz] of [...FRAGMENTS].reverse()) received.add(from, to, mhz)
      expect(received.series()).toEqual(demandSeries(d, null, maxPoints).mean)
    }
  })

  it('so far: the buckets a fragment reached, time-weighted; the changes since the last frame', () => {
    const received = new ReceivedDemand(demandBuckets(trace(), 2))
    expect(received.takeChanges()).toBeNull()
    received.add(...FRAGMENTS[0]!)
    expect(received.series()).toEqual([75, 0])
    expect(received.takeChanges()).toEqual({ from: 0, values: [75] })
    expect(received.takeChanges()).toBeNull()
    received.add(...FRAGMENTS[2]!)
    // 60 MHz for 30 s of the last bucket (one minute of inspect's).
    expect(received.takeChanges()).toEqual({ from: 1, values: [30] })
  })

  it("outside the trace's buckets, empty, negative or unreadable: nothing, or the part inside", () => {
    const received = new ReceivedDemand(demandBuckets(trace()))
    received.add(T - 60_000, T, 500)
    received.add(T + 10_000, T + 10_000, 500)
    received.add(T + 10_000, T, 500)
    received.add(T, T + 10_000, -1)
    received.add(T, T + 10_000, Number.NaN)
    received.add(T, T + 10_000, Number.POSITIVE_INFINITY)
    expect(received.takeChanges()).toBeNull()
    // 12 MHz from T+170 s to T+200 s: its 10 s before T+180 s count, 2 MHz over the minute.
    received.add(T + 170_000, T + 200_000, 12)
    expect(received.series()).toEqual([0, 0, 2])
  })
})

describe('the capacity a live view draws against', () => {
  const topology = (path: string, hosts: [count: number, cores: number, mhz: number][]) =>
    parseTopology(
      path,
      JSON.stringify({
        clusters: [{ hosts: hosts.map(([count, coreCount, coreSpeed]) => ({ count, cpu: { coreCount, coreSpeed } })) }],
      }),
    )
  const surf = topology('surf/topology.json', [[277, 16, 2100]])
  const whatIf = topology('whatif.json', [
    [10, 32, 3000],
    [5, 8, 2000],
  ])

  it.each([
    ['none', {}, null],
    [
      "the trace's topology",
      { topology: surf },
      { mhz: 277 * 16 * 2100, source: 'surf/topology.json: 277 hosts x 16 cores x 2100 MHz' },
    ],
    [
      "--host-topology: its file, over the trace's",
      { host: { cpus: 32, mhz: 3000 }, hostTopology: whatIf, topology: surf },
      { mhz: 10 * 32 * 3000 + 5 * 8 * 2000, source: 'whatif.json: 15 hosts of 2 kinds' },
    ],
    [
      "--host-cpus/--host-mhz: the trace's hosts, of that kind",
      { host: { cpus: 4, mhz: 2500 }, topology: surf },
      { mhz: 277 * 4 * 2500, source: "surf/topology.json's 277 hosts as what-if hosts of 4 x 2500 MHz" },
    ],
    ['--host-cpus/--host-mhz without a topology: unknown', { host: { cpus: 4, mhz: 2500 } }, null],
  ] as const)('%s', (_, input, expected) => {
    expect(liveCapacity(input)).toEqual(expected)
  })
})
