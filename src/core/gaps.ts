/**
 * `--max-gap`: idle stretches of the trace (no message in either stream) longer than maxGap are
 * shortened to maxGap, so a quiet night does not stall a demo. The result is a monotonic map from
 * event time to compressed time; the schedule paces on compressed time. Both workers derive the
 * same map from the same events, so both streams stay on one clock.
 */
export interface Gaps {
  /** Event times at which a long gap ends, ascending. */
  ends: Float64Array
  /** Trace time skipped up to and including each gap (cumulative), ms. */
  skipped: Float64Array
  /** All trace time skipped in the window, ms. */
  total: number
}

/** Finds the gaps longer than maxGap in ascending event times, counting from the window start. */
export function findGaps(times: Iterable<number>, from: number, maxGapMs: number): Gaps {
  const ends: number[] = []
  const skipped: number[] = []
  let previous = from
  let total = 0
  for (const t of times) {
    const gap = t - previous
    if (gap > maxGapMs) {
      total += gap - maxGapMs
      ends.push(t)
      skipped.push(total)
    }
    if (t > previous) previous = t
  }
  return { ends: Float64Array.from(ends), skipped: Float64Array.from(skipped), total }
}

/** Event time to compressed time: minus all the skipping of gaps that ended at or before it. */
export function compressor(gaps: Gaps): (t: number) => number {
  const { ends, skipped } = gaps
  if (ends.length === 0) return (t) => t
  return (t) => {
    // Last gap with end <= t (binary search).
    let lo = 0
    let hi = ends.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (ends[mid]! <= t) lo = mid + 1
      else hi = mid
    }
    return lo === 0 ? t : t - skipped[lo - 1]!
  }
}

/** Merges two ascending sequences into one. */
export function* mergeAscending(a: Iterator<number>, b: Iterator<number>): Generator<number> {
  let x = a.next()
  let y = b.next()
  while (!x.done || !y.done) {
    if (y.done || (!x.done && x.value <= y.value)) {
      yield x.value as number
      x = a.next()
    } else {
      yield y.value as number
      y = b.next()
    }
  }
}
