import { groupPositions, LEFT_OUT } from './model.ts'

/**
 * Where each fragments-file row goes in the grouped (CSR) columns, learnt from the rows' tasks as
 * the id column is read, then used to scatter every other column straight into place.
 *
 * Rows of one task usually come in runs (SURF's every task is one run), so the map is held as
 * runs: 8 bytes per run instead of 4 per row (93 MB for 10x SURF, 9 MB for SURF, held through
 * the whole load). Rows that arrive out of order, or a file whose tasks interleave so that runs
 * would cost more than rows, fall back to one entry per row (model.ts groupPositions).
 */
export class RowPlacement {
  private readonly rows: number
  /** Run mode: run k starts at row starts[k]; runTask[k] is its task row (or < 0), then its first grouped index (or -1). */
  private starts: Int32Array = new Int32Array(1024)
  private runTask: Int32Array = new Int32Array(1024)
  private runs = 0
  /** The next row expected in run mode. */
  private next = 0
  /** Row mode: each row's task row (or < 0), then its grouped index (or -1). */
  private perRow: Int32Array | undefined

  constructor(rows: number) {
    this.rows = rows
  }

  /** Row `row` belongs to task row `task` (< 0: no task, or LEFT_OUT). */
  set(row: number, task: number): void {
    if (this.perRow) {
      this.perRow[row] = task
      return
    }
    if (row !== this.next) {
      this.toRows()
      this.perRow![row] = task
      return
    }
    this.next++
    if (this.runs > 0 && this.runTask[this.runs - 1] === task) return
    if (this.runs === this.starts.length) {
      // Runs as many as a quarter of the rows cost more than one entry per row.
      if (this.runs * 4 > this.rows) {
        this.toRows()
        this.perRow![row] = task
        return
      }
      this.starts = grow(this.starts)
      this.runTask = grow(this.runTask)
    }
    this.starts[this.runs] = row
    this.runTask[this.runs++] = task
  }

  private toRows(): void {
    const perRow = new Int32Array(this.rows).fill(-1)
    for (let k = 0; k < this.runs; k++) perRow.fill(this.runTask[k]!, this.starts[k]!, this.runEnd(k))
    this.perRow = perRow
    this.starts = new Int32Array(0)
    this.runTask = new Int32Array(0)
    this.runs = 0
  }

  private runEnd(k: number): number {
    return k + 1 < this.runs ? this.starts[k + 1]! : this.perRow ? this.rows : this.next
  }

  /**
   * Groups the rows by task, stably (file order within a task): `offsets` as Fragments holds them,
   * the rows kept, and the orphans (rows whose task is missing; LEFT_OUT rows are neither).
   */
  group(taskCount: number): { offsets: Int32Array; count: number; orphans: number } {
    if (this.perRow || this.next !== this.rows) {
      if (!this.perRow) this.toRows()
      return groupPositions(taskCount, this.perRow!)
    }
    const offsets = new Int32Array(taskCount + 1)
    let orphans = 0
    let leftOut = 0
    for (let k = 0; k < this.runs; k++) {
      const t = this.runTask[k]!
      const length = this.runEnd(k) - this.starts[k]!
      if (t === LEFT_OUT) leftOut += length
      else if (t < 0) orphans += length
      else offsets[t + 1]! += length
    }
    for (let t = 0; t < taskCount; t++) offsets[t + 1]! += offsets[t]!
    const cursor = offsets.slice(0, taskCount)
    for (let k = 0; k < this.runs; k++) {
      const t = this.runTask[k]!
      this.runTask[k] = t < 0 ? -1 : cursor[t]!
      if (t >= 0) cursor[t]! += this.runEnd(k) - this.starts[k]!
    }
    return { offsets, count: this.rows - orphans - leftOut, orphans }
  }

  /** After group(): out[i] = the grouped index of row rowStart + i, or -1 (dropped). */
  positions(rowStart: number, out: Int32Array): void {
    if (this.perRow) {
      out.set(this.perRow.subarray(rowStart, rowStart + out.length))
      return
    }
    const starts = this.starts
    // The last run starting at or before rowStart.
    let lo = 0
    let hi = this.runs - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid]! <= rowStart) lo = mid
      else hi = mid - 1
    }
    let k = lo
    let nextStart = k + 1 < this.runs ? starts[k + 1]! : this.rows
    for (let i = 0; i < out.length; i++) {
      const row = rowStart + i
      while (row >= nextStart) {
        k++
        nextStart = k + 1 < this.runs ? starts[k + 1]! : this.rows
      }
      const base = this.runTask[k]!
      out[i] = base < 0 ? -1 : base + (row - starts[k]!)
    }
  }

  /** After group(): the file row of grouped index `index` (for error messages). */
  rowOf(index: number): number {
    if (this.perRow) return this.perRow.indexOf(index)
    for (let k = 0; k < this.runs; k++) {
      const base = this.runTask[k]!
      if (base >= 0 && index >= base && index < base + this.runEnd(k) - this.starts[k]!) {
        return this.starts[k]! + index - base
      }
    }
    return -1
  }
}

function grow(array: Int32Array): Int32Array {
  const next = new Int32Array(array.length * 2)
  next.set(array)
  return next
}
