import { quote } from '../echo.ts'
import { badInput, ReplayError } from '../errors.ts'
import { MAX_TIME_MS } from '../trace/columns.ts'
import type { TimeRef } from '../types.ts'

/**
 * Flag values to numbers and times, checked. Each parser takes the name the user gave the value
 * by (`--speed`, or `OPENDT_REPLAY_SPEED` when an environment twin set it), for its error line.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** The slowest --speed: slower would put every due time beyond any clock (1e-320 never sends). */
const MIN_SPEED = 1e-6

/** `--speed`: trace seconds per wall second (a positive number), or `max` (Infinity). */
export function parseSpeed(flag: string, text: string): number {
  if (text === 'max') return Infinity
  const speed = /^\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text) ? Number(text) : Number.NaN
  if (!(speed > 0) || !Number.isFinite(speed)) {
    throw badInput(`${flag}: expected a positive number or "max", got ${quote(text)}`)
  }
  if (speed < MIN_SPEED)
    throw badInput(`${flag}: ${text} is too slow (the least is 0.000001: a week of trace in 19,000 years)`)
  return speed
}

/** An offset or duration: `90s`, `1h30m`, `1.5d`. */
const OFFSET = /^(\d+(\.\d+)?(ms|s|m|h|d))+$/

/**
 * `--from`/`--to`: an offset from the trace start (`90s`, `30m`, `2h`, `1d`, `1d12h`, `1.5h`,
 * `0`) or an ISO-8601 time (`2022-10-08T00:00:00Z`; without a zone it is read as UTC, like the trace).
 */
export function parseTimeRef(flag: string, text: string): TimeRef {
  const t = text.trim()
  if (t === '0') return { offset: 0 }
  if (OFFSET.test(t)) {
    let offset = 0
    for (const [, n, , unit] of t.matchAll(/(\d+(\.\d+)?)(ms|s|m|h|d)/g)) offset += Number(n) * UNIT_MS[unit!]!
    if (offset > MAX_TIME_MS) throw badInput(`${flag}: ${text} is beyond the range of dates (${MAX_TIME_MS} ms)`)
    return { offset: Math.round(offset) }
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(t)
  if (date) {
    // Date.parse rolls 2022-02-30 over to March 2: a day the month does not have is refused.
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])]
    const days = new Date(Date.UTC(year, month, 0)).getUTCDate()
    if (month < 1 || month > 12) throw badInput(`${flag}: ${text} is not a date (there is no month ${date[2]})`)
    if (day < 1 || day > days)
      throw badInput(`${flag}: ${text} is not a date (${date[1]}-${date[2]} has no day ${date[3]})`)
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(t) || !/[T ]/.test(t) ? t : t + 'Z'
    const absolute = Date.parse(zoned.replace(' ', 'T'))
    if (Number.isFinite(absolute)) return { absolute }
  }
  throw badInput(`${flag}: expected an offset like 90s, 30m, 2h, 1d or an ISO-8601 time, got ${quote(text)}`)
}

/** A duration flag: `500ms`, `30s`, `2m`, `1h30m`. */
export function parseDuration(flag: string, text: string): number {
  let ref: TimeRef | undefined
  try {
    ref = parseTimeRef(flag, text)
  } catch (error) {
    // A duration beyond the range of dates: parseTimeRef says so, with the limit.
    if (OFFSET.test(text.trim())) throw error
    ref = undefined
  }
  if (!ref || !('offset' in ref))
    throw badInput(`${flag}: expected a duration like 500ms, 30s or 2m, got ${quote(text)}`)
  return ref.offset
}

/** `a`, `a or b`, `a, b or c`. */
const orList = (items: readonly string[]) =>
  items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items.at(-1)}` : (items[0] ?? '')

/**
 * One of an enum flag's options (its citty definition's `options`): `value` (the text, or how it
 * is compared, `--sasl PLAIN` as `plain`), else an error naming them all and the text as given.
 */
export function oneOf<T extends string>(flag: string, options: readonly T[], text: string, value = text): T {
  if ((options as readonly string[]).includes(value)) return value as T
  throw badInput(`${flag}: expected ${orList(options)}, got ${quote(text)}`)
}

/** Reads a file named by a flag (the only file reads while mapping flags). */
export type ReadText = (path: string) => string

/** A whole number of at least 1, and at most `max` (where a field it goes into ends). */
export function positiveInteger(flag: string, text: string, max = Number.MAX_SAFE_INTEGER, why = ''): number {
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw badInput(`${flag}: expected a whole number of at least 1, got ${quote(text)}`)
  if (Number(text) > max) throw badInput(`${flag}: at most ${max}${why}, got ${quote(text)}`)
  return Number(text)
}

export function nonNegativeInteger(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) throw badInput(`${flag}: expected a whole number, got ${quote(text)}`)
  return Number(text)
}

/** A file a flag names, read by `read` (trace/file.ts readTextFile: a regular file, 16 MiB at most). */
export function readFlagFile(flag: string, path: string, read: ReadText): string {
  try {
    return read(path)
  } catch (error) {
    // readTextFile's errors name the file and the reason already.
    if (error instanceof ReplayError) throw flag === path ? error : badInput(`${flag}: ${error.message}`)
    throw badInput(
      `${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    )
  }
}

/** A size in bytes: `16384`, `64k` or `1m` (k = 1,024, m = 1,048,576), at least 1 and at most `max`. */
export function parseBytes(flag: string, text: string, max: number): number {
  const m = /^(\d+)([km]?)$/i.exec(text.trim())
  const n = m ? Number(m[1]) * (m[2]!.toLowerCase() === 'k' ? 1024 : m[2]!.toLowerCase() === 'm' ? 1 << 20 : 1) : 0
  if (!(n >= 1)) throw badInput(`${flag}: expected a size in bytes like 16384, 64k or 1m, got ${quote(text)}`)
  if (n > max) throw badInput(`${flag}: at most ${max} bytes, got ${quote(text)}`)
  return n
}

/** A positive, finite number (`--host-mhz 2100`, `2.5`). */
export function positiveNumber(flag: string, text: string): number {
  const n = /^\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text) ? Number(text) : Number.NaN
  if (!(n > 0) || !Number.isFinite(n)) throw badInput(`${flag}: expected a positive number, got ${quote(text)}`)
  return n
}
