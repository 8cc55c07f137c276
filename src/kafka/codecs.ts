import { CompressionCodecs, CompressionTypes } from 'kafkajs'
import snappy from 'snappyjs'

/**
 * Kafka's record-batch codecs, for kafkajs's producer and consumer alike (gzip is kafkajs's own).
 * None is a native add-on, so each survives `bun build --compile` into every release target:
 * - zstd: Bun's own (Bun.zstdCompressSync, Bun.zstdDecompressSync), frames of any size;
 * - lz4: the LZ4 frame format Kafka writes (independent 64 KiB blocks, no checksums; on reading,
 *   content size and checksums are skipped: the batch's CRC32C covers the bytes), its blocks
 *   coded here (the pure-JavaScript lz4js wrote blocks that break the format's end rules, which
 *   Kafka's LZ4 refuses: "Error decoding offset");
 * - snappy: snappyjs, raw; on reading, also the xerial framing Kafka's Java producer writes
 *   (`\x82SNAPPY\0`, then length-prefixed blocks).
 */

interface Codec {
  compress(data: Uint8Array): Uint8Array
  decompress(data: Uint8Array): Uint8Array
}

// --- LZ4 frames -----------------------------------------------------------------------------

const LZ4_MAGIC = 0x184d2204
const BLOCK = 64 * 1024
/** FLG: version 01, independent blocks; BD: 64 KiB blocks. */
const FLG = 0x60
const BD = 0x40

