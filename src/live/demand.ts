import type { Demand } from '../core/demand.ts'
import { capacityMhz, type Topology } from '../trace/topology.ts'
import type { Host } from '../types.ts'
import type { DemandSeries } from './status.ts'

/**
 * The demand chart's data (pure): inspect's demand curve (core/demand.ts) merged down to at
 * most `maxPoints` buckets, the capacity it is drawn against, and, for verify, the demand the
 * twin receives, added up from the fragments it consumed into the same buckets.
 */

/** The chart's buckets: `count` of `widthMs` from `startMs`; the last ends at `endMs` (it may hold fewer of inspect's). */
export interface DemandBuckets {
  startMs: number
  widthMs: number
  count: number
  endMs: number
  /** inspect's buckets: each chart bucket merges `merge` of them (the last one, the rest). */
  source: { startMs: number; widthMs: number; count: number }
  merge: number
}

/** How inspect's buckets are merged so that at most `maxPoints` remain: adjacent ones, `merge` at a time. */
export function demandBuckets(d: Demand, maxPoints = 5000): DemandBuckets {
  if (!(maxPoints >= 1)) throw new RangeError(`demand: maxPoints must be at least 1, got ${maxPoints}`)
  const n = d.bucketMean.length
  const merge = Math.max(1, Math.ceil(n / maxPoints))
  return {
    startMs: d.bucketStart,
    widthMs: d.bucketMs * merge,
    count: Math.ceil(n / merge),
    endMs: d.bucketStart + n * d.bucketMs,
    source: { startMs: d.bucketStart, widthMs: d.bucketMs, count: n },
    merge,
  }
}

/**
 * Means of inspect's buckets merged `merge` at a time: the mean of their means, each weighed
 * alike (they are equally wide), summed in order. The expected and the received series both go
 * through it, so that equal buckets give equal points.
 */
function mergedMeans(means: ArrayLike<number>, merge: number): number[] {
  const out: number[] = []
  for (let i = 0; i < means.length; i += merge) {
    const end = Math.min(means.length, i + merge)
    let sum = 0
    for (let j = i; j < end; j++) sum += means[j]!
    out.push(sum / (end - i))
  }
  return out
}

/** The trace's demand as the chart draws it: bucket starts in Unix seconds, mean of means and max of maxes, MHz. */
export function demandSeries(d: Demand, capacity: DemandSeries['capacity'], maxPoints = 5000): DemandSeries {
  const b = demandBuckets(d, maxPoints)
  const max: number[] = []
  for (let i = 0; i < d.bucketMax.length; i += b.merge) {
    let m = 0
    for (let j = i; j < Math.min(d.bucketMax.length, i + b.merge); j++) m = Math.max(m, d.bucketMax[j]!)
    max.push(m)
  }
  return {
    t: Array.from({ length: b.count }, (_, i) => (b.startMs + i * b.widthMs) / 1000),
    mean: mergedMeans(d.bucketMean, b.merge),
    max,
    capacity,
  }
}

/**
 * The demand the twin receives, from the fragments it consumed: each runs at its `cpu_usage` MHz
 * from its predecessor's time (or its task's submission) to its own (trace/timeline.ts), and adds
 * usage x overlap to each of inspect's buckets it overlaps, as inspect's sweep adds the demand's
 * level (core/demand.ts BucketSeries). A fragment on a what-if host arrives retimed (core/cycles.ts
 * retime keeps its cycles, duration x usage x 1,000): its usage over its duration is what it asks.
 * Demand outside the trace's buckets (another trace's records) is left out.
 */
export class ReceivedDemand {
  readonly buckets: DemandBuckets
  private readonly sums: Float64Array
  /** inspect's buckets changed since the last takeChanges(), first to last (none: lo > hi). */
  private lo = Infinity
  private hi = -Infinity

  constructor(buckets: DemandBuckets) {
    this.buckets = buckets
    this.sums = new Float64Array(buckets.source.count)
  }

