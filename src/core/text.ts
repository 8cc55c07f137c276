/**
 * How times and numbers are spelled, in messages and in logs alike.
 */

/**
 * UTC time as `YYYY-MM-DDTHH:MM:SSZ`, with `.sss` only when the milliseconds are not zero:
 * `toISOString()` without a `.000`. Years outside 0000-9999 keep its longer, signed form.
 */
export function formatTime(ms: number): string {
  const text = isoTime(ms)
  return text.endsWith('.000Z') ? text.slice(0, -5) + 'Z' : text
}

/** UTC time as JSON carries it (the live view's /status): `toISOString()`, milliseconds always. */
export const isoTime = (ms: number) => new Date(ms).toISOString()

/**
 * The times OpenDT's messages can spell: Python's datetime, which reads them, holds years 1 to
 * 9999 (formatTime's four-digit years).
 */
export const PYTHON_TIMES = { from: Date.parse('0001-01-01T00:00:00Z'), to: Date.parse('9999-12-31T23:59:59.999Z') }

/** A double column value: always with a fractional part (`33600.0`) so typed consumers see a float. */
export function formatDouble(x: number): string {
  const s = String(x)
  return Number.isInteger(x) && !s.includes('e') ? s + '.0' : s
}

/** `1h 02m`, `3m 05s`, `12s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?'
  const s = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`
  if (m > 0) return `${m}m ${String(s % 60).padStart(2, '0')}s`
  return `${s}s`
}

/**
 * Control characters (C0, DEL, C1) as `\u00XX`, so that text from a file or a topic cannot drive
 * the terminal or forge a line. `keepNewlines` leaves newlines and tabs as they are (a multi-line
 * message of our own).
 */
export function escapeControls(text: string, keepNewlines = false): string {
  let out = ''
  for (const c of text) {
    const n = c.charCodeAt(0)
    const control = (n < 0x20 && !(keepNewlines && (c === '\n' || c === '\t'))) || (n >= 0x7f && n < 0xa0)
    out += control ? `\\u${n.toString(16).padStart(4, '0')}` : c
  }
  return out
}

/** A figure for JSON: at most three decimals (milliseconds of seconds, microseconds of milliseconds). */
export const round3 = (x: number) => Math.round(x * 1000) / 1000