/** xxHash32 of `data` (seed 0): the frame descriptor's header checksum. */
export function xxh32(data: Uint8Array): number {
  const P1 = 2654435761
  const P2 = 2246822519
  const P3 = 3266489917
  const P4 = 668265263
  const P5 = 374761393
  const read = (i: number) => (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0
  const round = (acc: number, lane: number) => Math.imul(rotl((acc + Math.imul(lane, P2)) >>> 0, 13), P1) >>> 0
  let i = 0
  let h: number
  if (data.length >= 16) {
    let v1 = (P1 + P2) >>> 0
    let v2 = P2
    let v3 = 0
    let v4 = (0 - P1) >>> 0
    for (; i + 16 <= data.length; i += 16) {
      v1 = round(v1, read(i))
      v2 = round(v2, read(i + 4))
      v3 = round(v3, read(i + 8))
      v4 = round(v4, read(i + 12))
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0
  } else {
    h = P5
  }
  h = (h + data.length) >>> 0
  for (; i + 4 <= data.length; i += 4) h = Math.imul(rotl((h + Math.imul(read(i), P3)) >>> 0, 17), P4) >>> 0
  for (; i < data.length; i++) h = Math.imul(rotl((h + Math.imul(data[i]!, P5)) >>> 0, 11), P1) >>> 0
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}

const MIN_MATCH = 4
/** The block format's end rules: the last 5 bytes are literals, the last match starts 12 or more before the end. */
const LAST_LITERALS = 5
const MF_LIMIT = 12
const HASH_LOG = 14

/** Four bytes as a signed 32-bit integer (compared and hashed, never read as a length). */
const read32 = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)

/** src[from, to) into dst at `at`; returns the end. Short runs by hand: a subarray each cost more. */
function copyBytes(src: Uint8Array, from: number, to: number, dst: Uint8Array, at: number): number {
  if (to - from > 32) {
    dst.set(src.subarray(from, to), at)
    return at + to - from
  }
  for (let k = from; k < to; k++) dst[at++] = src[k]!
  return at
}

/** A length past 15 in LZ4's way: 255s, then the rest. */
function writeLength(dst: Uint8Array, at: number, n: number): number {
  for (; n >= 255; n -= 255) dst[at++] = 255
  dst[at++] = n
  return at
}

/**
 * One LZ4 block (greedy, 4-byte hash): src[start, end) into dst from 0; returns its size. dst has
 * room for the worst case (blockBound). `table` is scratch, one entry per hash.
 */
export function lz4CompressBlock(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  table: Int32Array,
): number {
  table.fill(-1)
  let d = 0
  let anchor = start
  let i = start
  const lastMatchStart = end - MF_LIMIT
  const matchEnd = end - LAST_LITERALS
  while (i <= lastMatchStart) {
    const sequence = read32(src, i)
    const h = Math.imul(sequence, 2654435761) >>> (32 - HASH_LOG)
    const m = table[h]!
    table[h] = i
    if (m < 0 || i - m > 65535 || read32(src, m) !== sequence) {
      i += 1 + ((i - anchor) >> 6) // skip faster through bytes that do not compress
      continue
    }
    // The match's length: four bytes at a time while they agree, then byte by byte (dc-mock's
    // repeated fragments make matches long: 1.3-1.5x the rate of a byte loop, the same bytes).
    let length = MIN_MATCH
    while (i + length + 4 <= matchEnd && read32(src, m + length) === read32(src, i + length)) length += 4
    while (i + length < matchEnd && src[m + length] === src[i + length]) length++
    const literals = i - anchor
    const matchExtra = length - MIN_MATCH
    dst[d++] = (Math.min(literals, 15) << 4) | Math.min(matchExtra, 15)
    if (literals >= 15) d = writeLength(dst, d, literals - 15)
    d = copyBytes(src, anchor, i, dst, d)
    dst[d++] = (i - m) & 0xff
    dst[d++] = (i - m) >> 8
    if (matchExtra >= 15) d = writeLength(dst, d, matchExtra - 15)
    i += length
    anchor = i
  }
  const literals = end - anchor
  dst[d++] = Math.min(literals, 15) << 4
  if (literals >= 15) d = writeLength(dst, d, literals - 15)
  dst.set(src.subarray(anchor, end), d)
  return d + literals
}

/**
 * Decodes one LZ4 block, src[start, end), into dst from `from`; returns where its output ends.
 * Matches may reach back into earlier output (a frame of linked blocks). Malformed input is an
 * error, never a read or write out of bounds.
 */
export function lz4DecompressBlock(src: Uint8Array, start: number, end: number, dst: Uint8Array, from = 0): number {
  let i = start
  let d = from
  const bad = (what: string) => new Error(`lz4: corrupt block (${what})`)
  /** A length of 15 or more: 255s, then the rest, added on. */
  const extra = (n: number) => {
    let b: number
    do {
      if (i >= end) throw bad('a length past the end')
      b = src[i++]!
      n += b
    } while (b === 255)
    return n
  }
  while (i < end) {
    const token = src[i++]!
    let literals = token >> 4
    if (literals === 15) literals = extra(15)
    if (i + literals > end || d + literals > dst.length) throw bad('literals past the end')
    dst.set(src.subarray(i, i + literals), d)
    i += literals
    d += literals
    if (i === end) break // the last sequence has literals only
    if (i + 2 > end) throw bad('offset past the end')
    const offset = src[i]! | (src[i + 1]! << 8)
    i += 2
    if (offset === 0 || offset > d) throw bad(`offset ${offset} before the start`)
    let match = token & 15
    if (match === 15) match = extra(15)
    match += MIN_MATCH
    if (d + match > dst.length) throw bad('match past the end')
    for (let k = 0; k < match; k++) dst[d + k] = dst[d - offset + k]!
    d += match
  }
  return d
}

export const LZ4: Codec = {
  compress(data) {
    // Not zeroed: only the bytes written are returned.
    const out = Buffer.allocUnsafe(7 + data.length + Math.ceil(data.length / BLOCK) * (4 + 16) + 4 + 64)
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
    view.setUint32(0, LZ4_MAGIC, true)
    out[4] = FLG
    out[5] = BD
    out[6] = (xxh32(out.subarray(4, 6)) >>> 8) & 0xff
    let at = 7
    const scratch = new Uint8Array(BLOCK + (BLOCK >> 8) + 64)
    const table = new Int32Array(1 << HASH_LOG)
    for (let start = 0; start < data.length; start += BLOCK) {
      const size = Math.min(BLOCK, data.length - start)
      const packed = lz4CompressBlock(data, start, start + size, scratch, table)
      if (packed < size) {
        view.setUint32(at, packed, true)
        out.set(scratch.subarray(0, packed), at + 4)
        at += 4 + packed
      } else {
        view.setUint32(at, (size | 0x80000000) >>> 0, true) // stored as it is
        out.set(data.subarray(start, start + size), at + 4)
        at += 4 + size
      }
    }
    view.setUint32(at, 0, true) // end mark
    return out.subarray(0, at + 4)
  },
  decompress(data) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    if (data.length < 7 || view.getUint32(0, true) !== LZ4_MAGIC) throw new Error('lz4: not an LZ4 frame')
    const flg = data[4]!
    if (flg >> 6 !== 1) throw new Error(`lz4: frame version ${flg >> 6}, expected 1`)
    const blockChecksum = (flg & 0x10) !== 0
    const contentSize = (flg & 0x08) !== 0
    const maxBlock = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20][(data[5]! >> 4) & 7]!
    if (maxBlock === 0) throw new Error('lz4: invalid block size in the frame descriptor')
    let at = 6 + (contentSize ? 8 : 0) + 1
    // One output for all blocks: a block of a linked frame may refer back into the ones before.
    let out = new Uint8Array(Math.max(maxBlock, data.length * 4))
    let total = 0
    for (;;) {
      if (at + 4 > data.length) throw new Error('lz4: the frame ends before its end mark')
      const word = view.getUint32(at, true)
      at += 4
      if (word === 0) break
      const size = word & 0x7fffffff
      if (size > maxBlock || at + size > data.length) throw new Error('lz4: a block runs past the frame')
      if (out.length < total + maxBlock) {
        const grown = new Uint8Array(Math.max(out.length * 2, total + maxBlock))
        grown.set(out.subarray(0, total))
        out = grown
      }
      if (word & 0x80000000) {
        out.set(data.subarray(at, at + size), total)
        total += size
      } else {
        const end = lz4DecompressBlock(data, at, at + size, out.subarray(0, total + maxBlock), total)
        total = end
      }
      at += size + (blockChecksum ? 4 : 0)
    }
    return out.slice(0, total) // a content checksum, if flagged, follows: the batch's CRC32C covers it
  },
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

