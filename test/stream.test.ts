import { describe, expect, it } from 'bun:test'
import { ByteWriter } from '../src/bytes.ts'
import { FragmentStream, TaskStream, type EventStream } from '../src/stream.ts'
import { deriveDurations } from '../src/trace/model.ts'
import { makeFragments, makeTasks } from './helpers.ts'

const ALL = { from: -Infinity, to: Infinity }

/** Drains a stream into [key id, event time] pairs. */
function drain(stream: EventStream): [string, number][] {
  const out: [string, number][] = []
  while (stream.time !== Infinity) {
    out.push([JSON.parse(stream.key()).id, stream.time])
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
      seen.push(`${JSON.parse(stream.key()).id}@${stream.time}:${JSON.parse(stream.value()).cpu_usage}`)
      stream.advance()
    }
    // usage is 100 + file row: it tells which fragment each line is.
    expect(seen).toEqual(['late-row@10:101', 'late-row@10:102', 'early-row@10:100', 'early-row@10:103', 'early-row@15:104'])
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

  it('bytes and strings encode the same messages', () => {
    const tasks = makeTasks([
      ['x', Date.UTC(2022, 9, 6, 22), 60_000],
      [17, Date.UTC(2022, 9, 6, 22, 0, 0, 5), 1],
    ])
    const fragments = makeFragments(2, [
      [0, 30_000],
      [1, 1],
      [0, 30_000],
    ])
    for (const stream of [new TaskStream(tasks, ALL), new FragmentStream(tasks, fragments, ALL)] as EventStream[]) {
      while (stream.time !== Infinity) {
        const w = new ByteWriter()
        stream.writeValue(w)
        expect(new TextDecoder().decode(w.take())).toBe(stream.value())
        expect(new TextDecoder().decode(stream.keyBytes())).toBe(stream.key())
        stream.advance()
      }
    }
  })
})
