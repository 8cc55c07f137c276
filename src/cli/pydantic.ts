import type { PyScalar } from '../trace/pyyaml.ts'

/**
 * pydantic's lax mode (pydantic-core's input/shared.rs), as OpenDT's models apply it to what
 * PyYAML read: which values an `int`, `float`, `bool` or `str` field takes, and what it makes of
 * them. Each function gives the value, or pydantic's error type. test/unit/opendt-reference.test.ts
 * checks them against pydantic's own (test/fixtures/opendt-config/expected.json).
 */
export type Coerced<T> = { ok: T } | { error: string }

const fail = (error: string) => ({ error })

/** Rust's `str::trim`: Unicode White_Space (JavaScript's trim also takes U+FEFF, and not U+0085). */
const rustTrim = (s: string) =>
  s.replace(
    /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g,
    '',
  )

/** An integer as JSON writes one (jiter's NumberInt), at most 4,300 digits as Python allows. */
function jsonInt(s: string): Coerced<bigint> | undefined {
  if (!/^-?(?:0|[1-9][0-9]*)$/.test(s)) return undefined
  return s.length - (s[0] === '-' ? 1 : 0) > 4300 ? fail('int_parsing_size') : { ok: BigInt(s) }
}

/** `1_000` to `1000`; undefined if the underscores are misplaced (leading, trailing, doubled) or absent. */
function stripUnderscores(s: string): string | undefined {
  if (s.startsWith('_') || s.endsWith('_') || !s.includes('_') || s.includes('__')) return undefined
  return s.replaceAll('_', '')
}

/** pydantic-core's strip_leading_zeros: `007` to `7`, `00.0` to `0.0`, `000` to `0`. */
function stripLeadingZeros(s: string): string | undefined {
  const first = s[0]
  if (first === undefined) return undefined
  if (first !== '0') return (first >= '1' && first <= '9') || first === '-' ? s : undefined
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!
    if (c === '0' || c === '_') continue
    if ((c >= '1' && c <= '9') || c === '-') return s.slice(i)
    if (c === '.') return s.slice(i - 1)
    return undefined
  }
  return s.slice(-1)
}

/** pydantic-core's str_as_int: a JSON integer, or one after trimming, a sign, zeros, `.0` and underscores. */
export function strAsInt(s: string): Coerced<bigint> {
  const direct = jsonInt(s)
  if (direct) return direct
  let t = rustTrim(s)
  if (t.startsWith('+')) {
    if (t[1] === '-') return fail('int_parsing')
    t = t.slice(1)
  }
  let sign = ''
  if (t.startsWith('-')) {
    if (t[1] === '-' || t[1] === '+') return fail('int_parsing')
    sign = '-'
    t = t.slice(1)
  }
  const stripped = stripLeadingZeros(t)
  if (stripped === undefined) return fail('int_parsing')
  t = stripped
  const dot = t.indexOf('.')
  if (dot >= 0 && /^0+$/.test(t.slice(dot + 1))) t = t.slice(0, dot)
  const plain = stripUnderscores(t)
  if (plain === undefined && t.length === s.length) return fail('int_parsing')
  const parsed = jsonInt(sign + (plain ?? t))
  return parsed && 'ok' in parsed ? parsed : fail('int_parsing')
}

/** Rust's `f64::from_str`: a decimal number, `inf`, `infinity` or `nan` in any case, with a sign. */
function rustFloat(s: string): number | undefined {
  const m = /^([+-]?)(?:(inf|infinity)|(nan)|((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?))$/i.exec(s)
  if (!m) return undefined
  if (m[3]) return Number.NaN
  const value = m[2] ? Infinity : Number(m[4])
  return m[1] === '-' ? -value : value
}

/** pydantic-core's str_as_float: Rust's parse of the trimmed text, or of the text without underscores. */
export function strAsFloat(s: string): Coerced<number> {
  const direct = rustFloat(rustTrim(s))
  if (direct !== undefined) return { ok: direct }
  const plain = stripUnderscores(s)
  const parsed = plain === undefined ? undefined : rustFloat(plain)
  return parsed === undefined ? fail('float_parsing') : { ok: parsed }
}

/** pydantic-core's str_as_bool: `0 f n no off false` and `1 t y on yes true`, any case, nothing trimmed. */
export function strAsBool(s: string): Coerced<boolean> {
  const lower = /^[\x20-\x7e]*$/.test(s) ? s.toLowerCase() : s
  if (s === '0' || ['f', 'n', 'no', 'off', 'false'].includes(lower)) return { ok: false }
  if (s === '1' || ['t', 'y', 'on', 'yes', 'true'].includes(lower)) return { ok: true }
  return fail('bool_parsing')
}

/** A float as an int field takes it: whole and within 64 bits. */
function floatAsInt(v: number): Coerced<bigint> {
  if (!Number.isFinite(v)) return fail('finite_number')
  if (v % 1 !== 0) return fail('int_from_float')
  return v > -(2 ** 63) && v < 2 ** 63 ? { ok: BigInt(v) } : fail('int_parsing_size')
}

/** An `int` field. */
export function asInt(v: PyScalar): Coerced<bigint> {
  if (v.type === 'int') return { ok: v.value }
  if (v.type === 'bool') return { ok: v.value ? 1n : 0n }
  if (v.type === 'float') return floatAsInt(v.value)
  if (v.type === 'str') return strAsInt(v.value)
  return fail('int_type')
}

/** A `float` field. */
export function asFloat(v: PyScalar): Coerced<number> {
  if (v.type === 'float') return { ok: v.value }
  if (v.type === 'int') {
    const n = Number(v.value)
    return Number.isFinite(n) ? { ok: n } : fail('float_type')
  }
  if (v.type === 'bool') return { ok: v.value ? 1 : 0 }
  if (v.type === 'str') return strAsFloat(v.value)
  return fail('float_type')
}

/** A `bool` field. */
export function asBool(v: PyScalar): Coerced<boolean> {
  if (v.type === 'bool') return { ok: v.value }
  if (v.type === 'int' || v.type === 'float') {
    const n = Number(v.value)
    return n === 0 || n === 1 ? { ok: n === 1 } : fail('bool_parsing')
  }
  if (v.type === 'str') return strAsBool(v.value)
  return fail('bool_type')
}

/** A `str` field: a string only (pydantic 2 turns no number into a string). */
export function asStr(v: PyScalar): Coerced<string> {
  return v.type === 'str' ? { ok: v.value } : fail('string_type')
}
