/**
 * The wire format: key and value exactly as the seed's examples, one JSON object each.
 * A dry-run line is `{"topic":T,"key":K,"value":V}`; the Kafka sink sends K and V as the
 * record's key and value bytes, so both outputs agree byte for byte.
 */

const MS_PER_DAY = 86_400_000
const two = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'))
const three = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'))

let cachedDay = Number.NaN
let cachedPrefix = ''

/**
 * UTC time as `YYYY-MM-DDTHH:MM:SSZ`, with `.sss` only when the milliseconds are not zero.
 * Invariant: same text as `new Date(ms).toISOString()` minus a `.000`; the date part is
 * cached per day because consecutive messages almost always share it.
 */
export function formatTime(ms: number): string {
  const day = Math.floor(ms / MS_PER_DAY)
  if (day !== cachedDay) {
    const iso = new Date(day * MS_PER_DAY).toISOString()
    // Years outside 0000-9999 have a longer, signed form; they are not cached.
    if (iso.length !== 24) return trimMillis(new Date(ms).toISOString())
    cachedDay = day
    cachedPrefix = iso.slice(0, 11)
  }
  let rest = ms - day * MS_PER_DAY
  const millis = rest % 1000
  rest = (rest - millis) / 1000
  const s = rest % 60
  rest = (rest - s) / 60
  const m = rest % 60
  const h = (rest - m) / 60
  const hms = cachedPrefix + two[h] + ':' + two[m] + ':' + two[s]
  return millis === 0 ? hms + 'Z' : hms + '.' + three[millis] + 'Z'
}

function trimMillis(iso: string): string {
  return iso.endsWith('.000Z') ? iso.slice(0, -5) + 'Z' : iso
}

/** A double column value: always with a fractional part (`33600.0`) so typed consumers see a float. */
export function formatDouble(x: number): string {
  const s = String(x)
  return Number.isInteger(x) && !s.includes('e') ? s + '.0' : s
}

/** The JSON text of an id: a string stays a JSON string, an integer becomes a JSON number. */
export function formatId(id: string | number | bigint): string {
  return typeof id === 'string' ? JSON.stringify(id) : String(id)
}

/** Record key: `{"id":...}`; `idJson` is already JSON (see formatId). */
export function encodeKey(idJson: string): string {
  return '{"id":' + idJson + '}'
}

export function encodeTaskValue(
  submitMs: number,
  durationMs: number,
  cpuCount: number,
  cpuCapacity: number,
  memCapacity: number,
): string {
  return (
    '{"submission_time":"' + formatTime(submitMs) +
    '","duration":' + durationMs +
    ',"cpu_count":' + cpuCount +
    ',"cpu_capacity":' + formatDouble(cpuCapacity) +
    ',"mem_capacity":' + memCapacity + '}'
  )
}

export function encodeFragmentValue(timeMs: number, durationMs: number, cpuUsage: number): string {
  return (
    '{"submission_time":"' + formatTime(timeMs) +
    '","duration":' + durationMs +
    ',"cpu_usage":' + formatDouble(cpuUsage) + '}'
  )
}

/** One dry-run line (without the newline). */
export function encodeLine(topic: string, key: string, value: string): string {
  return '{"topic":' + JSON.stringify(topic) + ',"key":' + key + ',"value":' + value + '}'
}
