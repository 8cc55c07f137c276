import { describe, expect, it } from 'bun:test'
import { groupPositions, LEFT_OUT } from '../../src/trace/model.ts'
import { RowPlacement } from '../../src/trace/placement.ts'

/** Builds a placement from each row's task (in row order unless `order` says otherwise). */
function placed(tasks: number[], taskCount: number, order = tasks.map((_, i) => i)) {
  const placement = new RowPlacement(tasks.length)
  for (const row of order) placement.set(row, tasks[row]!)
  const grouped = placement.group(taskCount)
  const all = new Int32Array(tasks.length)
  placement.positions(0, all)
  return { placement, grouped, all: [...all] }
}

/** The per-row oracle: model.ts groupPositions. */
function oracle(tasks: number[], taskCount: number) {
  const position = Int32Array.from(tasks)
  const grouped = groupPositions(taskCount, position)
  return { grouped, all: [...position] }
}

describe('RowPlacement', () => {
  it('groups runs of rows by task, stably, and counts orphans apart from rows left out', () => {
    // Task 1's rows, then task 0's, an orphan, two of another shard's, then task 1 again.
    const tasks = [1, 1, 0, 0, 0, -1, LEFT_OUT, LEFT_OUT, 1]
    const { grouped, all, placement } = placed(tasks, 2)
    expect([...grouped.offsets]).toEqual([0, 3, 6])
    expect([grouped.count, grouped.orphans]).toEqual([6, 1])
    expect(all).toEqual([3, 4, 0, 1, 2, -1, -1, -1, 5])
    expect([0, 1, 2, 3, 4, 5].map((i) => placement.rowOf(i))).toEqual([2, 3, 4, 0, 1, 8])
  })

  it('gives the positions of any row range, starting inside a run', () => {
    const tasks = [2, 2, 2, 0, 0, 1, 1, 1, 1, 0]
    const { all, placement } = placed(tasks, 3)
    for (let start = 0; start < tasks.length; start++) {
      for (let n = 1; start + n <= tasks.length; n++) {
        const out = new Int32Array(n)
        placement.positions(start, out)
        expect([...out]).toEqual(all.slice(start, start + n))
      }
    }
  })

  it('agrees with the per-row grouping on runs, on rows that interleave, and on rows out of order', () => {
    let seed = 7
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    // Long runs (run mode), one task per row at random (falls back to rows), and both shuffled.
    const runs = Array.from({ length: 5000 }, (_, i) => Math.floor(i / 37) % 50)
    const mixed = Array.from({ length: 5000 }, () => random(60) - 5)
    for (const tasks of [runs, mixed]) {
      const reversed = tasks.map((_, i) => tasks.length - 1 - i)
      for (const order of [undefined, reversed]) {
        const { grouped, all } = placed(tasks, 55, order)
        const expected = oracle(tasks, 55)
        expect([...grouped.offsets]).toEqual([...expected.grouped.offsets])
        expect([grouped.count, grouped.orphans]).toEqual([expected.grouped.count, expected.grouped.orphans])
        expect(all).toEqual(expected.all)
      }
    }
  })
})
