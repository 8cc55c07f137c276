import type { IdKey } from './columns.ts'
import { TASK_FIELD_NAMES, type TaskField } from './schema.ts'

/**
 * Decoded traces, held as columns: typed arrays, ids interned once per task.
 * No object per fragment: a fragment costs 8 bytes here when its duration fits 32-bit integers and
 * its usage 32-bit floats exactly (SURF's do), 16 otherwise.
 */

/**
 * Each of a task's values (trace/schema.ts TASK_FIELDS: submit, duration, cpuCount, cpuCapacity,
 * memCapacity) as a column in tasks-file row order. `duration` is the sum of the task's fragment
 * durations when `durationDerived`.
 */
export interface Tasks extends Record<TaskField, Float64Array> {
  /** The file the tasks came from (or `demo`), for messages. */
  path: string
  count: number
  /** JSON text of each task's id, in tasks-file row order: `"2133099"` or `2133099`. */
  idJson: string[]
  /** Row index of each id; keys are strings or numbers, as the file's id type. */
  index: Map<IdKey, number>
  /** Whether ids are text (a fragments file that spells them otherwise is coerced to this). */
  idsAreStrings: boolean
  durationDerived: boolean
}

/** Every task field's column, each made by `column`. */
export function taskColumns(column: (field: TaskField) => Float64Array): Record<TaskField, Float64Array> {
  return Object.fromEntries(TASK_FIELD_NAMES.map((f) => [f, column(f)])) as Record<TaskField, Float64Array>
}

/**
 * A numeric column held in the narrowest array that keeps every value exactly (checked at load):
 * 32-bit integers or floats where they suffice, doubles otherwise.
 */
export type NumberColumn = Float64Array | Float32Array | Int32Array

/**
 * Fragments grouped by task (CSR): task t's fragments are entries offsets[t] .. offsets[t+1]-1,
 * in fragments-file row order. Fragments whose task is missing are dropped and counted.
 */
export interface Fragments {
  path: string
  /** Rows in the file. */
  rows: number
  /** Fragments kept (rows minus orphans). */
  count: number
  /** Rows whose id names no task: skipped (or an error under --strict). */
  orphans: number
  offsets: Int32Array
  /**
   * In CSR order: milliseconds, or on a what-if host (core/cycles.ts retime) the fragment's work in
   * ms x MHz; either way a fragment lasts duration / divisor ms.
   */
  duration: NumberColumn
  /** 1, or the what-if host's throughput (CPUs x MHz). */
  divisor: number
  /** MHz, in CSR order. */
  cpuUsage: NumberColumn
  /** CPUs, in CSR order: read only for --format dc-mock, and only when the file has the column. */
  cpuCount?: NumberColumn
}

/**
 * Where each fragment row goes when fragments are grouped by task: `task[i]` (the task row of
 * fragment i, or -1) is overwritten with the fragment's index in the grouped arrays (or -1).
 * Stable: within a task, file order is kept, which is the fragment order of the seed. Values can
 * then be scattered straight into place as each column is decoded, in any chunk order, without
 * holding a file-order copy of them.
 */
export function groupPositions(
  taskCount: number,
  task: Int32Array,
): { offsets: Int32Array; count: number; orphans: number } {
  const rows = task.length
  const offsets = new Int32Array(taskCount + 1)
  let orphans = 0
  let leftOut = 0
  for (let i = 0; i < rows; i++) {
    const t = task[i]!
    if (t === LEFT_OUT) leftOut++
    else if (t < 0) orphans++
    else offsets[t + 1]!++
  }
  for (let t = 0; t < taskCount; t++) offsets[t + 1]! += offsets[t]!
  const cursor = offsets.slice(0, taskCount)
  for (let i = 0; i < rows; i++) {
    const t = task[i]!
    task[i] = t < 0 ? -1 : cursor[t]!++
  }
  return { offsets, count: rows - orphans - leftOut, orphans }
}

/** A fragment row whose task was left out on purpose (another shard's): dropped, not an orphan. */
export const LEFT_OUT = -2

/**
 * The tasks whose `keep` flag is set, compacted (rows renumbered in file order), and the ids of
 * those left out (a fragment of one of them is dropped, not counted as an orphan).
 */
export function keepTasks(tasks: Tasks, keep: Uint8Array): { tasks: Tasks; leftOut: Set<IdKey> } {
  const rows: number[] = []
  const renumbered = new Int32Array(tasks.count)
  for (let t = 0; t < tasks.count; t++) if (keep[t]) renumbered[t] = rows.push(t) - 1
  const index = new Map<IdKey, number>()
  const leftOut = new Set<IdKey>()
  for (const [key, row] of tasks.index) {
    if (keep[row]) index.set(key, renumbered[row]!)
    else leftOut.add(key)
  }
  return {
    tasks: {
      ...tasks,
      count: rows.length,
      idJson: rows.map((t) => tasks.idJson[t]!),
      index,
      ...taskColumns((field) => Float64Array.from(rows, (t) => tasks[field][t]!)),
    },
    leftOut,
  }
}

/** Groups file-order fragment columns by task (see groupPositions). */
export function groupByTask(
  path: string,
  taskCount: number,
  task: Int32Array,
  duration: Float64Array,
  cpuUsage: Float64Array,
): Fragments {
  const position = Int32Array.from(task)
  const { offsets, count, orphans } = groupPositions(taskCount, position)
  const groupedDuration = new Float64Array(count)
  const groupedUsage = new Float64Array(count)
  for (let i = 0; i < position.length; i++) {
    const at = position[i]!
    if (at < 0) continue
    groupedDuration[at] = duration[i]!
    groupedUsage[at] = cpuUsage[i]!
  }
  return {
    path,
    rows: position.length,
    count,
    orphans,
    offsets,
    duration: groupedDuration,
    cpuUsage: groupedUsage,
    divisor: 1,
  }
}
