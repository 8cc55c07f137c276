import type { Message, Producer } from 'kafkajs'
import { ByteWriter } from '../../core/bytes.ts'
import type { EventStream } from '../../core/stream.ts'
import type { Compression, Counts, RecordTime, Role } from '../../types.ts'
import type { OutputSink, StreamFigures } from '../output.ts'

/**
 * The record header holding the wall instant a paced record was due at: epoch milliseconds as
 * decimal text with three decimals (`1764169200005.125`), on the clock of the machine that sent
 * it. `verify --follow` measures each record's lateness against it. Headers are not part of the
 * key or value bytes. At --speed max records go without it: nothing is due at a particular
 * instant, and the header cost kafkajs 40 % of its rate (SURF: 173,001 -> 99,304 records/s).
 */
export const DUE_HEADER = 'opendt-due'

/** kafkajs's CompressionTypes values. */
const COMPRESSION_TYPES: Record<Compression, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }

/** Bytes a record adds to a batch beyond its key and value (length, attributes, varints, the due header). */
const RECORD_OVERHEAD = 32 + DUE_HEADER.length + 20
/** Room kept under the broker's limit for the batch header and the request. */
const BATCH_HEADROOM = 4096

export interface KafkaSinkOptions {
  /** The topic of each stream this sink writes. */
  topics: Partial<Record<Role, string>>
  acks: -1 | 1 | 0
  recordTime: RecordTime
  /** The topics' smallest max.message.bytes: one record batch must stay under it. */
  maxMessageBytes: number
  /** Stamp each record with DUE_HEADER (paced runs; at --speed max nothing is due at a particular instant). */
  dueHeader: boolean
  /** The record batches' codec (kafka/codecs.ts registers those kafkajs lacks). */
  compression?: Compression
  /** `--batch-size`: most bytes per send, below the topics' limit; unset: the limit alone. */
  batchBytes?: number
}

/** Per stream in a batch: how many messages, their key and value bytes, and the last one's event time. */
interface RoleShare {
  n: number
  bytes: number
  last: number
}

/** Messages for one send: per topic, in stream order, per stream, and the first one's event time. */
interface Batch {
  topics: Map<string, Message[]>
  roles: Map<Role, RoleShare>
  bytes: number
  first: number
}

const emptyBatch = (): Batch => ({ topics: new Map(), roles: new Map(), bytes: 0, first: Infinity })

/**
 * Sends batches with one kafkajs producer. Key and value bytes are exactly the dry-run line's key
 * and value. One send is in flight at a time while the next batch is built: kafkajs retries a
 * failed send after later ones when several are in flight, which would reorder a partition, and
 * its idempotent producer serializes requests to a broker anyway. A message counts as
 * acknowledged only when its send resolves; a failed send surfaces at the next flush or at close.
 * A message that would take a batch past the topic's limit (or `--batch-size`) starts the next
 * batch, so a message as large as the limit allows (a dc-mock task with thousands of fragments)
 * goes out alone.
 */
export class KafkaSink implements OutputSink {
  /** Per stream: handed to the producer, and acknowledged. */
  readonly counts: Partial<Record<Role, Counts>> = {}
  /** Per stream: the event time of the last message added. */
  readonly eventTimes: Partial<Record<Role, number>> = {}
  /** Per stream: the key and value bytes acknowledged, and the event time of the last message acknowledged. */
  private readonly ackedBytes: Partial<Record<Role, number>> = {}
  private readonly ackedTimes: Partial<Record<Role, number>> = {}
  /** The first event time of each batch handed to the producer and not yet acknowledged, oldest first. */
  private readonly unacked: number[] = []
  private sealed: Batch[] = []
  private current = emptyBatch()
  private writer = new ByteWriter(1 << 16)
  /** Writers whose sends are acknowledged: the next batches are written into them, not into new buffers. */
  private readonly spare: ByteWriter[] = []
  private inFlight: Promise<void> | undefined
  private readonly producer: Producer
  private readonly options: KafkaSinkOptions
  private readonly limit: number
  private lastDue = Number.NaN
  private headers: Message['headers'] = {}

  /** Called when a batch is handed to the producer and when it is acknowledged. */
  onCounts: (counts: Partial<Record<Role, Counts>>) => void = () => {}

