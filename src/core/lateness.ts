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
  readonly counts = new Float64Array(BUCKETS)
  count = 0
  max = 0
  /** The sum of the (non-negative) lateness added, ms: a Prometheus histogram's `_sum`. */
  sum = 0

  add(ms: number, times = 1): void {
    const late = Math.max(ms, 0)
    this.counts[bucketOf(late)]! += times
    this.count += times
    this.sum += late * times
    if (late > this.max) this.max = late
  }

  merge(other: { counts: ArrayLike<number>; count: number; max: number; sum?: number }): void {
    for (let b = 0; b < BUCKETS; b++) this.counts[b]! += other.counts[b]!
    this.count += other.count
    this.sum += other.sum ?? 0
    if (other.max > this.max) this.max = other.max
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
