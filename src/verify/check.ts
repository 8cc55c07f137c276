import { Lateness } from '../core/lateness.ts'
import { type ExpectedTopic, hashRecord, type RecordHash } from './expected.ts'
import type { Owner } from './shard.ts'

/**
 * Records read back from Kafka, checked against the messages a replay defines (expected.ts), one
 * record at a time: nothing read is held except the first few differences of each kind.
 *
 * - matched: the record is a message of the replay not seen before;
 * - duplicated: it is one seen before;
 * - changed: its key is a message's key but no such message has its value (paired, once all is
 *   read, with a message of that key that never came: a changed value);
 * - foreign: neither (another trace's message, another producer's);
 * - out of order: a matched record that comes after a later message of the replay in its
 *   partition (and, counted apart, of its key): a swapped pair is one.
 *
 * Following (`schedule` given), each matched record's lateness is measured too: arrival minus the instant it
 * was due, from the record's `opendt-due` header, or (without one) on a schedule fitted to the
 * earliest arrival, as a replay at `speed` from `origin` would have it.
 */

/** A record as the consumer hands it over. */
export interface ReadRecord {
  partition: number
  offset: string
  key: Buffer | null
  value: Buffer | null
  /** Wall instant it arrived, epoch ms (follow mode). */
  arrival: number
  /** The `opendt-due` header's instant, epoch ms, when the record has one. */
  due?: number
}

export type DifferenceKind = 'missing' | 'duplicated' | 'changed' | 'foreign' | 'outOfOrder'

export const DIFFERENCE_KINDS: readonly DifferenceKind[] = ['missing', 'duplicated', 'changed', 'foreign', 'outOfOrder']

/** One difference, as the report shows it. */
export interface Difference {
  partition?: number
  offset?: string
  key: string | null
  /** Event time of the replay's message it concerns (epoch ms), when known. */
  time?: number
  /** The value read (changed, foreign; null for a record without one), and the one expected (missing, changed). */
  value?: string | null
  expected?: string
  /** Out of order: the offset and time of the later message that came before it. */
  after?: { offset: string; time: number }
  /** Index of the replay's message (to describe it once all is read). */
  index?: number
}

export interface LatenessFigures {
  count: number
  p50: number
  p99: number
  max: number
  /** Median lateness of the last 100 records minus that of the first 100, ms. */
  drift: number
  /** Records measured against a fitted schedule (no `opendt-due` header). */
  fitted: number
  /** The records due in the first second (from the earliest due instant): how many, and their p99. */
  firstSecond: { count: number; p99: number }
}

export interface TopicReport {
  topic: string
  expected: number
  read: number
  matched: number
  missing: number
  duplicated: number
  changed: number
  foreign: number
  outOfOrder: { partition: number; key: number }
  /** `--shard`: records of the other shards, counted apart and not checked (included in `read`). */
  otherShards?: number
  exact: boolean
  samples: Record<DifferenceKind, Difference[]>
  lateness?: LatenessFigures
}

const EDGE = 100

export class TopicCheck {
  readonly expected: ExpectedTopic
  read = 0
  matched = 0
  duplicated = 0
  unexpected = 0
  partitionOrder = 0
  keyOrder = 0
  otherShards = 0
  readonly samples: Record<DifferenceKind, Difference[]> = {
    missing: [],
    duplicated: [],
    changed: [],
    foreign: [],
    outOfOrder: [],
  }
  /** Records whose value matched no message, per key hash (to pair them with missing messages). */
  private readonly unexpectedByKey = new Map<number, number>()
  private readonly unexpectedSamples: (Difference & { keyHash: number })[] = []
  private readonly lastInPartition = new Map<number, { index: number; offset: string }>()
  /** Per partition, per key (53-bit hash): the replay index of the last record matched. */
  private readonly lastOfKey = new Map<number, Map<number, number>>()
  private readonly hash: RecordHash = { hi: 0, lo: 0, key: 0, wideKey: 0 }
  private readonly limit: number
  readonly lateness = new Lateness()
  private readonly first: number[] = []
  private readonly last: number[] = []
  private fittedCount = 0
  /** [due, lateness] of the records due within a second of the earliest seen. */
  private early: [number, number][] = []
  private earliestDue = Infinity
  /** Header-less records: arrival minus their offset on the schedule, and the offset (pairs), fitted at the end. */
  private fitted: number[] = []
  private readonly schedule?: { origin: number; speed: number }
  private readonly normalize: (value: Buffer) => Buffer
  private readonly owner?: (key: Buffer | null) => Owner

  /**
   * `schedule`: follow mode's fitted schedule; `normalize`: what of a value is compared (dc-mock's
   * topology messages carry the wall clock, masked out); `owner`: with `--shard`, whose a record
   * is (shard.ts): other shards' records are counted apart.
   */
  constructor(
    expected: ExpectedTopic,
    limit: number,
    schedule?: { origin: number; speed: number },
    normalize: (value: Buffer) => Buffer = (v) => v,
    owner?: (key: Buffer | null) => Owner,
  ) {
    this.expected = expected
    this.limit = limit
    this.schedule = schedule
    this.normalize = normalize
    this.owner = owner
  }