  constructor(producer: Producer, options: KafkaSinkOptions) {
    this.producer = producer
    this.options = options
    this.limit = Math.min(options.maxMessageBytes - BATCH_HEADROOM, options.batchBytes ?? Infinity)
    for (const role of Object.keys(options.topics) as Role[]) {
      this.counts[role] = { sent: 0, acked: 0 }
      this.ackedBytes[role] = 0
    }
  }

  add(message: EventStream, due: number): void {
    const w = this.writer
    const start = w.pos
    message.writeValue(w)
    // A view, not a copy: a grown buffer leaves earlier views on the old one, still valid.
    const value = Buffer.from(w.buf.buffer, w.buf.byteOffset + start, w.pos - start)
    const key = message.keyBytes()
    const payload = (key?.length ?? 0) + value.length
    const size = payload + RECORD_OVERHEAD
    if (this.current.bytes > 0 && this.current.bytes + size > this.limit) {
      this.sealed.push(this.current)
      this.current = emptyBatch()
    }
    const batch = this.current
    const topic = this.options.topics[message.role]!
    const list = batch.topics.get(topic) ?? []
    if (list.length === 0) batch.topics.set(topic, list)
    const record: Message = { key, value }
    if (this.options.recordTime === 'trace') record.timestamp = String(Math.round(message.time))
    if (this.options.dueHeader) {
      // Messages due at one instant (a batch often is) share one headers object.
      if (due !== this.lastDue) {
        this.lastDue = due
        this.headers = { [DUE_HEADER]: due.toFixed(3) }
      }
      record.headers = this.headers
    }
    list.push(record)
    const share = batch.roles.get(message.role)
    if (share) {
      share.n++
      share.bytes += payload
      share.last = message.time
    } else {
      batch.roles.set(message.role, { n: 1, bytes: payload, last: message.time })
      if (batch.first === Infinity) batch.first = message.time
    }
    this.eventTimes[message.role] = message.time
    batch.bytes += size
  }

  /** The batch should go out before another message is added (a generous guess at the next one's size). */
  full(): boolean {
    return this.sealed.length > 0 || this.current.bytes + 1024 > this.limit
  }

  async flush(): Promise<void> {
    if (this.current.bytes > 0) this.sealed.push(this.current)
    this.current = emptyBatch()
    const batches = this.sealed
    if (batches.length === 0) return
    this.sealed = []
    // The batches' values are views into the writer until the last of their sends is acknowledged.
    const writer = this.writer
    this.writer = this.spare.pop() ?? new ByteWriter(1 << 16)
    this.writer.pos = 0
    for (const batch of batches) await this.send(batch)
    this.inFlight?.then(
      () => this.spare.push(writer),
      () => {},
    )
  }

  private async send(batch: Batch): Promise<void> {
    await this.inFlight
    const topicMessages = [...batch.topics].map(([topic, messages]) => ({ topic, messages }))
    const compression = COMPRESSION_TYPES[this.options.compression ?? 'none']
    const send = this.producer.sendBatch({ topicMessages, acks: this.options.acks, compression })
    this.unacked.push(batch.first)
    this.inFlight = send.then(() => {
      this.unacked.shift()
      for (const [role, share] of batch.roles) {
        this.counts[role]!.acked += share.n
        this.ackedBytes[role]! += share.bytes
        this.ackedTimes[role] = share.last
      }
      this.onCounts(this.counts)
    })
    this.inFlight.catch(() => {}) // observed at the next flush or at close
    for (const [role, share] of batch.roles) this.counts[role]!.sent += share.n
    this.onCounts(this.counts)
  }

  /** Per stream: sent, acknowledged, the event times of the last message added and acknowledged (NaN: none yet), bytes acknowledged. */
  figures(): StreamFigures {
    return Object.fromEntries(
      Object.entries(this.counts).map(([role, c]) => [
        role,
        {
          sent: c!.sent,
          acked: c!.acked,
          eventTime: this.eventTimes[role] ?? Number.NaN,
          ackedTime: this.ackedTimes[role] ?? Number.NaN,
          bytesAcked: this.ackedBytes[role]!,
        },
      ]),
    )
  }

  /** The first event time of the oldest batch not yet acknowledged: handed to the producer, sealed, or being built. */
  pendingFrom(): number {
    return Math.min(this.unacked[0] ?? Infinity, this.sealed[0]?.first ?? Infinity, this.current.first)
  }

  /** Waits for the send in flight; throws if it failed. */
  async close(): Promise<void> {
    await this.flush()
    await this.inFlight
  }
}
