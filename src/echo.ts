/**
 * A value as an error line shows it: the one way every error that echoes what the user gave
 * (a flag, a variable, a config or trace value) writes it, cut to about 100 characters with its
 * length, so that a 10 MB value makes a short line and no 10 MB copy of itself.
 */

/** About how many characters of a value an error line shows. */
export const ECHO_LIMIT = 100

/** A string as written, cut to ECHO_LIMIT characters with its length: `aaaa… (10485760 characters)`. */
export function clip(text: string): string {
  return text.length <= ECHO_LIMIT ? text : `${head(text)}… (${text.length} characters)`
}

/** The first ECHO_LIMIT characters, a surrogate pair never cut in two. */
const head = (text: string) =>
  text.slice(0, /[\uD800-\uDBFF]/.test(text[ECHO_LIMIT - 1]!) ? ECHO_LIMIT - 1 : ECHO_LIMIT)

/** A string in double quotes as written (no escapes), cut as `clip` cuts: `"abc"`, `"aaaa…" (10485760 characters)`. */
export function quote(value: string | undefined): string {
  const text = String(value)
  return text.length <= ECHO_LIMIT ? `"${text}"` : `"${head(text)}…" (${text.length} characters)`
}

/**
 * A value as an error line shows it: a string in double quotes (JSON's escapes), a number as
 * JavaScript writes it, a list or mapping as JSON; each cut as `clip` cuts, a string's length
 * counted as written. Only the part shown is ever serialised.
 */
export function echo(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length <= ECHO_LIMIT) return JSON.stringify(value)
    return `${JSON.stringify(head(value)).slice(0, -1)}…" (${value.length} characters)`
  }
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  if (typeof value !== 'object') return String(value)
  const out = serialise(value, ECHO_LIMIT + 1)
  return out.length > ECHO_LIMIT ? `${out.slice(0, ECHO_LIMIT)}…` : out
}

/** JSON of a list or mapping, stopping once `budget` characters are written. */
function serialise(value: unknown, budget: number): string {
  if (typeof value === 'string')
    return value.length > budget ? JSON.stringify(value.slice(0, budget)) : JSON.stringify(value)
  if (typeof value !== 'object' || value === null) return echo(value)
  const list = Array.isArray(value)
  let out = list ? '[' : '{'
  for (const key in value) {
    if (out.length > budget) break
    if (out.length > 1) out += ','
    if (!list) out += `${JSON.stringify(key.slice(0, budget))}:`
    out += serialise((value as Record<string, unknown>)[key], budget - out.length)
  }
  return out + (list ? ']' : '}')
}
