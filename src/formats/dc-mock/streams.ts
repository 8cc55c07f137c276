import { asciiBytes, ByteWriter } from '../../core/bytes.ts'
import { TaskOrder } from '../../core/order.ts'
import type { EventStream } from '../../core/stream.ts'
import type { Fragments, Tasks } from '../../trace/model.ts'
import { TASK_FIELD_NAMES } from '../../trace/schema.ts'
import type { Window } from '../../types.ts'
import { openDtId, type TaskMessage, taskMessageBound, writeTaskMessage } from './wire.ts'

/**
 * dc-mock's task messages on dc.workload (wire.ts spells them), built on demand from the trace's
 * columns like the seed's: one per task, with its fragments nested. Its other streams, heartbeats,
 * topology and power, are side-streams.ts's.
 */

/** What the workload stream reads: the trace, and each task's id as OpenDT's model reads it. */
export interface DcMockTrace {
  tasks: Tasks
  fragments: Fragments
  /** Per task row: the id's decimal text (the key, and the integer in the value), or undefined: skipped. */
  ids: (Buffer | undefined)[]
  /** Tasks skipped because their id is no integer. */
  skipped: number
}

/** The ids of a trace's tasks as OpenDT reads them (wire.ts openDtId), and the first problem. */
export function openDtIds(tasks: Tasks): {
  ids: (Buffer | undefined)[]
  skipped: number
  /** The first task whose id is no integer. */
  firstBad?: number
  /** Two tasks whose ids OpenDT reads as one integer: the later row, and the first. */
  clash?: [row: number, first: number]
  /** The first task whose id has more digits than Python reads as an integer (PYTHON_INT_DIGITS). */
  tooLong?: number
} {
  let skipped = 0
  let firstBad: number | undefined
  let clash: [number, number] | undefined
  let tooLong: number | undefined
  const seen = new Map<string, number>()
  const ids = tasks.idJson.map((json, row) => {
    const id = openDtId(json)
    if (id === undefined) {
      skipped++
      firstBad ??= row
      return undefined
    }
    if (id.length - (id.startsWith('-') ? 1 : 0) > PYTHON_INT_DIGITS) tooLong ??= row
    const first = seen.get(id)
    if (first !== undefined) clash ??= [row, first]
    else seen.set(id, row)
    return asciiBytes(id)
  })
  return { ids, skipped, firstBad, clash, tooLong }
}

/** Python (OpenDT's json.loads and int) refuses integers of more digits than this (sys.int_info.default_max_str_digits). */
export const PYTHON_INT_DIGITS = 4300

/** A key as a dry-run line spells it: a JSON string. */
export const quoted = (key: Buffer) => asciiBytes(JSON.stringify(key.toString('latin1')))

/** One reusable view of a task for writeTaskMessage: no object per message. */
class TaskView implements TaskMessage {
  id: Uint8Array = new Uint8Array(0)
  submit = 0
  duration = 0
  cpuCount = 0
  cpuCapacity = 0
  memCapacity = 0
  from = 0
  to = 0
  private readonly fragments: Fragments
  private taskCpus = 0

  constructor(fragments: Fragments) {
    this.fragments = fragments
  }

  show(trace: DcMockTrace, row: number): this {
    const t = trace.tasks
    this.id = trace.ids[row]!
    for (const field of TASK_FIELD_NAMES) this[field] = t[field][row]!
    this.taskCpus = this.cpuCount
    this.from = this.fragments.offsets[row]!
    this.to = this.fragments.offsets[row + 1]!
    return this
  }

  fragmentDuration(i: number): number {
    return this.fragments.duration[i]! / this.fragments.divisor
  }

  fragmentCpuCount(i: number): number {
    return this.fragments.cpuCount?.[i] ?? this.taskCpus
  }

  fragmentUsage(i: number): number {
    return this.fragments.cpuUsage[i]!
  }
}

/** Task messages in (submission_time, tasks-file row) order, skipping tasks whose id OpenDT cannot read. */
export class TaskMessageStream implements EventStream {
  readonly role = 'workload'
  time = Infinity
  private readonly trace: DcMockTrace
  private readonly inner: TaskOrder
  private readonly view: TaskView

  constructor(trace: DcMockTrace, window: Window) {
    this.trace = trace
    this.inner = new TaskOrder(trace.tasks, window)
    this.view = new TaskView(trace.fragments)
    this.skip()
  }

  private skip(): void {
    while (this.inner.time !== Infinity && this.trace.ids[this.inner.taskRow] === undefined) this.inner.advance()
    this.time = this.inner.time
  }

  keyBytes(): Buffer {
    return this.trace.ids[this.inner.taskRow]!
  }

  keyJson(): Buffer {
    return quoted(this.keyBytes())
  }

  writeValue(w: ByteWriter): void {
    writeTaskMessage(w, this.view.show(this.trace, this.inner.taskRow))
  }

  advance(): void {
    this.inner.advance()
    this.skip()
  }
}

/** The largest task message in a window: its key and size in bytes (undefined: no task message). */
export function largestTaskMessage(
  trace: DcMockTrace,
  window: Window = { from: -Infinity, to: Infinity },
): { key: string; bytes: number } | undefined {
  // Every task's size bounded from above (a walk over its numbers), then the tasks written in
  // order of that bound until the next bound is below the largest written: SURF writes 6 task
  // messages of 7,850 (0.13-0.16 s -> 0.03-0.06 s). The first row wins a tie, as in row order.
  const view = new TaskView(trace.fragments)
  const rows: number[] = []
  const bounds = new Float64Array(trace.tasks.count)
  for (let row = 0; row < trace.tasks.count; row++) {
    const submit = trace.tasks.submit[row]!
    if (trace.ids[row] === undefined || submit < window.from || submit >= window.to) continue
    rows.push(row)
    bounds[row] = taskMessageBound(view.show(trace, row))
  }
  rows.sort((a, b) => bounds[b]! - bounds[a]! || a - b)
  const w = new ByteWriter(1 << 20)
  let largest: { row: number; bytes: number } | undefined
  for (const row of rows) {
    if (largest && bounds[row]! < largest.bytes) break
    w.pos = 0
    writeTaskMessage(w, view.show(trace, row))
    if (!largest || w.pos > largest.bytes || (w.pos === largest.bytes && row < largest.row))
      largest = { row, bytes: w.pos }
  }
  return largest && { key: trace.ids[largest.row]!.toString('latin1'), bytes: largest.bytes }
}