  /** A fragment of `mhz` from `fromMs` to `toMs` (epoch ms); nothing for an empty or unreadable one. */
  add(fromMs: number, toMs: number, mhz: number): void {
    const { startMs, widthMs, count } = this.buckets.source
    if (!(toMs > fromMs) || !(mhz >= 0) || !Number.isFinite(mhz)) return
    const lo = Math.max(fromMs, startMs)
    const hi = Math.min(toMs, startMs + count * widthMs)
    for (let m = Math.floor((lo - startMs) / widthMs); m < count && startMs + m * widthMs < hi; m++) {
      const a = Math.max(lo, startMs + m * widthMs)
      const b = Math.min(hi, startMs + (m + 1) * widthMs)
      if (b > a) {
        this.sums[m]! += mhz * (b - a)
        this.lo = Math.min(this.lo, m)
        this.hi = Math.max(this.hi, m)
      }
    }
  }

  /** The time-weighted mean per chart bucket so far, MHz: the expected series' `mean`, once every fragment is in. */
  series(): number[] {
    return this.means(0, this.buckets.count)
  }

  /** The chart buckets changed since the last call (from index `from` on), or null: what a live frame carries. */
  takeChanges(): { from: number; values: number[] } | null {
    if (this.lo > this.hi) return null
    const { merge } = this.buckets
    const from = Math.floor(this.lo / merge)
    const to = Math.floor(this.hi / merge) + 1
    this.lo = Infinity
    this.hi = -Infinity
    return { from, values: this.means(from, to) }
  }

  /** Chart buckets `from` to `to` (exclusive). */
  private means(from: number, to: number): number[] {
    const { merge, source } = this.buckets
    const sums = this.sums.subarray(from * merge, Math.min(source.count, to * merge))
    return mergedMeans(
      sums.map((s) => s / source.widthMs),
      merge,
    )
  }
}

/** Total hosts of a topology (each host kind's `count`). */
const hostCount = (t: Topology) => t.hosts.reduce((n, h) => n + h.count, 0)

/** A topology's hosts as a person reads them: `277 hosts x 16 cores x 2100 MHz`, or `300 hosts of 2 kinds`. */
function describeHosts(t: Topology): string {
  const [first] = t.hosts
  const alike = t.hosts.every((h) => h.coreCount === first!.coreCount && h.coreSpeed === first!.coreSpeed)
  return alike
    ? `${hostCount(t)} hosts x ${first!.coreCount} cores x ${first!.coreSpeed} MHz`
    : `${hostCount(t)} hosts of ${t.hosts.length} kinds`
}

/**
 * The capacity the live view draws the demand against, by inspect's rule (hosts x coreCount x
 * coreSpeed, summed), where the run can know it:
 * - `--host-topology FILE` (the what-if host is its first host): that file's hosts;
 * - `--host-cpus N --host-mhz M` with a topology of the trace: its hosts, each of N x M MHz (the
 *   datacenter keeps its machines, which change kind); without one: unknown;
 * - no what-if host: the trace's topology (a topology.json beside the trace, as dc-mock's
 *   workload folder has it);
 * - else null: unknown, and the chart draws none.
 */
export function liveCapacity(input: {
  host?: Host
  /** `--host-topology`'s file, parsed, when the what-if host came from it. */
  hostTopology?: Topology
  /** The trace's own topology, if it has one. */
  topology?: Topology
}): DemandSeries['capacity'] {
  const { host, hostTopology, topology } = input
  if (hostTopology) {
    return { mhz: capacityMhz(hostTopology), source: `${hostTopology.path}: ${describeHosts(hostTopology)}` }
  }
  if (host) {
    if (!topology) return null
    const hosts = hostCount(topology)
    return {
      mhz: hosts * host.cpus * host.mhz,
      source: `${topology.path}'s ${hosts} hosts as what-if hosts of ${host.cpus} x ${host.mhz} MHz`,
    }
  }
  return topology ? { mhz: capacityMhz(topology), source: `${topology.path}: ${describeHosts(topology)}` } : null
}
