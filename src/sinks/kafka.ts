import type { Message, Producer } from 'kafkajs'
import { ByteWriter } from '../core/bytes.ts'
import type { Sink } from '../core/pacer.ts'
import type { EventStream } from '../core/stream.ts'

/** Bytes a record adds to a batch beyond its key and value (length, attributes, varints). */
const RECORD_OVERHEAD = 32
/** Room kept under the broker's limit for the batch header and the request. */
const BATCH_HEADROOM = 4096

export interface KafkaSinkOptions {
  topic: string
  acks: -1 | 1 | 0
  recordTime: 'send' | 'trace'
  /** The topic's max.message.bytes: one record batch must stay under it. */
  maxMessageBytes: number
}

/**
 * Sends batches with one kafkajs producer. Key and value bytes are exactly the dry-run line's key
 * and value. One send is in flight at a time while the next batch is built: kafkajs retries a
 * failed send after later ones when several are in flight, which would reorder a partition, and
 * its idempotent producer serializes requests to a broker anyway. A message counts as
 * acknowledged only when its send resolves; a failed send surfaces at the next flush or at close.
 */
export class KafkaSink implements Sink {
  sent = 0
  acked = 0
  private messages: Message[] = []
  private bytes = 0
  private writer = new ByteWriter(1 << 16)
  private inFlight: Promise<void> | undefined
  private readonly producer: Producer
  private readonly options: KafkaSinkOptions
  private readonly limit: number

  /** Called when a batch is handed to the producer and when it is acknowledged. */
  onCounts: (sent: number, acked: number) => void = () => {}

  constructor(producer: Producer, options: KafkaSinkOptions) {
    this.producer = producer
    this.options = options
    this.limit = options.maxMessageBytes - BATCH_HEADROOM
  }

  add(message: EventStream): void {
    const w = this.writer
    const start = w.pos
    message.writeValue(w)
    // A view, not a copy: a grown buffer leaves earlier views on the old one, still valid.
    const value = Buffer.from(w.buf.buffer, w.buf.byteOffset + start, w.pos - start)
    const key = message.keyBytes() as Buffer
    this.bytes += key.length + value.length + RECORD_OVERHEAD
    this.messages.push(
      this.options.recordTime === 'trace'
        ? { key, value, timestamp: String(Math.round(message.time)) }
        : { key, value },
    )
  }

  /** The next message might not fit under the broker's limit (a generous guess at its size). */
  full(): boolean {
    return this.bytes + 1024 > this.limit
  }

  async flush(): Promise<void> {
    if (this.messages.length === 0) return
    const messages = this.messages
    this.messages = []
    this.bytes = 0
    this.writer = new ByteWriter(1 << 16)
    await this.inFlight
    const send = this.producer.send({ topic: this.options.topic, messages, acks: this.options.acks })
    this.inFlight = send.then(() => {
      this.acked += messages.length
      this.onCounts(this.sent, this.acked)
    })
    this.inFlight.catch(() => {}) // observed at the next flush or at close
    this.sent += messages.length
    this.onCounts(this.sent, this.acked)
  }

  /** Waits for the send in flight; throws if it failed. */
  async close(): Promise<void> {
    await this.flush()
    await this.inFlight
  }
}
