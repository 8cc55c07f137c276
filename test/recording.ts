import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { ROOT } from './helpers.ts'

/**
 * What OpenDT's dc-mock itself sends for SURF's first three hours (../shared/data/dc-mock-surf-3h),
 * and how its lines compare with ours.
 */
export const DC_MOCK_3H = resolve(ROOT, '..', 'shared', 'data', 'dc-mock-surf-3h')

/**
 * JSON text without the whitespace between tokens: dc-mock's `json.dumps` separators (`, ` and
 * `: `) and our compact ones compare equal, while field order, number spelling (2100 is not
 * 2100.0) and every string stay as they are.
 */
export function compact(text: string): string {
  let out = ''
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (inString) {
      out += c
      if (c === '\\') out += text[++i]
      else if (c === '"') inString = false
    } else if (c === '"') {
      inString = true
      out += c
    } else if (!' \n\t\r'.includes(c)) out += c
  }
  return out
}

/** A dry-run's lines, or a recorded file's, per topic: the compact line of each message, in order. */
export function byTopic(lines: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const line of lines) {
    const topic = JSON.parse(line).topic as string
    out.set(topic, [...(out.get(topic) ?? []), compact(line)])
  }
  return out
}

/** A recorded file's lines (`{"topic": T, "key": K, "value": V}`), gunzipped when it is .gz. */
export const recorded = (file: string) => {
  const bytes = readFileSync(join(DC_MOCK_3H, file))
  return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8').trimEnd().split('\n')
}

/** Every recorded message, per topic (dc.workload, dc.power, dc.topology). */
export const recordedByTopic = () =>
  byTopic([...recorded('dc.workload.ndjson.gz'), ...recorded('dc.power.ndjson.gz'), ...recorded('dc.topology.ndjson')])

/** A wall-clock timestamp as dc-mock (no zone) or we (UTC) stamp the topology message. */
export const WALL_CLOCK = /"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)?"/
