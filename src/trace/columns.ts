import { badInput } from '../errors.ts'
import type { ResolvedColumn } from './schema.ts'

/** Where a chunk of column values came from, for error messages. */
export interface ColumnContext {
  path: string
  column: ResolvedColumn
  /** INT64 values beyond 2^53 met while decoding this column; each decodes to beyondSentinel(its index). */
  beyond?: bigint[]
}

/** The range of a JavaScript date: ±8.64e15 ms around 1970 (years -271821 to 275760). */
export const MAX_TIME_MS = 8.64e15

/** The largest value of a 32-bit signed field (Kafka's partition count, OpenDC's CPU count). */
export const INT32_MAX = 2_147_483_647
const MAX_TIME_TEXT = '±8640000000000000 ms around 1970'

/**
 * An INT64 value that a double cannot hold exactly decodes to a sentinel: an exact double far
 * above anything the checks let through, which names the original value by its index.
 */
const BEYOND_BASE = 2 ** 60
const BEYOND_STEP = 256
export const beyondSentinel = (index: number) => BEYOND_BASE + index * BEYOND_STEP

/** An INT64 value as a number when a double holds it exactly; else it is recorded in `beyond`. */
export function exactNumber(v: bigint, beyond: bigint[]): number {
  if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)) return Number(v)
  return beyondSentinel(beyond.push(v) - 1)
}

/** The value as the file spells it: the recorded INT64 behind a sentinel, or the number. */
function valueText(ctx: ColumnContext, v: number): string {
  const index = (v - BEYOND_BASE) / BEYOND_STEP
  const original = Number.isInteger(index) ? ctx.beyond?.[index] : undefined
  return original === undefined ? String(v) : String(original)
}

/**
 * A row without a value: a null in the file, or (undefined) one the decoder could not find, such
 * as a dictionary index beyond the dictionary, which only a corrupt page holds.
 */
function missing(ctx: ColumnContext, v: null | undefined, row: number): Error {
  if (v === null) return badInput(`${where(ctx, row)}: null`)
  return badInput(`${where(ctx, row)}: no value decoded (an index beyond the page's dictionary: a corrupt page?)`)
}

const where = (ctx: ColumnContext, row: number) => `${ctx.path}: column "${ctx.column.name}" row ${row}`

/**
 * Copies one chunk of a numeric column (rows rowStart..) into `out` from `at` on, checking every
 * value: no null, no NaN or infinity, whole numbers for integer columns, no negatives where the
 * spec forbids them. INT64 values arrive as bigint and are converted to doubles here. `from` and
 * `count` pick a part of the chunk (by default all of it).
 */
export function fillNumbers(
  ctx: ColumnContext,
  chunk: ArrayLike<unknown>,
  rowStart: number,
  out: Float64Array,
  at = rowStart,
  from = 0,
  count = chunk.length - from,
): void {
  if (chunk instanceof Float64Array || chunk instanceof Float32Array || chunk instanceof Int32Array) {
    out.set(chunk.subarray(from, from + count), at)
  } else {
    for (let i = 0; i < count; i++) {
      const v = chunk[from + i]
      if (typeof v === 'number') out[at + i] = v
      else if (typeof v === 'bigint') out[at + i] = Number(v)
      else if (v === null || v === undefined) throw missing(ctx, v, rowStart + from + i)
      else throw badInput(`${where(ctx, rowStart + from + i)}: value ${String(v)} is not a number`)
    }
  }
  checkNumbers(ctx, out, at, at + count, rowStart + from - at)
}

/**
 * Checks out[from..to); `rowShift` turns an index of `out` into the file's row number. Integer
 * columns must stay within 2^53 (a double holds them exactly, and they print as integers), times
 * within the range of a date.
 */
function checkNumbers(ctx: ColumnContext, out: Float64Array, from: number, to: number, rowShift: number): void {
  const kind = ctx.column.kind
  const wantInteger = kind === 'int' && ctx.column.reading.as === 'float'
  const nonNegative = ctx.column.nonNegative === true
  const limit = kind === 'time' ? MAX_TIME_MS : kind === 'int' ? Number.MAX_SAFE_INTEGER : Number.POSITIVE_INFINITY
  for (let r = from; r < to; r++) {
    const v = out[r]!
    // A few comparisons on the hot path; the slow path says what is wrong.
    if (v - v === 0 && v <= limit && v >= -limit && !(nonNegative && v < 0) && !(wantInteger && !Number.isInteger(v))) {
      continue
    }
    const row = r + rowShift
    if (Number.isNaN(v)) throw badInput(`${where(ctx, row)}: NaN`)
    if (!Number.isFinite(v)) throw badInput(`${where(ctx, row)}: value ${v} is not finite`)
    if (v > limit || v < -limit) {
      const text = valueText(ctx, v)
      if (kind === 'time')
        throw badInput(`${where(ctx, row)}: time ${text} ms is outside the range of dates (${MAX_TIME_TEXT})`)
      throw badInput(
        `${where(ctx, row)}: value ${text} is beyond 2^53 - 1 (9007199254740991), the largest exact integer`,
      )
    }
    if (nonNegative && v < 0) throw badInput(`${where(ctx, row)}: negative value ${v}`)
    throw badInput(`${where(ctx, row)}: value ${v} is not a whole number`)
  }
}

/** A time a fragment reaches (its task's submission plus durations) that no date can hold. */
export function fragmentTimeOutOfRange(path: string, row: number, time: number): Error {
  return badInput(
    `${path}: column "duration" row ${row}: the fragment's time (its task's submission plus the durations ` +
      `up to it) is ${time} ms, outside the range of dates (${MAX_TIME_TEXT})`,
  )
}

/** The JSON text an id is carried as: a string stays a JSON string, an integer becomes a JSON number. */
export function formatId(id: string | number | bigint): string {
  return typeof id === 'string' ? JSON.stringify(id) : String(id)
}

/** An id as a map key: text stays text; integers become bigints (exact at any size). */
export type IdKey = string | bigint

const TWO_64 = 2n ** 64n
// ignoreBOM keeps a leading U+FEFF: ids come out as the file spells them ("\ufeff1" is not "1").
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Checks one id and returns its key. Text arrives as bytes and must be valid UTF-8 (two invalid
 * ids would otherwise both read as U+FFFD and collide); an unsigned INT64 id is read unsigned.
 */
export function idKey(ctx: ColumnContext, v: unknown, row: number): IdKey {
  if (typeof v === 'string') return v
  if (v instanceof Uint8Array) {
    try {
      return utf8.decode(v)
    } catch {
      const hex = Buffer.from(v.subarray(0, 16)).toString('hex')
      throw badInput(`${where(ctx, row)}: id is not valid UTF-8 (bytes ${hex}${v.length > 16 ? '...' : ''})`)
    }
  }
  if (typeof v === 'bigint') return ctx.column.unsigned && v < 0n ? v + TWO_64 : v
  if (typeof v === 'number') return BigInt(v)
  if (v === null || v === undefined) throw missing(ctx, v, row)
  throw badInput(`${where(ctx, row)}: value ${String(v)} is not a string or an integer`)
}

/**
 * The key a fragment's id is looked up by, when the fragments file spells ids with another
 * type than the tasks file ("42" beside 42): the tasks file's type decides.
 */
export function coerceKey(key: IdKey, tasksUseStrings: boolean): IdKey {
  if (tasksUseStrings) return typeof key === 'string' ? key : String(key)
  if (typeof key === 'bigint') return key
  return /^-?\d+$/.test(key) ? BigInt(key) : key
}
