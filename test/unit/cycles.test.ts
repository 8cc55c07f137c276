import { describe, expect, it } from 'bun:test'
import { retime, runtimeMs, totalCycles } from '../../src/core/cycles.ts'
import { mergeStreams } from '../../src/core/stream.ts'
import { FragmentStream, TaskStream } from '../../src/formats/tasks-fragments/streams.ts'
import { fragmentMessageTime } from '../../src/trace/timeline.ts'
import { makeFragments, makeTasks } from '../helpers.ts'
import { messageOf } from '../oracle.ts'

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
    expect(runtimeMs(totalCycles(5000, 1000), cpus, mhz)).toBe(ms)
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

const ALL = { from: -Number.MAX_VALUE, to: Number.POSITIVE_INFINITY }
const T = Date.UTC(2022, 9, 6, 22)

/** The messages of both streams, as [time, value]. */
function messages(tasks: ReturnType<typeof makeTasks>, fragments: ReturnType<typeof makeFragments>) {
  const out: [string, number, unknown][] = []
  for (const stream of [new TaskStream(tasks, ALL), new FragmentStream(tasks, fragments, ALL)]) {
    for (; stream.time !== Infinity; stream.advance())
      out.push([stream.role, stream.time, JSON.parse(messageOf(stream).value)])
  }
  return out
}

describe('retime: the trace on a what-if host', () => {
  it.each([
    [2, 1000, 2500],
    [1, 5000, 1000],
  ])('the seed example on %i x %i MHz: one 5000 ms fragment at 1000 MHz lasts %i ms', (cpus, mhz, ms) => {
    const tasks = makeTasks([['a', T, 5000]])
    const fragments = makeFragments(1, [[0, 5000]])
    fragments.cpuUsage[0] = 1000
    retime(tasks, fragments, { cpus, mhz })
    expect(messages(tasks, fragments)).toEqual([
      [
        'tasks',
        T,
        {
          submission_time: '2022-10-06T22:00:00Z',
          duration: ms,
          cpu_count: cpus,
          cpu_capacity: cpus * mhz,
          mem_capacity: 64,
        },
      ],
      [
        'fragments',
        T + ms,
        { submission_time: new Date(T + ms).toISOString().replace('.000Z', 'Z'), duration: ms, cpu_usage: cpus * mhz },
      ],
    ])
  })

  it('an exact timeline: times from exact sums, each offset rounded once; zero usage takes no time', () => {
    // usage 100 + file row (makeFragments): 100, 101, 102, 103; durations 1000, 1000, 7, 0.
    const tasks = makeTasks([
      ['a', T, 1],
      ['b', T + 10, 99],
      ['c', T + 20, 42],
    ])
    const fragments = makeFragments(3, [
      [0, 1000],
      [0, 1000],
      [1, 7],
      [0, 0],
    ])
    fragments.cpuUsage[fragments.offsets[1]!] = 0 // b's fragment uses nothing
    retime(tasks, fragments, { cpus: 3, mhz: 100 })
    // a: work 100000, 101000, 0 over 300 MHz -> 333.33, 336.67, 0 ms; offsets 333.33 and 670 from
    // the exact sums, each rounded: times T+333, T+670, T+670.
    const got = messages(tasks, fragments)
    expect(got.map(([role, time]) => [role, time])).toEqual([
      ['tasks', T],
      ['tasks', T + 10],
      ['tasks', T + 20],
      ['fragments', T + 10],
      ['fragments', T + 333],
      ['fragments', T + 670],
      ['fragments', T + 670],
    ])
    const values = got.map(([, , v]) => v as Record<string, number | string>)
    expect(values.map((v) => v.duration)).toEqual([670, 0, 42, 0, 333, 337, 0])
    expect(values[5]!.submission_time).toBe('2022-10-06T22:00:00.670Z')
    expect(values[4]!.submission_time).toBe('2022-10-06T22:00:00.333Z')
    expect(
      values.map((v) => (v as { cpu_usage?: number }).cpu_usage ?? (v as { cpu_capacity: number }).cpu_capacity),
    ).toEqual([300, 300, 300, 300, 300, 300, 300])
  })

  it('an offset just under a half millisecond is rounded before it is added to an epoch time', () => {
    // 2.4999999 ms after 2022: the sum T + 2.4999999 is the double T + 2.5 (ulp 0.000244 there).
    expect(T + 2.4999999).toBe(T + 2.5)
    expect(fragmentMessageTime(T, 2.4999999, 1)).toBe(T + 2)
    expect(fragmentMessageTime(T, 2.5 * 8799.900000000001, 8799.900000000001)).toBe(T + 3)
    // On a what-if host: work 7,499.9997 ms x MHz over 3 x 1000 MHz is 2.4999999 ms.
    const tasks = makeTasks([['a', T, 1]])
    const fragments = makeFragments(1, [[0, 74.999997]]) // usage 100 MHz
    retime(tasks, fragments, { cpus: 3, mhz: 1000 })
    const [, fragment] = messages(tasks, fragments)
    expect((fragment![2] as { submission_time: string }).submission_time).toBe('2022-10-06T22:00:00.002Z')
  })

  it("on a what-if host, a fragment written at a task's millisecond comes after the task (tasks first on ties)", () => {
    // a's fragment: 2,998.8 ms x MHz over 3 x 1 MHz is 999.6 ms, written at T+1000, as b is.
    const tasks = makeTasks([
      ['a', T, 1],
      ['b', T + 1000, 1],
    ])
    const fragments = makeFragments(2, [[0, 29.988]]) // usage 100 MHz
    retime(tasks, fragments, { cpus: 3, mhz: 1 })
    const merged = mergeStreams([new TaskStream(tasks, ALL), new FragmentStream(tasks, fragments, ALL)])
    const order: [string, number][] = []
    for (; merged.time !== Infinity; merged.advance()) order.push([merged.role, merged.time])
    expect(order).toEqual([
      ['tasks', T],
      ['tasks', T + 1000],
      ['fragments', T + 1000],
    ])
  })
})
