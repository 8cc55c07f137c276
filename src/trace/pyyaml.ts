/**
 * How OpenDT's YAML reader reads a scalar, where that differs from ours. OpenDT reads its files
 * with PyYAML's `safe_load`, which speaks YAML 1.1: `010` is 8 (octal), `yes` and `on` are true,
 * `1_000` is 1000, `1:30` is 90 (sexagesimal), `2024-01-01` a date, and `1e5` (no dot) a string.
 * Bun's parser speaks YAML 1.2, where those are 10, "yes", "on", "1_000", "1:30", a string, and
 * 100000. This module finds every plain scalar of a document whose two readings differ, and the
 * keys that are not strings to PyYAML, and hands them to the caller (who knows what each field
 * does with it) with both readings, so that nothing is guessed.
 *
 * PyYAML's implicit resolvers and constructors (yaml/resolver.py and yaml/constructor.py of
 * PyYAML 6) are written out below; test/unit/opendt-reference.test.ts checks them against
 * PyYAML's own reading of each scalar (test/fixtures/opendt-config/expected.json).
 */

/** A scalar as PyYAML reads it (the Python type and value). */
export type PyScalar =
  | { type: 'int'; value: bigint }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'null' }
  | { type: 'str'; value: string }
  /** A date or datetime, which none of OpenDT's fields takes. */
  | { type: 'timestamp'; text: string }
  /** `=` or `<<` where no mapping merges: PyYAML has no constructor for it, and refuses the file. */
  | { type: 'unreadable'; tag: string }

// PyYAML's implicit resolvers, tried in this order among those for the scalar's first character.
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/
const INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/
const MERGE = /^(?:<<)$/
const NULL = /^(?:~|null|Null|NULL|)$/
const TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/
const VALUE = /^(?:=)$/

/** How PyYAML's safe_load reads `text` written as a plain scalar. */
export function pyyamlScalar(text: string): PyScalar {
  const first = text[0] ?? ''
  if ('yYnNtTfFoO'.includes(first) && first !== '' && BOOL.test(text)) {
    return { type: 'bool', value: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(text) }
  }
  if ('-+0123456789.'.includes(first) && first !== '' && FLOAT.test(text)) return pyFloat(text)
  if ('-+0123456789'.includes(first) && first !== '' && INT.test(text)) return pyInt(text)
  if (first === '<' && MERGE.test(text)) return { type: 'unreadable', tag: 'merge' }
  if ((first === '' || '~nN'.includes(first)) && NULL.test(text)) return { type: 'null' }
  if ('0123456789'.includes(first) && first !== '' && TIMESTAMP.test(text)) return { type: 'timestamp', text }
  if (first === '=' && VALUE.test(text)) return { type: 'unreadable', tag: 'value' }
  return { type: 'str', value: text }
}

/** PyYAML's construct_yaml_int. An empty number (`0b_`) fails in Python: unreadable. */
function pyInt(text: string): PyScalar {
  let value = text.replaceAll('_', '')
  const sign = value[0] === '-' ? -1n : 1n
  if ('+-'.includes(value[0]!)) value = value.slice(1)
  const digits = (prefix: string, rest: string) => (rest === '' ? undefined : sign * BigInt(`${prefix}${rest}`))
  let n: bigint | undefined
  if (value === '0') n = 0n
  else if (value.startsWith('0b')) n = digits('0b', value.slice(2))
  else if (value.startsWith('0x')) n = digits('0x', value.slice(2))
  else if (value[0] === '0') n = digits('0o', value)
  else if (value.includes(':')) {
    n = 0n
    for (const part of value.split(':')) n = n * 60n + BigInt(part)
    n *= sign
  } else n = sign * BigInt(value)
  return n === undefined ? { type: 'unreadable', tag: 'int' } : { type: 'int', value: n }
}

/** PyYAML's construct_yaml_float. */
function pyFloat(text: string): PyScalar {
  let value = text.replaceAll('_', '').toLowerCase()
  const sign = value[0] === '-' ? -1 : 1
  if ('+-'.includes(value[0]!)) value = value.slice(1)
  if (value === '.inf') return { type: 'float', value: sign * Infinity }
  if (value === '.nan') return { type: 'float', value: Number.NaN }
  if (value.includes(':')) {
    let n = 0
    for (const part of value.split(':')) n = n * 60 + Number(part)
    return { type: 'float', value: sign * n }
  }
  return { type: 'float', value: sign * Number(value) }
}

/** Our reading (Bun's YAML 1.2) of a scalar, in PyYAML's terms: a whole number is an int. */
export function asPyScalar(value: unknown): PyScalar {
  if (value === null || value === undefined) return { type: 'null' }
  if (typeof value === 'boolean') return { type: 'bool', value }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { type: 'int', value: BigInt(value) } : { type: 'float', value }
  }
  return { type: 'str', value: String(value) }
}

/** Whether two readings are the same value of the same type. */
export function sameScalar(a: PyScalar, b: PyScalar): boolean {
  if (a.type !== b.type) return false
  if (a.type === 'float') return Object.is((a as { value: number }).value, (b as { value: number }).value)
  if ('value' in a) return a.value === (b as { value: unknown }).value
  return a.type === 'null' || (a.type === 'timestamp' && a.text === (b as { text: string }).text)
}

/** A scalar as an error line shows it: `8`, `true`, `"yes"`, `.inf`, `null`, `the date 2024-01-01`. */
export function showScalar(s: PyScalar): string {
  switch (s.type) {
    case 'int':
      return String(s.value)
    case 'float':
      return Number.isNaN(s.value)
        ? '.nan'
        : Math.abs(s.value) === Infinity
          ? `${s.value < 0 ? '-' : ''}.inf`
          : String(s.value)
    case 'bool':
      return String(s.value)
    case 'null':
      return 'null'
    case 'str':
      return JSON.stringify(s.value)
    case 'timestamp':
      return `the date ${s.text}`
    case 'unreadable':
      return `nothing (PyYAML has no constructor for its tag ${s.tag})`
  }
}

/**
 * A scalar whose two readings differ: the text as written, ours (Bun's value) and PyYAML's. It
 * stands in the document for the value, where the caller meets it.
 */
export class Divergent {
  constructor(
    readonly raw: string,
    readonly ours: unknown,
    readonly pyyaml: PyScalar,
  ) {}
}

/** The keys of a mapping that PyYAML does not read as the string we read (`1:`, `yes:`), by our key. */
export const KEY_READINGS = Symbol('PyYAML readings of keys that are not strings to it')

/** A mapping of the document: its keys as we read them, and those PyYAML reads otherwise. */
export interface ReadMapping {
  [key: string]: unknown
  [KEY_READINGS]?: Map<string, Divergent>
}
