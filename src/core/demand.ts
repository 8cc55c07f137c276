import type { Fragments, Tasks } from '../trace/model.ts'
import { fragmentTime, lastEventTime } from '../trace/timeline.ts'
import { checkWork, totalCycles } from './cycles.ts'
import { FragmentOrder, TaskOrder } from './order.ts'

/**
 * The trace's CPU demand over its synthesized timeline (pure). A fragment runs from its
 * predecessor's time (or its task's submission) to its own time, using `cpu_usage` MHz; the
 * demand at an instant is the sum of the usages of the fragments running then. It is a step
 * function: it changes only where a task starts or a fragment ends, so one sweep over those
 * events in time order (the same merge the replay uses) gives it exactly.
 */

const MINUTE = 60_000
const HOUR = 3_600_000
/**
 * The most buckets a series has: the time series cost by this, not by the trace's span. A span
 * longer than this many minutes (11 days) is bucketed by 2, 4, 8... minutes, submissions likewise
 * from hours (SURF's week: 10,080 minutes, 168 hours).
 */
export const MAX_BUCKETS = 16_384

export interface Demand {
  /** Sum over fragments of duration x cpu_usage x 1,000, as an exact decimal when it is an integer. */
  totalCycles: string
  /** The most demanding tasks, by cycles. */
  topTasks: { id: string | number; cycles: number }[]
  /** The timeline: first task submission to last fragment end, epoch ms. */
  from: number
  to: number
  /** Time-weighted statistics of the demand, MHz. */
  mean: number
  p50: number
  p99: number
  peak: number
  /** The first instant the peak is reached. */
  peakAt: number
  /**
   * Per bucket of `bucketMs` (a minute, or 2^k minutes over long spans: MAX_BUCKETS) from
   * `bucketStart` (floored to it): mean and max demand, MHz.
   */
  bucketStart: number
  bucketMs: number
  bucketMean: Float64Array
  bucketMax: Float64Array
  /** Task submissions per `submissionMs` (an hour, or 2^k hours) from `submissionStart`. */
  submissionStart: number
  submissionMs: number
  submissions: Int32Array
  /** Against a capacity, when one is given: utilization and time above it. */
  capacity?: { mhz: number; peakUtilization: number; meanUtilization: number; minutesOver: number }
}

/** A fragment's work, ms x MHz (its cycles / 1,000), on the trace's host or a what-if one (core/cycles.ts retime). */
const workOf = (f: Fragments, i: number) =>
  f.divisor === 1 ? totalCycles(f.duration[i]!, f.cpuUsage[i]!) / 1000 : f.duration[i]!

export function demand(tasks: Tasks, fragments: Fragments, capacityMhz?: number): Demand {
  if (fragments.divisor === 1) checkWork(tasks, fragments) // retime checked a what-if host's
  // Cycles, per task and in all.
  const cycles = new Float64Array(tasks.count)
  let work = 0
  for (let t = 0; t < tasks.count; t++) {
    let w = 0
    for (let i = fragments.offsets[t]!; i < fragments.offsets[t + 1]!; i++) w += workOf(fragments, i)
    cycles[t] = w * 1000
    work += w
  }
  const top = Array.from({ length: tasks.count }, (_, t) => t)
    .sort((a, b) => cycles[b]! - cycles[a]! || a - b)
    .slice(0, 5)
    .map((t) => ({ id: JSON.parse(tasks.idJson[t]!) as string | number, cycles: cycles[t]! }))

  // The sweep: task starts (+ usage of its first fragment) and fragment ends (- its usage, + the next one's).
  const all = { from: -Infinity, to: Infinity }
  const starts = new TaskOrder(tasks, all)
  const ends = new FragmentOrder(tasks, fragments, all, fragmentTime) // exact times, not ms
  const from = starts.time
  const capacity = capacityMhz ?? Number.POSITIVE_INFINITY
  const segments = new Segments(tasks.count + fragments.count + 1)
  let level = 0
  let at = from
  let over = 0
  // The span is known before the sweep: the buckets are sized once.
  const last = Math.max(lastEventTime(tasks), lastEventTime(tasks, fragments)) // exact times
  const bucketMs = widthFor(from, last, MINUTE)
  const bucketStart = Math.floor(from / bucketMs) * bucketMs
  const buckets = new BucketSeries(bucketStart, bucketMs, Math.ceil((last + 1 - bucketStart) / bucketMs))
  while (starts.time !== Infinity || ends.time !== Infinity) {
    const t = Math.min(starts.time, ends.time)
    if (t > at) {
      segments.add(level, at, t)
      buckets.add(level, at, t)
      if (level > capacity) over += t - at
      at = t
    }
    while (starts.time === t) {
      const first = fragments.offsets[starts.taskRow]!
      if (first < fragments.offsets[starts.taskRow + 1]!) level += fragments.cpuUsage[first]!
      starts.advance()
    }
    while (ends.time === t) {
      const i = ends.fragmentIndex
      const next = i + 1 < fragments.offsets[ends.taskRow + 1]! ? fragments.cpuUsage[i + 1]! : 0
      level += next - fragments.cpuUsage[i]!
      ends.advance()
    }
  }
  const to = at
  const span = to - from
  const mean = span > 0 ? segments.integral / span : 0
  const submissionMs = widthFor(from, last, HOUR)
  const submissionStart = Math.floor(from / submissionMs) * submissionMs
  const slots = Math.ceil((last + 1 - submissionStart) / submissionMs)
  const submissions = new Int32Array(Number.isFinite(slots) ? Math.max(1, slots) : 1)
  for (const s of tasks.submit) submissions[Math.floor((s - submissionStart) / submissionMs)]!++
  const [p50, p99] = segments.quantiles([0.5, 0.99])
  return {
    totalCycles: Number.isSafeInteger(work) ? (BigInt(work) * 1000n).toString() : String(work * 1000),
    topTasks: top,
    from,
    to,
    mean,
    p50: p50!,
    p99: p99!,
    peak: Math.max(segments.peak, 0),
    peakAt: Number.isNaN(segments.peakAt) ? from : segments.peakAt,
    bucketStart,
    bucketMs,
    bucketMean: buckets.means(),
    bucketMax: buckets.max.subarray(0, buckets.count),
    submissionStart,
    submissionMs,
    submissions,
    capacity:
      capacityMhz === undefined
        ? undefined
        : {
            mhz: capacityMhz,
            peakUtilization: Math.max(segments.peak, 0) / capacityMhz,
            meanUtilization: mean / capacityMhz,
            minutesOver: over / MINUTE,
          },
  }
}

