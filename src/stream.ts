import { asciiBytes, type ByteWriter } from './bytes.ts'
import { encodeFragmentValue, encodeKey, encodeTaskValue } from './encode.ts'
import type { Fragments, Tasks } from './trace/model.ts'

/** A window on event time, absolute epoch ms: from inclusive, to exclusive. */
export interface Window {
  from: number
  to: number
}

/**
 * One stream of messages in non-decreasing event time, produced on demand: nothing is
 * materialized per message. `time` is Infinity once the window is exhausted.
 */
export interface EventStream {
  readonly topic: 'tasks' | 'fragments'
  /** Event time of the next message (epoch ms), Infinity when there is none. */
  readonly time: number
  /** Key and value of the next message (valid while time is finite). */
  key(): string
  value(): string
  /** The same key as bytes (cached per task), and the same value written into `w`. */
  keyBytes(): Buffer
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
    return (this.cache[task] ??= asciiBytes(encodeKey(this.idJson[task]!)))
  }
}

// The fixed parts of the values, as bytes.
const OPEN_TIME = asciiBytes('{"submission_time":"')
const DURATION = asciiBytes('","duration":')
const CPU_COUNT = asciiBytes(',"cpu_count":')
const CPU_CAPACITY = asciiBytes(',"cpu_capacity":')
const MEM_CAPACITY = asciiBytes(',"mem_capacity":')
const CPU_USAGE = asciiBytes(',"cpu_usage":')
const CLOSE = asciiBytes('}')

/** Tasks in (submission_time, tasks-file row) order. */
export class TaskStream implements EventStream {
  readonly topic = 'tasks'
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

  key(): string {
    return encodeKey(this.tasks.idJson[this.order[this.next]!]!)
  }

  value(): string {
    const t = this.order[this.next]!
    const k = this.tasks
    return encodeTaskValue(k.submit[t]!, k.duration[t]!, k.cpuCount[t]!, k.cpuCapacity[t]!, k.memCapacity[t]!)
  }

  keyBytes(): Buffer {
    return this.keys.get(this.order[this.next]!)
  }

  writeValue(w: ByteWriter): void {
    const t = this.order[this.next]!
    const k = this.tasks
    w.bytes(OPEN_TIME)
    w.time(k.submit[t]!)
    w.bytes(DURATION)
    w.integer(k.duration[t]!)
    w.bytes(CPU_COUNT)
    w.integer(k.cpuCount[t]!)
    w.bytes(CPU_CAPACITY)
    w.double(k.cpuCapacity[t]!)
    w.bytes(MEM_CAPACITY)
    w.integer(k.memCapacity[t]!)
    w.bytes(CLOSE)
  }

  advance(): void {
    this.next++
    this.update()
  }
}

/**
 * Fragments in (time, task row, fragment order) order, where fragment k of a task is at
 * submit + d1 + ... + dk. Each task's fragments are already in time order, so the stream is a
 * k-way merge: a binary heap of one cursor per task, keyed by (cursor time, task row).
 */
export class FragmentStream implements EventStream {
  readonly topic = 'fragments'
  time = Infinity
  private readonly tasks: Tasks
  private readonly fragments: Fragments
  private readonly to: number
  /** Per task: index of its next fragment, and that fragment's time. */
  private readonly pos: Int32Array
  private readonly at: Float64Array
  /** Heap of task rows, smallest (at, row) first. */
  private readonly heap: Int32Array
  private size = 0
  private readonly keys: KeyCache

  constructor(tasks: Tasks, fragments: Fragments, window: Window) {
    this.tasks = tasks
    this.fragments = fragments
    this.to = window.to
    this.pos = new Int32Array(tasks.count)
    this.at = new Float64Array(tasks.count)
    this.heap = new Int32Array(tasks.count)
    this.keys = new KeyCache(tasks.idJson)
    const { offsets, duration } = fragments
    for (let t = 0; t < tasks.count; t++) {
      let i = offsets[t]!
      const end = offsets[t + 1]!
      if (i === end) continue
      let time = tasks.submit[t]! + duration[i]!
      while (time < window.from && i + 1 < end) time += duration[++i]!
      if (time < window.from) continue
      this.pos[t] = i
      this.at[t] = time
      this.heap[this.size++] = t
    }
    for (let k = (this.size >> 1) - 1; k >= 0; k--) this.siftDown(k)
    this.update()
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

  key(): string {
    return encodeKey(this.tasks.idJson[this.heap[0]!]!)
  }

  value(): string {
    const t = this.heap[0]!
    const i = this.pos[t]!
    return encodeFragmentValue(this.at[t]!, this.fragments.duration[i]!, this.fragments.cpuUsage[i]!)
  }

  keyBytes(): Buffer {
    return this.keys.get(this.heap[0]!)
  }

  writeValue(w: ByteWriter): void {
    const t = this.heap[0]!
    const i = this.pos[t]!
    w.bytes(OPEN_TIME)
    w.time(this.at[t]!)
    w.bytes(DURATION)
    w.integer(this.fragments.duration[i]!)
    w.bytes(CPU_USAGE)
    w.double(this.fragments.cpuUsage[i]!)
    w.bytes(CLOSE)
  }

  advance(): void {
    const t = this.heap[0]!
    const i = this.pos[t]! + 1
    if (i < this.fragments.offsets[t + 1]!) {
      this.pos[t] = i
      this.at[t] = this.at[t]! + this.fragments.duration[i]!
    } else {
      this.heap[0] = this.heap[--this.size]!
    }
    if (this.size > 0) this.siftDown(0)
    this.update()
  }
}
