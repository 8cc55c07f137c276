import { formatDouble, formatTime } from './text.ts'

const MS_PER_DAY = 86_400_000

/**
 * A growable byte buffer that encodes the wire format without building intermediate strings:
 * the same text as formatTime and formatDouble (tests compare it with an oracle), about 5x faster, which lets a
 * whole trace go out at --speed max in about a second. Everything written is ASCII except ids,
 * which arrive pre-encoded as bytes.
 */
export class ByteWriter {
  buf: Uint8Array<ArrayBuffer>
  pos = 0
  private day = Number.NaN
  private datePrefix: Uint8Array = new Uint8Array(0)
  private lastTime = Number.NaN
  private readonly lastTimeBytes = new Uint8Array(32)
  private lastTimeLength = 0

  constructor(capacity = 1 << 20) {
    this.buf = new Uint8Array(capacity)
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n))
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }

  bytes(b: Uint8Array): void {
    const n = b.length
    this.reserve(n)
    // A loop beats TypedArray.set for the short pieces this writes (keys, field names).
    if (n > 64) {
      this.buf.set(b, this.pos)
      this.pos += n
      return
    }
    const buf = this.buf
    let p = this.pos
    for (let i = 0; i < n; i++) buf[p++] = b[i]!
    this.pos = p
  }

  /**
   * Writes the last `length` bytes `times` more times: a run of equal pieces (a task's fragments
   * nested in one message, all alike) in log2(times) copies, each doubling what is there.
   */
  repeat(length: number, times: number): void {
    if (length <= 0 || times <= 0) return
    this.reserve(length * times)
    const start = this.pos - length
    for (let have = 1, left = times; left > 0; ) {
      const n = Math.min(have, left)
      this.buf.copyWithin(this.pos, start, start + n * length)
      this.pos += n * length
      have += n
      left -= n
    }
  }

  ascii(s: string): void {
    this.reserve(s.length)
    const buf = this.buf
    let p = this.pos
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i)
    this.pos = p
  }

  /** An integer-valued number as JSON: digits written directly when it is a safe integer. */
  integer(n: number): void {
    if (!plainInteger(n)) {
      this.ascii(String(n))
      return
    }
    this.reserve(16)
    const buf = this.buf
    if (n <= 0x7fffffff) {
      // 32-bit integer arithmetic, two digits per step: most values (durations, CPUs, MHz) fit.
      let x = n | 0
      let p = this.pos + digits32(x)
      this.pos = p
      while (x >= 100) {
        const q = (x / 100) | 0
        const r = (x - q * 100) << 1
        buf[--p] = PAIRS[r + 1]!
        buf[--p] = PAIRS[r]!
        x = q
      }
      if (x >= 10) {
        buf[--p] = PAIRS[(x << 1) + 1]!
        buf[--p] = PAIRS[x << 1]!
      } else buf[--p] = 48 + x
      return
    }
    let digits = 1
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++
    let p = this.pos + digits
    this.pos = p
    let x = n
    do {
      const q = Math.floor(x / 10)
      buf[--p] = 48 + (x - q * 10)
      x = q
    } while (x > 0)
  }

  double(x: number): void {
    if (Number.isInteger(x) && x >= 0 && x <= Number.MAX_SAFE_INTEGER) {
      this.integer(x)
      this.reserve(2)
      this.buf[this.pos++] = 46 // .
      this.buf[this.pos++] = 48 // 0
    } else {
      this.ascii(formatDouble(x))
    }
  }

  /** Two digits 00-99. */
  private two(n: number): void {
    const q = (n / 10) | 0
    this.buf[this.pos++] = 48 + q
    this.buf[this.pos++] = 48 + n - q * 10
  }

  /**
   * A time as formatTime writes it. The date part is cached per day and the clock part
   * written as digits, because consecutive messages share the day but rarely the second.
   */
  time(ms: number): void {
    // Consecutive messages often share the instant (a 30 s trace has a hundred lines per instant).
    if (ms === this.lastTime) {
      this.reserve(25)
      const buf = this.buf
      const last = this.lastTimeBytes
      const n = this.lastTimeLength
      let p = this.pos
      for (let i = 0; i < n; i++) buf[p++] = last[i]!
      this.pos = p
      return
    }
    const day = Math.floor(ms / MS_PER_DAY)
    if (day !== this.day) {
      const date = formatTime(day * MS_PER_DAY)
      // Years outside 0000-9999 have a longer, signed form: never cached.
      if (date.length !== 20) {
        this.ascii(formatTime(ms))
        return
      }
      this.day = day
      this.datePrefix = asciiBytes(date.slice(0, 11))
    }
    this.reserve(25)
    const start = this.pos
    this.bytes(this.datePrefix)
    let rest = ms - day * MS_PER_DAY
    const millis = rest % 1000
    rest = (rest - millis) / 1000
    const sec = rest % 60
    rest = (rest - sec) / 60
    const min = rest % 60
    const buf = this.buf
    this.two((rest - min) / 60)
    buf[this.pos++] = 58 // :
    this.two(min)
    buf[this.pos++] = 58
    this.two(sec)
    if (millis !== 0) {
      buf[this.pos++] = 46 // .
      const h = (millis / 100) | 0
      buf[this.pos++] = 48 + h
      this.two(millis - h * 100)
    }
    buf[this.pos++] = 90 // Z
    this.lastTime = ms
    this.lastTimeLength = this.pos - start
    for (let i = 0; i < this.lastTimeLength; i++) this.lastTimeBytes[i] = buf[start + i]!
  }
}

/** "00" to "99" as ASCII digit pairs, indexed by 2 x n. */
const PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i & 1 ? (i >> 1) % 10 : ((i >> 1) / 10) | 0))

/** Decimal digits of a non-negative 32-bit integer. */
function digits32(x: number): number {
  if (x < 100000) return x < 100 ? (x < 10 ? 1 : 2) : x < 1000 ? 3 : x < 10000 ? 4 : 5
  return x < 10000000 ? (x < 1000000 ? 6 : 7) : x < 100000000 ? 8 : x < 1000000000 ? 9 : 10
}

/** UTF-8 bytes of a string, as a Buffer (kafkajs takes it as a key without copying). */
/** An integer ByteWriter.integer writes as its digits; any other number it writes as String(n). */
export const plainInteger = (n: number): boolean => n >= 0 && n <= Number.MAX_SAFE_INTEGER && Number.isInteger(n)

export const asciiBytes = (s: string): Buffer => Buffer.from(s, 'utf8')
