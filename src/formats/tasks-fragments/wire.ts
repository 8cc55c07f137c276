import { asciiBytes, type ByteWriter } from '../../core/bytes.ts'
import { TASK_FIELD_NAMES, TASK_FIELDS, type TaskField } from '../../trace/schema.ts'

/**
 * The wire format of the seed's two topics, the one place its layout is written: the seed's
 * key and value JSON. The Kafka sink sends the key and value bytes as the record's key and value;
 * the stdout sink writes them into a dry-run line (core/line.ts). So both outputs agree byte for
 * byte. Field order and spelling follow the seed:
 *
 *   key       {"id":ID}                       ID as the trace spells it: "2133099" or 2133099
 *   task      {"submission_time":"2022-10-06T22:00:00Z","duration":27935000,"cpu_count":16,
 *              "cpu_capacity":33600.0,"mem_capacity":100000}
 *   fragment  {"submission_time":"2022-10-06T22:00:30Z","duration":30000,"cpu_usage":1953.0}
 *
 * A task's value is its fields as trace/schema.ts's TASK_FIELDS lists them, in that order, under
 * their column names: a time as ISO-8601 text, an integer rounded to whole units, a double.
 */

/** A record key, given the id's JSON text (trace/columns.ts formatId). */
export const keyBytes = (idJson: string): Buffer => asciiBytes('{"id":' + idJson + '}')

const OPEN_TIME = asciiBytes('{"submission_time":"')
const DURATION = asciiBytes('","duration":')
const CPU_USAGE = asciiBytes(',"cpu_usage":')
const QUOTE = asciiBytes('"')
const CLOSE = asciiBytes('}')

/** Each task field's key as written (with the brace or comma before it) and how its value is written. */
const TASK_LAYOUT = TASK_FIELD_NAMES.map((field, i) => ({
  field,
  key: asciiBytes(`${i === 0 ? '{' : ','}"${TASK_FIELDS[field].name}":`),
  kind: TASK_FIELDS[field].kind,
}))

/** Task row `t`'s value. */
export function writeTaskValue(w: ByteWriter, tasks: Readonly<Record<TaskField, Float64Array>>, t: number): void {
  for (const { field, key, kind } of TASK_LAYOUT) {
    w.bytes(key)
    const value = tasks[field][t]!
    if (kind === 'time') {
      w.bytes(QUOTE)
      w.time(value)
      w.bytes(QUOTE)
    } else if (kind === 'double') w.double(value)
    else w.integer(Math.round(value))
  }
  w.bytes(CLOSE)
}

/** Times and durations are whole milliseconds in the message; on a what-if host they are rounded here, only. */
export function writeFragmentValue(w: ByteWriter, timeMs: number, durationMs: number, cpuUsage: number): void {
  w.bytes(OPEN_TIME)
  w.time(Math.round(timeMs))
  w.bytes(DURATION)
  w.integer(Math.round(durationMs))
  w.bytes(CPU_USAGE)
  w.double(cpuUsage)
  w.bytes(CLOSE)
}

/**
 * A fragment value read back (verify's live view): it ran at `cpu_usage` MHz for `duration` ms up
 * to its `submission_time` (its own time). A value that is not such a fragment adds nothing.
 */
export function readFragmentDemand(value: Buffer, add: (fromMs: number, toMs: number, mhz: number) => void): void {
  let fragment: { submission_time?: unknown; duration?: unknown; cpu_usage?: unknown }
  try {
    fragment = JSON.parse(value.toString('utf8'))
  } catch {
    return
  }
  const { submission_time: time, duration, cpu_usage: usage } = fragment ?? {}
  if (typeof time !== 'string' || typeof duration !== 'number' || typeof usage !== 'number') return
  const to = Date.parse(time)
  if (Number.isFinite(to)) add(to - duration, to, usage)
}
