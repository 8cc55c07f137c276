import { describe, expect, it } from 'bun:test'
import { type EventStream, MergedStream } from '../../src/core/stream.ts'
import { FragmentStream, TaskStream } from '../../src/formats/tasks-fragments/streams.ts'
import { deriveDurations, lastEventTime, walkFragments } from '../../src/trace/timeline.ts'
import { makeFragments, makeTasks } from '../helpers.ts'
import { fragmentValue, keyText, messageOf, taskValue } from '../oracle.ts'

const ALL = { from: -Infinity, to: Infinity }

/** Drains a stream into [key id, event time] pairs. */
function drain(stream: EventStream): [string, number][] {
  const out: [string, number][] = []
  while (stream.time !== Infinity) {
    out.push([JSON.parse(messageOf(stream).key).id, stream.time])
    stream.advance()
  }
  return out
}

describe('fragment timestamp synthesis', () => {
  it('fragment k of a task is at T0 + d1 + ... + dk, across interleaved rows', () => {
    const tasks = makeTasks([
      ['a', 0, 0],
      ['b', 1000, 0],
    ])
    // Rows of a and b interleave in the file: a's fragments are rows 0, 2, 4.
    const fragments = makeFragments(2, [
      [0, 100],
      [1, 50],
      [0, 200],
      [1, 50],
      [0, 300],
    ])
    expect(drain(new FragmentStream(tasks, fragments, ALL))).toEqual([
      ['a', 100],
      ['a', 300],
      ['a', 600],
      ['b', 1050],
      ['b', 1100],
    ])
  })

  it('ties: by task row in the tasks file, then fragment order (zero durations included)', () => {
    const tasks = makeTasks([
      ['late-row', 0, 0],
      ['early-row', 0, 0],
    ])
    const fragments = makeFragments(2, [
      [1, 10],
      [0, 10],
      [0, 0],
      [1, 0],
      [1, 5],
    ])
    const stream = new FragmentStream(tasks, fragments, ALL)
    const seen: string[] = []
    while (stream.time !== Infinity) {
      const { key, value } = messageOf(stream)
      seen.push(`${JSON.parse(key).id}@${stream.time}:${JSON.parse(value).cpu_usage}`)
      stream.advance()
    }
    // usage is 100 + file row: it tells which fragment each line is.
    expect(seen).toEqual([
      'late-row@10:101',
      'late-row@10:102',
      'early-row@10:100',
      'early-row@10:103',
      'early-row@15:104',
    ])
  })

  it('tasks go out in submission order, ties in file order; tasks without fragments too', () => {
    const tasks = makeTasks([
      ['c', 500, 1],
      ['a', 0, 1],
      ['b', 500, 1],
      ['d', 100, 1],
    ])
    expect(drain(new TaskStream(tasks, ALL))).toEqual([
      ['a', 0],
      ['d', 100],
      ['c', 500],
      ['b', 500],
    ])
  })

  it('a window keeps events in [from, to), fragments of tasks submitted before it included', () => {
    const tasks = makeTasks([
      ['a', 0, 0],
      ['b', 250, 0],
    ])
    const fragments = makeFragments(2, [
      [0, 100],
      [0, 100],
      [0, 100],
      [1, 100],
    ])
    const window = { from: 200, to: 350 }
    // b's only fragment is at 350: the window's end is exclusive.
    expect(drain(new FragmentStream(tasks, fragments, window))).toEqual([
      ['a', 200],
      ['a', 300],
    ])
    expect(drain(new TaskStream(tasks, window))).toEqual([['b', 250]])
  })

  it('orphan fragments are dropped and counted; v2 durations are sums of fragment durations', () => {
    const tasks = makeTasks(
      [
        ['a', 0, 0],
        ['b', 0, 0],
        ['c', 0, 0],
      ],
      true,
    )
    const fragments = makeFragments(3, [
      [0, 100],
      [-1, 7],
      [1, 30],
      [0, 50],
      [-1, 7],
    ])
    expect(fragments.orphans).toBe(2)
    expect(fragments.count).toBe(3)
    deriveDurations(tasks, fragments)
    expect([...tasks.duration]).toEqual([150, 30, 0])
  })

  it("messages are the oracle's key and value, ids keeping their type", () => {
    const T = Date.UTC(2022, 9, 6, 22)
    const tasks = makeTasks([
      ['x', T, 60_000],
      [17, T + 5, 1],
    ])
    const fragments = makeFragments(2, [
      [0, 30_000],
      [1, 1],
      [0, 30_000],
    ])
    const seen = (stream: EventStream) => {
      const out: { key: string; value: string }[] = []
      for (; stream.time !== Infinity; stream.advance()) out.push(messageOf(stream))
      return out
    }
    // makeTasks: cpu_count 1, cpu_capacity 1000, mem_capacity 64; makeFragments: usage 100 + file row.
    expect(seen(new TaskStream(tasks, ALL))).toEqual([
      { key: keyText('"x"'), value: taskValue(T, 60_000, 1, 1000, 64) },
      { key: keyText('17'), value: taskValue(T + 5, 1, 1, 1000, 64) },
    ])
    expect(seen(new FragmentStream(tasks, fragments, ALL))).toEqual([
      { key: keyText('17'), value: fragmentValue(T + 6, 1, 101) },
      { key: keyText('"x"'), value: fragmentValue(T + 30_000, 30_000, 100) },
      { key: keyText('"x"'), value: fragmentValue(T + 60_000, 30_000, 102) },
    ])
  })
})

describe('the timeline (trace/timeline.ts)', () => {
  const tasks = makeTasks([
    ['a', 1000, 0],
    ['b', 5000, 0],
    ['none', 9000, 0],
  ])
  const fragments = makeFragments(3, [
    [0, 100],
    [1, 10],
    [0, 0],
    [0, 250],
  ])

  it("walks a task's fragments with their times, and stops when asked", () => {
    const visited: [number, number][] = []
    expect(walkFragments(tasks, fragments, 0, (i, t) => void visited.push([i, t]))).toBe(1350)
    expect(visited).toEqual([
      [0, 1100],
      [1, 1100],
      [2, 1350],
    ])
    expect(walkFragments(tasks, fragments, 0, (_, t) => t < 1100)).toBe(1100)
    expect(walkFragments(tasks, fragments, 2)).toBe(9000)
  })

  it('the last event of each stream, and v2 durations from the walk', () => {
    expect(lastEventTime(tasks)).toBe(9000)
    expect(lastEventTime(tasks, fragments)).toBe(5010)
    deriveDurations(tasks, fragments)
    expect([...tasks.duration]).toEqual([350, 10, 0])
  })
})

describe('MergedStream: both streams in one thread, in the Gate order', () => {
  it('time order across the two, the first stream first on ties', () => {
    const tasks = makeTasks([
      ['a', 0, 0],
      ['b', 100, 0],
      ['c', 300, 0],
    ])
    const fragments = makeFragments(3, [
      [0, 100],
      [0, 200],
      [1, 50],
    ])
    const merged = new MergedStream(new TaskStream(tasks, ALL), new FragmentStream(tasks, fragments, ALL))
    const seen: string[] = []
    for (; merged.time !== Infinity; merged.advance())
      seen.push(`${merged.role} ${JSON.parse(messageOf(merged).key).id}@${merged.time}`)
    expect(seen).toEqual([
      'tasks a@0',
      'tasks b@100',
      'fragments a@100',
      'fragments b@150',
      'tasks c@300',
      'fragments a@300',
    ])
  })
})