  add(record: ReadRecord): void {
    this.read++
    const owner = this.owner?.(record.key) ?? 'ours'
    if (owner === 'other') {
      this.otherShards++
      return
    }
    const value = this.normalize(record.value ?? Buffer.alloc(0))
    const hash = hashRecord(record.key, value, this.hash)
    const index = this.expected.match(hash)
    const key = record.key ? record.key.toString('utf8') : null
    if (index === -1) {
      this.unexpected++
      this.unexpectedByKey.set(hash.key, (this.unexpectedByKey.get(hash.key) ?? 0) + 1)
      if (this.unexpectedSamples.length < this.limit * 4) {
        const { partition, offset } = record
        const text = record.value === null ? null : value.toString('utf8')
        this.unexpectedSamples.push({ partition, offset, key, value: text, keyHash: hash.key })
      }
      return
    }
    if (index <= -2) {
      if (owner === 'shared') {
        this.otherShards++
        return
      }
      this.duplicated++
      const of = -2 - index
      this.sample('duplicated', {
        partition: record.partition,
        offset: record.offset,
        key,
        time: this.expected.time[of],
      })
      return
    }
    this.matched++
    const time = this.expected.time[index]!
    const previous = this.lastInPartition.get(record.partition)
    if (previous && index < previous.index) {
      this.partitionOrder++
      this.sample('outOfOrder', {
        partition: record.partition,
        offset: record.offset,
        key,
        time,
        after: { offset: previous.offset, time: this.expected.time[previous.index]! },
      })
    }
    this.lastInPartition.set(record.partition, { index, offset: record.offset })
    // A key lives in one partition when the producer partitions by key; keyless records (dc-mock's
    // power) are spread over partitions and have no order of their own to keep.
    if (hash.wideKey >= 0) {
      let keys = this.lastOfKey.get(record.partition)
      if (!keys) {
        keys = new Map()
        this.lastOfKey.set(record.partition, keys)
      }
      const last = keys.get(hash.wideKey)
      if (last !== undefined && index < last) this.keyOrder++
      keys.set(hash.wideKey, index)
    }
    if (!this.schedule) return
    if (record.due !== undefined) this.late(record.arrival - record.due, record.due)
    else {
      this.fittedCount++
      const offset = (time - this.schedule.origin) / this.schedule.speed
      this.fitted.push(record.arrival - offset, offset)
    }
  }

  private late(ms: number, due: number): void {
    if (due < this.earliestDue + 1000) {
      this.earliestDue = Math.min(this.earliestDue, due)
      this.early.push([due, ms])
    }
    this.lateness.add(ms)
    if (this.first.length < EDGE) this.first.push(ms)
    this.last.push(ms)
    if (this.last.length > EDGE) this.last.shift()
  }

  private sample(kind: DifferenceKind, difference: Difference): void {
    if (this.samples[kind].length < this.limit) this.samples[kind].push(difference)
  }

  /** After the read: pairs unexpected records with missing messages, and sums up. */
  finish(): TopicReport {
    const e = this.expected
    // One pass over the messages that never came: how many per key, and for the keys of sampled
    // records, which (each changed record names the next message of its key that never came).
    const missingByKey = new Map<number, number>()
    const sampledKeys = new Set(this.unexpectedSamples.map((u) => u.keyHash))
    const missingOfKey = new Map<number, number[]>()
    let missing = 0
    for (let i = 0; i < e.count; i++) {
      if (e.seen[i] === 1) continue
      missing++
      const key = e.keyHash[i]!
      missingByKey.set(key, (missingByKey.get(key) ?? 0) + 1)
      if (!sampledKeys.has(key)) continue
      const list = missingOfKey.get(key) ?? []
      if (list.length === 0) missingOfKey.set(key, list)
      list.push(i)
    }
    let changed = 0
    for (const [key, n] of this.unexpectedByKey) changed += Math.min(n, missingByKey.get(key) ?? 0)
    const paired = new Set<number>()
    for (const { keyHash, ...sample } of this.unexpectedSamples) {
      const i = missingOfKey.get(keyHash)?.shift()
      if (i !== undefined) {
        paired.add(i)
        this.sample('changed', { ...sample, time: e.time[i], index: i })
      } else this.sample('foreign', sample)
    }
    for (let i = 0; i < e.count && this.samples.missing.length < this.limit; i++) {
      if (e.seen[i] === 0 && !paired.has(i)) this.samples.missing.push({ key: null, time: e.time[i], index: i })
    }
    const report: TopicReport = {
      topic: e.topic,
      expected: e.count,
      read: this.read,
      matched: this.matched,
      missing: missing - changed,
      duplicated: this.duplicated,
      changed,
      foreign: this.unexpected - changed,
      outOfOrder: { partition: this.partitionOrder, key: this.keyOrder },
      ...(this.owner ? { otherShards: this.otherShards } : {}),
      exact: false,
      samples: this.samples,
    }
    report.exact =
      report.missing + report.duplicated + report.changed + report.foreign + this.partitionOrder + this.keyOrder === 0
    if (this.lateness.count > 0 || this.fitted.length > 0) report.lateness = this.figures()
    return report
  }

  private figures(): LatenessFigures {
    if (this.fitted.length > 0) {
      // The earliest arrival defines the schedule's zero: lateness is measured from the best record.
      let zero = Infinity
      for (let i = 0; i < this.fitted.length; i += 2) zero = Math.min(zero, this.fitted[i]!)
      for (let i = 0; i < this.fitted.length; i += 2) this.late(this.fitted[i]! - zero, zero + this.fitted[i + 1]!)
      this.fitted = []
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
    const first = new Lateness()
    for (const [due, ms] of this.early) if (due < this.earliestDue + 1000) first.add(ms)
    return {
      firstSecond: { count: first.count, p99: first.quantile(0.99) },
      count: this.lateness.count,
      p50: this.lateness.quantile(0.5),
      p99: this.lateness.quantile(0.99),
      max: this.lateness.max,
      drift: median(this.last) - median(this.first),
      fitted: this.fittedCount,
    }
  }
}
