/**
 * A histogram of how late messages went out behind their schedule, in milliseconds.
 * Log-linear buckets (64 per power of two of microseconds): quantiles within 1.6 %,
 * fixed memory, and two histograms (one per worker) merge by adding counts.
 */
const SUB = 64
const POWERS = 48
export const BUCKETS = SUB * POWERS

export function bucketOf(ms: number): number {
  const us = ms * 1000
  if (!(us >= 1)) return 0
  const e = Math.floor(Math.log2(us))
  const sub = Math.floor((us / 2 ** e - 1) * SUB)
  return Math.min(BUCKETS - 1, 1 + e * SUB + sub)
}

/** Upper edge of a bucket, ms. */
export function bucketLimit(bucket: number): number {
  if (bucket === 0) return 0.001
  const e = Math.floor((bucket - 1) / SUB)
  const sub = (bucket - 1) % SUB
  return (2 ** e * (1 + (sub + 1) / SUB)) / 1000
}

export class Lateness {
  readonly counts: Float64Array<ArrayBufferLike>
  /** count, sum (ms), max (ms): in an array so that a histogram can live in shared memory (run/figures.ts). */
  private readonly totals: Float64Array<ArrayBufferLike>

  constructor(
    counts: Float64Array<ArrayBufferLike> = new Float64Array(BUCKETS),
    totals: Float64Array<ArrayBufferLike> = new Float64Array(3),
  ) {
    this.counts = counts
    this.totals = totals
  }

  get count(): number {
    return this.totals[0]!
  }

  get sum(): number {
    return this.totals[1]!
  }

  get max(): number {
    return this.totals[2]!
  }

  add(ms: number, times = 1): void {
    const late = Math.max(ms, 0)
    const t = this.totals
    this.counts[bucketOf(late)]! += times
    t[0]! += times
    t[1]! += late * times
    if (late > t[2]!) t[2] = late
  }

  merge(other: { counts: ArrayLike<number>; count: number; max: number; sum?: number }): void {
    for (let b = 0; b < BUCKETS; b++) this.counts[b]! += other.counts[b]!
    const t = this.totals
    t[0]! += other.count
    t[1]! += other.sum ?? 0
    if (other.max > t[2]!) t[2] = other.max
  }

  /** A copy that a message can carry (the counts of a shared histogram are not copied by postMessage). */
  snapshot(): { counts: Float64Array; count: number; max: number; sum: number } {
    return { counts: this.counts.slice(), count: this.count, max: this.max, sum: this.sum }
  }

  /** The q-quantile (0..1), as the upper edge of its bucket but never above the max. */
  quantile(q: number): number {
    if (this.count === 0) return 0
    const rank = Math.ceil(q * this.count)
    let seen = 0
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!
      if (seen >= rank) return Math.min(bucketLimit(b), this.max)
    }
    return this.max
  }
}
