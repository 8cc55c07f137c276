/**
 * kafkajs's Record (src/protocol/recordBatch/record/v0/index.js: one record of a record batch),
 * written straight into one buffer of its exact size.
 *
 * Stock, each record goes through a 512-byte zeroed Encoder of its own (and one per header), and
 * its timestamp delta's varlong through Long objects: 2.9 us a record, which capped a send loop
 * under Kafka's own producer. Records of the kinds the replay sends (key and value Buffers or null,
 * headers of text or Buffer values, deltas in 32 bits) take this path, with the same bytes; any
 * other goes to the stock function, kept as it is. A value of ADOPT_BYTES or more (a dc-mock task
 * message) is not copied: the record holds it by reference, as the encoder patch does.
 *
 * Measured with the encoder's and CRC32C's patches (scripts/bench-record-batch.ts, 200,000
 * SURF-shaped records a round, medians of 5): 275,971 records/s stock, 1,653,639 patched
 * (BENCHMARKS.md, 2026-12-06). Upstream: none found.
 */
import { ADOPT_BYTES, type PatchedEncoder } from './encoder.ts'

/** A record as kafkajs's producer hands it to Record. */
export interface RecordArgs {
  offsetDelta?: unknown
  timestampDelta?: unknown
  key?: unknown
  value?: unknown
  headers?: Record<string, unknown>
}

type Bytes = Buffer | null | undefined

const zigzag = (v: number) => ((v << 1) ^ (v >> 31)) >>> 0
const varintSize = (u: number) => (u < 0x80 ? 1 : u < 0x4000 ? 2 : u < 0x200000 ? 3 : u < 0x10000000 ? 4 : 5)
const putVarint = (buf: Buffer, at: number, u: number) => {
  while (u >= 0x80) {
    buf[at++] = (u & 0x7f) | 0x80
    u >>>= 7
  }
  buf[at++] = u
  return at
}
const isInt32 = (v: unknown): v is number => typeof v === 'number' && (v | 0) === v
const isBytes = (v: unknown): v is Bytes => v === null || v === undefined || Buffer.isBuffer(v)
const bytesSize = (v: Bytes) => (v == null ? 1 : varintSize(zigzag(v.length)) + v.length)
const putBytes = (buf: Buffer, at: number, v: Bytes) => {
  if (v == null) return putVarint(buf, at, 1) // -1: null
  at = putVarint(buf, at, zigzag(v.length))
  v.copy(buf, at)
  return at + v.length
}

/** kafkajs's Record: this fast path, or `stockRecord` for the kinds it does not take. */
export function fastRecord<E extends PatchedEncoder>(
  stockRecord: (record: RecordArgs) => E,
  Encoder: { prototype: E },
): (record: RecordArgs) => E {
  return (record) => {
    const { offsetDelta = 0, timestampDelta = 0, key, value, headers = {} } = record
    if (!isInt32(offsetDelta) || !isInt32(timestampDelta) || !isBytes(key) || !isBytes(value)) {
      return stockRecord(record)
    }
    const names = Object.keys(headers)
    let headerSize = varintSize(zigzag(names.length))
    for (const name of names) {
      const v = headers[name]
      if (typeof v !== 'string' && !Buffer.isBuffer(v)) return stockRecord(record)
      const k = Buffer.byteLength(name)
      const n = typeof v === 'string' ? Buffer.byteLength(v) : v.length
      headerSize += varintSize(zigzag(k)) + k + varintSize(zigzag(n)) + n
    }
    const body =
      1 +
      varintSize(zigzag(timestampDelta)) +
      varintSize(zigzag(offsetDelta)) +
      bytesSize(key) +
      bytesSize(value) +
      headerSize
    const size = varintSize(zigzag(body)) + body
    // A large value is not copied: the record is the bytes before it, the value itself (taken by
    // reference, as the encoder patch takes large buffers), and its headers.
    const adopt = value != null && value.length >= ADOPT_BYTES
    const buf = Buffer.allocUnsafe(adopt ? size - value.length : size)
    let at = putVarint(buf, 0, zigzag(body))
    buf[at++] = 0 // attributes
    at = putVarint(buf, at, zigzag(timestampDelta))
    at = putVarint(buf, at, zigzag(offsetDelta))
    at = putBytes(buf, at, key)
    at = adopt ? putVarint(buf, at, zigzag(value.length)) : putBytes(buf, at, value)
    const split = at
    at = putVarint(buf, at, zigzag(names.length))
    for (const name of names) {
      const v = headers[name] as string | Buffer
      const k = Buffer.byteLength(name)
      at = putVarint(buf, at, zigzag(k))
      at += buf.write(name, at, k, 'utf8')
      if (typeof v === 'string') {
        const n = Buffer.byteLength(v)
        at = putVarint(buf, at, zigzag(n))
        at += buf.write(v, at, n, 'utf8')
      } else at = putBytes(buf, at, v)
    }
    const encoder = Object.create(Encoder.prototype) as E
    if (adopt) {
      encoder.parts = [buf.subarray(0, split), value]
      encoder.partsSize = split + value.length
      encoder.buf = buf.subarray(split)
      encoder.offset = at - split
    } else {
      encoder.buf = buf
      encoder.offset = size
    }
    return encoder
  }
}