// --- Snappy ---------------------------------------------------------------------------------

const XERIAL = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]

export const SNAPPY: Codec = {
  compress: (data) => snappy.compress(data),
  decompress(data) {
    if (!XERIAL.every((b, i) => data[i] === b)) return snappy.uncompress(data)
    // Xerial framing: magic (8), version (4), compatible version (4), then [length (4, BE), block]...
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    const parts: Uint8Array[] = []
    let total = 0
    for (let at = 16; at < data.length; ) {
      const size = view.getUint32(at)
      const part = snappy.uncompress(data.subarray(at + 4, at + 4 + size))
      parts.push(part)
      total += part.length
      at += 4 + size
    }
    return concat(parts, total)
  },
}

// --- zstd -----------------------------------------------------------------------------------

export const ZSTD: Codec = {
  compress: (data) => Bun.zstdCompressSync(data),
  decompress: (data) => Bun.zstdDecompressSync(data),
}

/** The same bytes as a Buffer, not copied (Buffer.from of a Uint8Array copies it). */
const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/** kafkajs's codec shape: compress takes its Encoder (bytes in `.buffer`), decompress bytes. */
const forKafkajs = (codec: Codec) => () => ({
  compress: async (encoder: { buffer: Buffer }) => asBuffer(codec.compress(encoder.buffer)),
  decompress: async (buffer: Buffer) => asBuffer(codec.decompress(buffer)),
})

let registered = false

/** Registers snappy, lz4 and zstd with kafkajs (once): for sending, and for reading any topic. */
export function registerCodecs(): void {
  if (registered) return
  registered = true
  CompressionCodecs[CompressionTypes.Snappy] = forKafkajs(SNAPPY)
  CompressionCodecs[CompressionTypes.LZ4] = forKafkajs(LZ4)
  CompressionCodecs[CompressionTypes.ZSTD] = forKafkajs(ZSTD)
}
