import { ByteWriter } from '../core/bytes.ts'
import type { EventStream } from '../core/stream.ts'
import type { Role } from '../types.ts'

/**
 * What a replay's topics should hold, without holding the messages: per topic, each message in
 * replay order with its event time, a hash of its key, and a 64-bit hash of its key and value
 * (wyhash), in an open-addressing table. A record read back matches a message when the 64-bit
 * hashes agree (a changed byte goes unnoticed with a chance of 2^-64 per record). About 40 bytes
 * per message: 90 MB for SURF's 2.3 M.
 */

/**
 * A record's key and value hashed together (64 bits, as two halves), and its key alone: 32 bits
 * (`key`, kept per message) and 53 bits (`wideKey`, for order per key; -1 for a record without a key).
 */
export interface RecordHash {
  hi: number
  lo: number
  key: number
  wideKey: number
}

export function hashRecord(key: Uint8Array | null, value: Uint8Array, out: RecordHash): RecordHash {
  const seed = key ? Bun.hash.wyhash(key) : 0n
  const h = BigInt(Bun.hash.wyhash(value, seed))
  out.hi = Number(h >> 32n)
  out.lo = Number(h & 0xffffffffn)
  out.key = Number(BigInt(seed) & 0xffffffffn)
  out.wideKey = key ? Number(BigInt.asUintN(53, BigInt(seed))) : -1
  return out
}

/** One topic's messages in replay order. */
export class ExpectedTopic {
  readonly topic: string
  count = 0
  time = new Float64Array(1024)
  keyHash = new Uint32Array(1024)
  private hi = new Uint32Array(1024)
  private lo = new Uint32Array(1024)
  /** Per message: matched by a record already. */
  seen = new Uint8Array(0)
  /** Open addressing on `lo`: message index + 1, 0 for an empty slot. */
  private table = new Int32Array(0)

  constructor(topic: string) {
    this.topic = topic
  }

  add(time: number, hash: RecordHash): void {
    if (this.count === this.time.length) {
      this.time = grow(this.time, new Float64Array(this.count * 2))
      this.keyHash = grow(this.keyHash, new Uint32Array(this.count * 2))
      this.hi = grow(this.hi, new Uint32Array(this.count * 2))
      this.lo = grow(this.lo, new Uint32Array(this.count * 2))
    }
    const i = this.count++
    this.time[i] = time
    this.keyHash[i] = hash.key
    this.hi[i] = hash.hi
    this.lo[i] = hash.lo
  }

  /** Ends adding: the table is built and nothing is seen yet. */
  seal(): void {
    let size = 16
    while (size < this.count * 2) size *= 2
    this.table = new Int32Array(size)
    const mask = size - 1
    for (let i = 0; i < this.count; i++) {
      let slot = this.lo[i]! & mask
      while (this.table[slot] !== 0) slot = (slot + 1) & mask
      this.table[slot] = i + 1
    }
    this.seen = new Uint8Array(this.count)
  }

  /**
   * The first message not yet seen whose hashes a record's match, marked seen: its index (>= 0).
   * -1 when no message matches; -2 - i when every match was seen already (a duplicate of i).
   */
  match(hash: RecordHash): number {
    const mask = this.table.length - 1
    let duplicateOf = -1
    for (let slot = hash.lo & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot]!
      if (entry === 0) break
      const i = entry - 1
      if (this.lo[i] !== hash.lo || this.hi[i] !== hash.hi) continue
      if (this.seen[i] === 0) {
        this.seen[i] = 1
        return i
      }
      if (duplicateOf < 0) duplicateOf = i
    }
    return duplicateOf < 0 ? -1 : -2 - duplicateOf
  }
}

function grow<T extends Float64Array | Uint32Array>(from: T, to: T): T {
  to.set(from)
  return to
}

/**
 * Walks a replay's messages (its streams merged in time order, as core/stream.ts builds them)
 * into one ExpectedTopic per topic.
 */
export function expectedTopics(stream: EventStream, topics: Partial<Record<Role, string>>): Map<string, ExpectedTopic> {
  const out = new Map<string, ExpectedTopic>()
  for (const topic of Object.values(topics)) out.set(topic!, new ExpectedTopic(topic!))
  const w = new ByteWriter(1 << 16)
  const hash: RecordHash = { hi: 0, lo: 0, key: 0, wideKey: 0 }
  for (; stream.time !== Infinity; stream.advance()) {
    w.pos = 0
    stream.writeValue(w)
    hashRecord(stream.keyBytes(), w.buf.subarray(0, w.pos), hash)
    out.get(topics[stream.role]!)!.add(stream.time, hash)
  }
  for (const expected of out.values()) expected.seal()
  return out
}

/** The key and value of chosen messages (per topic, by index), as text: for the report's samples. */
export function describeMessages(
  stream: EventStream,
  topics: Partial<Record<Role, string>>,
  wanted: Map<string, Set<number>>,
): Map<string, Map<number, { key: string | null; value: string }>> {
  const out = new Map<string, Map<number, { key: string | null; value: string }>>()
  const index = new Map<string, number>()
  const w = new ByteWriter(1 << 16)
  for (; stream.time !== Infinity; stream.advance()) {
    const topic = topics[stream.role]!
    const i = index.get(topic) ?? 0
    index.set(topic, i + 1)
    if (!wanted.get(topic)?.has(i)) continue
    w.pos = 0
    stream.writeValue(w)
    const key = stream.keyBytes()
    const found = out.get(topic) ?? new Map()
    out.set(topic, found)
    found.set(i, {
      key: key ? key.toString('utf8') : null,
      value: Buffer.from(w.buf.subarray(0, w.pos)).toString('utf8'),
    })
  }
  return out
}