/** The step function's pieces: a level held for a while; exact time-weighted quantiles. */
class Segments {
  readonly levels: Float64Array
  readonly lengths: Float64Array
  count = 0
  integral = 0
  peak = Number.NEGATIVE_INFINITY
  peakAt = Number.NaN

  constructor(capacity: number) {
    this.levels = new Float64Array(capacity)
    this.lengths = new Float64Array(capacity)
  }

  add(level: number, from: number, to: number): void {
    this.levels[this.count] = level
    this.lengths[this.count++] = to - from
    this.integral += level * (to - from)
    if (level > this.peak) {
      this.peak = level
      this.peakAt = from
    }
  }

  /**
   * The q-quantiles of the level over time: the least level held, with all lower ones, for at
   * least q of the timeline. A histogram finds the bucket; only that bucket's pieces are sorted.
   */
  quantiles(qs: number[]): number[] {
    const n = this.count
    if (n === 0) return qs.map(() => 0)
    let total = 0
    let min = Number.POSITIVE_INFINITY
    for (let i = 0; i < n; i++) {
      total += this.lengths[i]!
      if (this.levels[i]! < min) min = this.levels[i]!
    }
    const max = this.peak
    const buckets = 4096
    const width = (max - min) / buckets || 1
    const bucketOf = (v: number) => Math.min(buckets - 1, Math.floor((v - min) / width))
    const weight = new Float64Array(buckets)
    for (let i = 0; i < n; i++) weight[bucketOf(this.levels[i]!)]! += this.lengths[i]!
    return qs.map((q) => {
      const target = q * total
      let below = 0
      let b = 0
      while (b < buckets - 1 && below + weight[b]! < target) below += weight[b++]!
      const inBucket: [number, number][] = []
      for (let i = 0; i < n; i++)
        if (bucketOf(this.levels[i]!) === b) inBucket.push([this.levels[i]!, this.lengths[i]!])
      inBucket.sort((x, y) => x[0] - y[0])
      for (const [level, length] of inBucket) {
        below += length
        if (below >= target) return level
      }
      return inBucket.at(-1)?.[0] ?? max
    })
  }
}

/** A bucket width: `unit` doubled until the span from `from` to `last` takes at most MAX_BUCKETS. */
function widthFor(from: number, last: number, unit: number): number {
  let width = unit
  const start = () => Math.floor(from / width) * width
  while (Math.ceil((last + 1 - start()) / width) > MAX_BUCKETS) width *= 2
  return width
}

/** Per bucket: the integral and the max of the demand (sized once: at most MAX_BUCKETS). */
class BucketSeries {
  readonly sum: Float64Array
  readonly max: Float64Array
  count = 0
  private readonly start: number
  private readonly width: number

  constructor(start: number, width: number, buckets: number) {
    this.start = start
    this.width = width
    const size = Number.isFinite(buckets) ? Math.max(1, buckets) : 1
    this.sum = new Float64Array(size)
    this.max = new Float64Array(size)
  }

  add(level: number, from: number, to: number): void {
    for (let m = Math.floor((from - this.start) / this.width); this.start + m * this.width < to; m++) {
      if (m + 1 > this.count) this.count = m + 1
      const lo = Math.max(from, this.start + m * this.width)
      const hi = Math.min(to, this.start + (m + 1) * this.width)
      this.sum[m]! += level * (hi - lo)
      if (level > this.max[m]!) this.max[m] = level
    }
  }

  means(): Float64Array {
    return this.sum.subarray(0, this.count).map((s) => s / this.width)
  }
}
