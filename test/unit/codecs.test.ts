import { describe, expect, it } from 'bun:test'
import { LZ4, SNAPPY, xxh32, ZSTD } from '../../src/kafka/codecs.ts'

/**
 * The record-batch codecs (kafka/codecs.ts) on their own: round trips of what a replay sends, and
 * the framings other producers write. That Kafka's own clients read what these write, and these
 * read what Kafka writes, is tested against a real broker (test/kafka/compression.test.ts).
 */
const text = (n: number) =>
  new TextEncoder().encode(
    Array.from(
      { length: n },
      (_, i) =>
        `{"id":"${2133099 + (i % 97)}","submission_time":"2022-10-06T22:00:${String(i % 60).padStart(2, '0')}Z"}`,
    ).join('\n'),
  )
const random = (n: number) => {
  let x = 12345
  return Uint8Array.from({ length: n }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    return x >>> 24
  })
}

describe('codecs', () => {
  it.each([
    ['LZ4', LZ4],
    ['snappy', SNAPPY],
    ['zstd', ZSTD],
  ] as const)('%s: round trips of nothing, a byte, JSON lines past one 64 KiB block, and random bytes', (_, codec) => {
    for (const data of [new Uint8Array(0), new Uint8Array([7]), text(20_000), random(200_000)]) {
      const packed = codec.compress(data)
      expect(Buffer.from(codec.decompress(packed)).equals(Buffer.from(data))).toBe(true)
    }
    expect(codec.compress(text(20_000)).length).toBeLessThan(text(20_000).length / 3)
  })

  it('LZ4: the same frames as the byte-at-a-time matcher wrote (md5 and size of JSON lines and of dc-mock fragments)', () => {
    const fragments = new TextEncoder().encode(
      Array.from(
        { length: 3000 },
        (_, i) =>
          `{"task_id":7,"duration":30000,"cpu_count":${i % 3 === 0 ? 2 : 1},"cpu_usage":${i % 5 === 0 ? '5.5' : '33600.0'}}`,
      ).join(','),
    )
    const md5 = (bytes: Uint8Array) => [new Bun.CryptoHasher('md5').update(bytes).digest('hex'), bytes.length]
    expect([md5(LZ4.compress(text(20_000))), md5(LZ4.compress(fragments))]).toEqual([
      ['1a171832e90114086bdf5f48f5a71ee0', 144_318],
      ['ae5ae6ac7294e9484c8784929fee3f1f', 7950],
    ])
  })

  it('xxHash32 known answers', () => {
    expect(xxh32(new Uint8Array(0))).toBe(0x02cc5d05)
    expect(xxh32(new TextEncoder().encode('a'))).toBe(0x550d7456)
    expect(xxh32(new TextEncoder().encode('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f)
  })

  it('LZ4: a frame as Kafka writes it (independent 64 KiB blocks), and one with a content size and checksums', () => {
    const data = text(5_000)
    const frame = LZ4.compress(data)
    expect([...frame.subarray(0, 6)]).toEqual([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40])
    expect(frame[6]).toBe((xxh32(frame.subarray(4, 6)) >>> 8) & 0xff)
    // The same blocks with content size (8 bytes), block checksums and a content checksum flagged.
    const blocks: number[] = []
    const view = new DataView(frame.buffer, frame.byteOffset)
    for (let at = 7; ; ) {
      const word = view.getUint32(at, true)
      blocks.push(...frame.subarray(at, at + 4))
      at += 4
      if (word === 0) break
      const size = word & 0x7fffffff
      blocks.push(...frame.subarray(at, at + size), 0, 0, 0, 0) // a block checksum (not checked)
      at += size
    }
    const flagged = Uint8Array.from([
      0x04,
      0x22,
      0x4d,
      0x18,
      0x60 | 0x10 | 0x08 | 0x04,
      0x40,
      ...new Uint8Array(8),
      0,
      ...blocks,
      1,
      2,
      3,
      4,
    ])
    expect(Buffer.from(LZ4.decompress(flagged)).equals(Buffer.from(data))).toBe(true)
  })

  it('LZ4: a frame that is not one, or ends early, is an error', () => {
    expect(() => LZ4.decompress(new Uint8Array([1, 2, 3, 4, 5, 6, 7]))).toThrow('lz4: not an LZ4 frame')
    const frame = LZ4.compress(text(100))
    expect(() => LZ4.decompress(frame.subarray(0, frame.length - 4))).toThrow('lz4: the frame ends before its end mark')
  })

  it("snappy: the xerial framing Kafka's Java producer writes", () => {
    const data = text(3_000)
    const half = data.length >> 1
    const parts = [SNAPPY.compress(data.subarray(0, half)), SNAPPY.compress(data.subarray(half))]
    const header = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]
    const framed = Uint8Array.from([
      ...header,
      ...parts.flatMap((p) => [
        (p.length >>> 24) & 255,
        (p.length >>> 16) & 255,
        (p.length >>> 8) & 255,
        p.length & 255,
        ...p,
      ]),
    ])
    expect(Buffer.from(SNAPPY.decompress(framed)).equals(Buffer.from(data))).toBe(true)
  })
})
