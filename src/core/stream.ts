import type { Fragments, Tasks } from '../trace/model.ts'
import { fragmentMessageTime, walkFragments } from '../trace/timeline.ts'
import type { Role, Window } from '../types.ts'
import type { ByteWriter } from './bytes.ts'
import { keyBytes, writeFragmentValue, writeTaskValue } from './wire.ts'

/**
 * One stream of messages in non-decreasing event time, produced on demand: nothing is
 * materialized per message. `time` is Infinity once the window is exhausted.
 */
export interface EventStream {
  readonly role: Role
  /** Event time of the next message (epoch ms), Infinity when there is none. */
  readonly time: number
  /** The next message's record key (cached per task; null: no key) and its value, written into `w` (valid while time is finite). */
  keyBytes(): Buffer | null
  /** The key as a dry-run line spells it (JSON): the key bytes themselves in the seed's format. */
  keyJson(): Buffer
  writeValue(w: ByteWriter): void
  advance(): void
}

/** Per-task key bytes, encoded on first use. */
class KeyCache {
  private readonly cache: (Buffer | undefined)[]
  private readonly idJson: string[]
  constructor(idJson: string[]) {
    this.idJson = idJson
    this.cache = new Array(idJson.length)
  }
  get(task: number): Buffer {
    this.cache[task] ??= keyBytes(this.idJson[task]!)
    return this.cache[task]
  }
}

/** Tasks in (submission_time, tasks-file row) order. */
export class TaskStream implements EventStream {
  readonly role = 'tasks'
  time = Infinity
  private readonly order: Int32Array
  private next = 0
  private readonly tasks: Tasks
  private readonly window: Window
  private readonly keys: KeyCache

  constructor(tasks: Tasks, window: Window) {
    this.tasks = tasks
    this.window = window
    this.keys = new KeyCache(tasks.idJson)
    const order = Int32Array.from({ length: tasks.count }, (_, i) => i)
    const submit = tasks.submit
    // Stable order: equal submission times keep file order.
    this.order = order.sort((a, b) => submit[a]! - submit[b]! || a - b)
    while (this.next < this.order.length && submit[this.order[this.next]!]! < window.from) this.next++
    this.update()
  }

  private update(): void {
    const t = this.order[this.next]
    const time = t === undefined ? Infinity : this.tasks.submit[t]!
    this.time = time < this.window.to ? time : Infinity
  }

  keyBytes(): Buffer {
    return this.keys.get(this.order[this.next]!)
  }

  keyJson(): Buffer {
    return this.keyBytes()
  }

  writeValue(w: ByteWriter): void {
    writeTaskValue(w, this.tasks, this.order[this.next]!)
  }

  /** The tasks-file row of the next message's task. */
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
 * fragments are already in time order, so the stream is a
 * k-way merge: a binary heap of one cursor per task, keyed by (cursor time, task row).
 */
export class FragmentStream implements EventStream {
  readonly role = 'fragments'
  time = Infinity
  private readonly fragments: Fragments
  private readonly submit: Float64Array
  private readonly to: number
  /** Per task: index of its next fragment, that fragment's time, and the durations summed up to it. */
  private readonly pos: Int32Array
  private readonly at: Float64Array
  private readonly elapsed: Float64Array
  /** Heap of task rows, smallest (at, row) first. */
  private readonly heap: Int32Array
  private size = 0
  private readonly keys: KeyCache

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
    this.keys = new KeyCache(tasks.idJson)
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

  /** The next message's task (its tasks-file row) and fragment (its index in the grouped columns). */
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

  keyBytes(): Buffer {
    return this.keys.get(this.heap[0]!)
  }

  keyJson(): Buffer {
    return this.keyBytes()
  }

  writeValue(w: ByteWriter): void {
    const t = this.heap[0]!
    const i = this.pos[t]!
    const f = this.fragments
    writeFragmentValue(w, this.at[t]!, f.duration[i]! / f.divisor, f.cpuUsage[i]!)
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

/** Several streams as one, in time order; on ties the earlier-listed stream's message goes first. */
export function mergeStreams(streams: EventStream[]): EventStream {
  return streams.reduce((merged, next) => new MergedStream(merged, next))
}

/**
 * Two streams as one, in time order, the first one's message first on ties: the order the Gate
 * (run/gate.ts) keeps between two threads, kept by one. At --speed max to stdout one worker
 * writes both streams through it, since two threads handing off every few lines slowed ten-fold
 * when other processes held the cores (each hand-off waited for the other thread's next slice).
 */
export class MergedStream implements EventStream {
  time = Infinity
  private current: EventStream
  private readonly first: EventStream
  private readonly second: EventStream

  constructor(first: EventStream, second: EventStream) {
    this.first = first
    this.second = second
    this.current = first
    this.pick()
  }

  get role(): Role {
    return this.current.role
  }

  keyBytes(): Buffer | null {
    return this.current.keyBytes()
  }

  keyJson(): Buffer {
    return this.current.keyJson()
  }

  writeValue(w: ByteWriter): void {
    this.current.writeValue(w)
  }

  advance(): void {
    this.current.advance()
    this.pick()
  }

  private pick(): void {
    this.current = this.second.time < this.first.time ? this.second : this.first
    this.time = this.current.time
  }
}
