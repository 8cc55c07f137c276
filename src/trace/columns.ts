import { badInput } from '../errors.ts'
import type { ResolvedColumn } from './schema.ts'

/** Where a chunk of column values came from, for error messages. */
export interface ColumnContext {
  path: string
  column: ResolvedColumn
}

const where = (ctx: ColumnContext, row: number) => `${ctx.path}: column "${ctx.column.name}" row ${row}`

/**
 * Copies one chunk of a numeric column (rows rowStart..) into `out`, checking every value:
 * no null, no NaN or infinity, whole numbers for integer columns, no negatives where the spec
 * forbids them. INT64 values arrive as bigint and are converted to doubles here.
 */
export function fillNumbers(
  ctx: ColumnContext,
  chunk: ArrayLike<unknown>,
  rowStart: number,
  out: Float64Array,
  at = rowStart,
): void {
  const n = chunk.length
  if (chunk instanceof Float64Array || chunk instanceof Float32Array || chunk instanceof Int32Array) {
    out.set(chunk, at)
  } else {
    for (let i = 0; i < n; i++) {
      const v = chunk[i]
      if (typeof v === 'number') out[at + i] = v
      else if (typeof v === 'bigint') out[at + i] = Number(v)
      else if (v === null || v === undefined) throw badInput(`${where(ctx, rowStart + i)}: null`)
      else throw badInput(`${where(ctx, rowStart + i)}: value ${String(v)} is not a number`)
    }
  }
  checkNumbers(ctx, out, at, at + n, rowStart - at)
}

/** Checks out[from..to); `rowShift` turns an index of `out` into the file's row number. */
function checkNumbers(ctx: ColumnContext, out: Float64Array, from: number, to: number, rowShift: number): void {
  const wantInteger = ctx.column.kind === 'int' && ctx.column.reading.as === 'float'
  const nonNegative = ctx.column.nonNegative === true
  for (let r = from; r < to; r++) {
    const v = out[r]!
    // One comparison on the hot path; the slow path says what is wrong.
    if (v - v === 0 && !(nonNegative && v < 0) && !(wantInteger && !Number.isInteger(v))) continue
    const row = r + rowShift
    if (Number.isNaN(v)) throw badInput(`${where(ctx, row)}: NaN`)
    if (!Number.isFinite(v)) throw badInput(`${where(ctx, row)}: value ${v} is not finite`)
    if (nonNegative && v < 0) throw badInput(`${where(ctx, row)}: negative value ${v}`)
    throw badInput(`${where(ctx, row)}: value ${v} is not a whole number`)
  }
}

/** The JSON text an id is carried as: a string stays a JSON string, an integer becomes a JSON number. */
export function formatId(id: string | number | bigint): string {
  return typeof id === 'string' ? JSON.stringify(id) : String(id)
}

/** An id as a map key: strings stay strings; integers become numbers (exact below 2^53). */
export type IdKey = string | number

/** Checks one id and returns its key; `text` form is what the JSON carries. */
export function idKey(ctx: ColumnContext, v: unknown, row: number): IdKey {
  if (typeof v === 'string') return v
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (v === null || v === undefined) throw badInput(`${where(ctx, row)}: null`)
  throw badInput(`${where(ctx, row)}: value ${String(v)} is not a string or an integer`)
}

/**
 * The key a fragment's id is looked up by, when the fragments file spells ids with another
 * type than the tasks file ("42" beside 42): the tasks file's type decides.
 */
export function coerceKey(key: IdKey, tasksUseStrings: boolean): IdKey {
  if (tasksUseStrings) return typeof key === 'string' ? key : String(key)
  if (typeof key === 'number') return key
  return /^-?\d+$/.test(key) ? Number(key) : key
}
