/**
 * kafkajs's Encoder (src/protocol/encoder.js), which every layer of a produce request is written
 * through, with large buffers taken in by reference and records copied in after one check.
 *
 * Stock, each layer (record, batch, partition, topic, request, size prefix) copies the layer
 * inside it into a new zeroed buffer: a 1 MB dc-mock send was copied 9 times, 40 % of the CPU of
 * a dc-mock send loop (profile of 2,729 samples, 813 ms of 3.7 s in memcpy and zero-filled
 * allocations; BENCHMARKS.md, 2026-12-06 later). And a record batch copied its records in through
 * a slice and a bounds check each, 0.4 us a record. Here a buffer of ADOPT_BYTES or more, or an
 * encoder holding such parts, joins the parts by reference and is copied once, when the bytes are
 * read (`buffer`); records are copied side by side after one check and one allocation. The same
 * bytes: test/unit/patches.test.ts compares produce requests of 80 B to 1 MB values with the stock
 * module's.
 *
 * Upstream: tulios/kafkajs issue 383 ("Large batches take exponentially longer to encode"; its
 * PR 394, in 2.2.4, joins an array of records in one copy, which this keeps); nothing found for the
 * copies per layer.
 */

/** Buffers from this size on are taken in by reference, not copied (the record patch too). */
export const ADOPT_BYTES = 16384

/**
 * The members that replace or join kafkajs 2.2.4's Encoder's. It is not instantiated: its
 * methods are put on the stock class's prototype (`patchEncoder`).
 */
export abstract class PatchedEncoder {
  /** The bytes written since the last part: buf[0, offset). */
  declare buf: Buffer
  declare offset: number
  /** Buffers held by reference, in order, with the bytes written before each; absent or null: none. */
  declare parts?: Buffer[] | null
  /** Their total length. */
  declare partsSize?: number
  /** Stock: grows `buf` to hold `length` more bytes. */
  abstract ensureAvailable(length: number): void

  writeBufferInternal(buffer: Buffer): void {
    const bufferLength = buffer.length
    if (bufferLength >= ADOPT_BYTES) {
      this.adopt(buffer)
      return
    }
    this.ensureAvailable(bufferLength)
    buffer.copy(this.buf, this.offset, 0)
    this.offset += bufferLength
  }

  /** A large buffer joins the parts by reference; the bytes written before it become a part too. */
  adopt(buffer: Buffer): void {
    if (!this.parts) {
      this.parts = []
      this.partsSize = 0
    }
    if (this.offset > 0) {
      this.parts.push(this.buf.subarray(0, this.offset))
      this.partsSize! += this.offset
      this.buf = this.buf.subarray(this.offset)
      this.offset = 0
    }
    this.parts.push(buffer)
    this.partsSize! += buffer.length
  }

  /** Another encoder's bytes: its large parts by reference, the rest copied. */
  writeEncoderParts(value: PatchedEncoder): void {
    if (value.parts) for (const part of value.parts) this.writeBufferInternal(part)
    this.writeBufferInternal(value.buf.subarray(0, value.offset))
  }

  /** The bytes as buffers in order, not joined (a record batch's CRC32C reads them so). */
  chunks(): Buffer[] {
    const tail = this.buf.subarray(0, this.offset)
    return this.parts ? [...this.parts, tail] : [tail]
  }

  get buffer(): Buffer {
    if (this.parts) {
      this.parts.push(this.buf.subarray(0, this.offset))
      this.buf = Buffer.concat(this.parts, this.partsSize! + this.offset)
      this.offset = this.buf.length
      this.parts = null
      this.partsSize = 0
    }
    return this.buf.slice(0, this.offset)
  }

  writeEncoder(value: PatchedEncoder): this {
    if (value == null || !Buffer.isBuffer(value.buf)) {
      throw new Error('value should be an instance of Encoder')
    }
    this.writeEncoderParts(value)
    return this
  }

  writeEncoderArray(value: PatchedEncoder[]): this {
    if (!Array.isArray(value) || value.some((v) => v == null || !Buffer.isBuffer(v.buf))) {
      throw new Error('all values should be an instance of Encoder[]')
    }
    // Records are copied side by side (their batch's CRC32C reads them as one buffer); an encoder
    // holding parts by reference keeps them so.
    let total = 0
    let parts = false
    for (const v of value) {
      total += v.offset
      if (v.parts) parts = true
    }
    if (parts) {
      for (const v of value) this.writeEncoderParts(v)
      return this
    }
    this.ensureAvailable(total)
    for (const v of value) {
      v.buf.copy(this.buf, this.offset, 0, v.offset)
      this.offset += v.offset
    }
    return this
  }

  size(): number {
    return (this.partsSize || 0) + this.offset
  }
}

/** kafkajs's Encoder class, with PatchedEncoder's members in place of its own. */
export function patchEncoder<T extends { prototype: object }>(Encoder: T): T {
  for (const name of Object.getOwnPropertyNames(PatchedEncoder.prototype)) {
    if (name === 'constructor') continue
    Object.defineProperty(Encoder.prototype, name, Object.getOwnPropertyDescriptor(PatchedEncoder.prototype, name)!)
  }
  return Encoder
}
