import type { Fragments, Tasks } from '../trace/model.ts'
import { fragmentMessageTime, walkFragments } from '../trace/timeline.ts'
import type { Window } from '../types.ts'

/**
 * A trace's events in time order, within a window, as cursors: tasks by submission, fragments by
 * their times (trace/timeline.ts). They say which task or fragment comes next and when; a format's
 * streams extend them with how its messages are spelled (formats/<name>/), and `--max-gap` and
 * `inspect`'s demand sweep read them as they are. `time` is Infinity once the window is exhausted.
 */

/** Tasks in (submission_time, tasks-file row) order. */
export class TaskOrder {
  /** The next task's submission time (epoch ms), Infinity when there is none in the window. */
  time = Infinity
  private readonly order: Int32Array
  private next = 0
  private readonly submit: Float64Array
  private readonly to: number

  constructor(tasks: Tasks, window: Window) {
    this.submit = tasks.submit
    this.to = window.to
    const order = Int32Array.from({ length: tasks.count }, (_, i) => i)
    const submit = tasks.submit
    // Stable order: equal submission times keep file order.
    this.order = order.sort((a, b) => submit[a]! - submit[b]! || a - b)
    while (this.next < this.order.length && submit[this.order[this.next]!]! < window.from) this.next++
    this.update()
  }

  private update(): void {
    const t = this.order[this.next]
    const time = t === undefined ? Infinity : this.submit[t]!
    this.time = time < this.to ? time : Infinity
  }

  /** The tasks-file row of the next task. */
  get taskRow(): number {
    return this.order[this.next]!
  }

  advance(): void {
    this.next++
    this.update()
  }
}

/**
 * Fragments in (time, task row, fragment order) order, timed by trace/timeline.ts: at their
 * message times, or (`timeOf`, inspect's demand sweep) at their exact times. Each task's
 * fragments are already in time order, so the order is a k-way merge: a binary heap of one cursor
 * per task, keyed by (cursor time, task row).
 */
export class FragmentOrder {
  /** The next fragment's time (epoch ms), Infinity when there is none in the window. */
  time = Infinity
  protected readonly fragments: Fragments
  private readonly submit: Float64Array
  private readonly to: number
  /** Per task: index of its next fragment, that fragment's time, and the durations summed up to it. */
  private readonly pos: Int32Array
  private readonly at: Float64Array
  private readonly elapsed: Float64Array
  /** Heap of task rows, smallest (at, row) first. */
  private readonly heap: Int32Array
  private size = 0

  private readonly timeOf: typeof fragmentMessageTime

  constructor(tasks: Tasks, fragments: Fragments, window: Window, timeOf = fragmentMessageTime) {
    this.fragments = fragments
    this.timeOf = timeOf
    this.submit = tasks.submit
    this.to = window.to
    this.pos = new Int32Array(tasks.count)
    this.at = new Float64Array(tasks.count)
    this.elapsed = new Float64Array(tasks.count)
    this.heap = new Int32Array(tasks.count)
    // Each task's cursor starts at its first fragment in the window (by its message time).
    for (let t = 0; t < tasks.count; t++) {
      let first = -1
      let elapsed = 0
      let time = 0
      walkFragments(tasks, fragments, t, (i, _, sum) => {
        const at = timeOf(tasks.submit[t]!, sum, fragments.divisor)
        if (at < window.from) return true
        first = i
        elapsed = sum
        time = at
        return false
      })
      if (first < 0) continue
      this.pos[t] = first
      this.at[t] = time
      this.elapsed[t] = elapsed
      this.heap[this.size++] = t
    }
    for (let k = (this.size >> 1) - 1; k >= 0; k--) this.siftDown(k)
    this.update()
  }

  /** The next fragment's task (its tasks-file row) and the fragment (its index in the grouped columns). */
  get taskRow(): number {
    return this.heap[0]!
  }

  get fragmentIndex(): number {
    return this.pos[this.heap[0]!]!
  }

  private less(a: number, b: number): boolean {
    const ta = this.at[a]!
    const tb = this.at[b]!
    return ta < tb || (ta === tb && a < b)
  }

  private siftDown(k: number): void {
    const heap = this.heap
    const size = this.size
    const item = heap[k]!
    for (;;) {
      let child = 2 * k + 1
      if (child >= size) break
      if (child + 1 < size && this.less(heap[child + 1]!, heap[child]!)) child++
      if (!this.less(heap[child]!, item)) break
      heap[k] = heap[child]!
      k = child
    }
    heap[k] = item
  }

  private update(): void {
    const time = this.size === 0 ? Infinity : this.at[this.heap[0]!]!
    this.time = time < this.to ? time : Infinity
  }

  advance(): void {
    const t = this.heap[0]!
    const i = this.pos[t]! + 1
    if (i < this.fragments.offsets[t + 1]!) {
      this.pos[t] = i
      this.elapsed[t] = this.elapsed[t]! + this.fragments.duration[i]!
      this.at[t] = this.timeOf(this.submit[t]!, this.elapsed[t]!, this.fragments.divisor)
    } else {
      this.heap[0] = this.heap[--this.size]!
    }
    if (this.size > 0) this.siftDown(0)
    this.update()
  }
}
