import { asciiBytes, type ByteWriter, plainInteger } from '../../core/bytes.ts'
import type { TaskField } from '../../trace/schema.ts'

/**
 * The wire format of `--format dc-mock`: what OpenDT's dc-mock service sends (its Python
 * `json.dumps` of pydantic models), with compact separators. Parsed, each value equals dc-mock's:
 * the same fields in the same order, integers stay integers, floats keep `.0`, the same instants.
 *
 *   dc.workload  {"message_type":"task","timestamp":"2022-10-06T22:00:00+00:00","task":{"id":2133099,
 *                 "submission_time":"2022-10-06T22:00:00Z","duration":27935000,"cpu_count":16,
 *                 "cpu_capacity":33600.0,"mem_capacity":100000,"fragments":[{"task_id":2133099,
 *                 "duration":30000,"cpu_count":16,"cpu_usage":33600.0},...]}}        key "2133099"
 *                {"message_type":"heartbeat","timestamp":"2022-10-06T22:00:00+00:00"} key "heartbeat"
 *   dc.power     {"power_draw":22008.0,"energy_usage":660240.0,"timestamp":"2022-10-06T22:00:30Z"}  no key
 *   dc.topology  {"timestamp":"<wall clock, UTC>","topology":<topology.json>}        key "datacenter"
 *
 * Two time spellings, as dc-mock has them: Python's `isoformat()` (`+00:00`, microseconds when
 * not zero) for the wrapper and heartbeat `timestamp`, pydantic's (`Z`, fraction without trailing
 * zeros) for `submission_time` and power `timestamp`.
 */

/**
 * A task id as OpenDT's model reads it (an integer), as decimal text. Its rule: a text holding
 * `task-` is the part after the first `-` (`"task-7"` is 7), any other text goes through Python's
 * `int()`, which takes surrounding whitespace, a sign and `_` between digits (`" 007"` is 7,
 * `"1_000"` is 1000). An integer id column is already one. Undefined when the text is no integer
 * (dc-mock drops such a task with a warning). Non-ASCII digits, which `int()` also reads, are refused.
 */
export function openDtId(idJson: string): string | undefined {
  if (!idJson.startsWith('"')) return idJson
  const text = JSON.parse(idJson) as string
  const part = (text.includes('task-') ? text.split('-')[1]! : text).trim()
  if (!/^[+-]?[0-9]+(_[0-9]+)*$/.test(part)) return undefined
  return BigInt(part.replaceAll('_', '')).toString()
}

/** A double as Python's `repr`: shortest round-trip digits, `.0` on whole numbers, exponents from 1e16 and below 1e-4. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN'
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity'
  const a = Math.abs(x)
  if (a !== 0 && (a >= 1e16 || a < 1e-4)) {
    const [mantissa, exponent] = x.toExponential().split('e') as [string, string]
    const digits = exponent.slice(1)
    return `${mantissa}e${exponent[0]}${digits.length < 2 ? `0${digits}` : digits}`
  }
  if (Number.isInteger(x)) return Object.is(x, -0) ? '-0.0' : `${x}.0`
  return String(x)
}

/** A float written as digits and `.0` (the common case), not as Python's spelling: whole, not -0, below 1e16. */
const plainWhole = (x: number): boolean => Number.isInteger(x) && (x > 0 || Object.is(x, 0)) && x < 1e16

/** A float field: the common whole number written as digits, anything else (-0.0 too) as Python spells it. */
function writeFloat(w: ByteWriter, x: number): void {
  if (plainWhole(x)) w.double(x)
  else w.ascii(pyFloat(x))
}

const isoPrefix = (ms: number) => new Date(ms).toISOString().slice(0, 19)

/** Python's `datetime.isoformat()` of a UTC time: `2022-10-06T22:00:00+00:00`, `...:00.250000+00:00`. */
export function pyIsoTime(ms: number): string {
  const millis = ((ms % 1000) + 1000) % 1000
  return `${isoPrefix(ms)}${millis === 0 ? '' : `.${String(millis).padStart(3, '0')}000`}+00:00`
}

/** Pydantic's JSON of a UTC datetime: `2022-10-06T22:00:30Z`, `...:30.25Z` (no trailing zeros). */
export function pydanticTime(ms: number): string {
  const millis = ((ms % 1000) + 1000) % 1000
  const fraction = millis === 0 ? '' : `.${String(millis).padStart(3, '0').replace(/0+$/, '')}`
  return `${isoPrefix(ms)}${fraction}Z`
}

const TASK_OPEN = asciiBytes('{"message_type":"task","timestamp":"')
const TASK_ID = asciiBytes('","task":{"id":')
const SUBMISSION = asciiBytes(',"submission_time":"')
const DURATION = asciiBytes('","duration":')
const CPU_COUNT = asciiBytes(',"cpu_count":')
const CPU_CAPACITY = asciiBytes(',"cpu_capacity":')
const MEM_CAPACITY = asciiBytes(',"mem_capacity":')
const FRAGMENTS_OPEN = asciiBytes(',"fragments":[')
const FRAGMENT_OPEN = asciiBytes('{"task_id":')
const FRAGMENT_DURATION = asciiBytes(',"duration":')
const CPU_USAGE = asciiBytes(',"cpu_usage":')
const FRAGMENT_CLOSE = asciiBytes('}')
const FRAGMENT_NEXT = asciiBytes('},')
const TASK_CLOSE = asciiBytes(']}}')

/**
 * A task's fields (trace/schema.ts TASK_FIELDS: a column added there must be given here too, and
 * written below if OpenDT's schema has it), its fragments read by index (in file order).
 */
export interface TaskMessage extends Record<TaskField, number> {
  id: Uint8Array
  /** Fragment indexes from .. to (exclusive); each fragment's duration (ms), CPU count and usage. */
  from: number
  to: number
  fragmentDuration(i: number): number
  fragmentCpuCount(i: number): number
  fragmentUsage(i: number): number
}

export function writeTaskMessage(w: ByteWriter, t: TaskMessage): void {
  w.bytes(TASK_OPEN)
  w.ascii(pyIsoTime(t.submit))
  w.bytes(TASK_ID)
  w.bytes(t.id)
  w.bytes(SUBMISSION)
  w.ascii(pydanticTime(t.submit))
  w.bytes(DURATION)
  w.integer(Math.round(t.duration))
  w.bytes(CPU_COUNT)
  w.integer(t.cpuCount)
  w.bytes(CPU_CAPACITY)
  writeFloat(w, t.cpuCapacity)
  w.bytes(MEM_CAPACITY)
  w.integer(t.memCapacity)
  w.bytes(FRAGMENTS_OPEN)
  if (t.to > t.from) writeFragments(w, t)
  w.bytes(TASK_CLOSE)
}

/**
 * A task's fragments, `{"task_id":ID,"duration":D,"cpu_count":C,"cpu_usage":U}` joined by commas.
 * Each fragment after the first is the piece `},{"task_id":...U`; a run of fragments equal to the
 * one before (half of SURF's) repeats its piece's bytes (ByteWriter.repeat) instead of encoding it.
 */
function writeFragments(w: ByteWriter, t: TaskMessage): void {
  const open = Buffer.concat([FRAGMENT_OPEN, t.id, FRAGMENT_DURATION])
  const next = Buffer.concat([FRAGMENT_NEXT, open])
  for (let i = t.from; i < t.to; ) {
    const duration = Math.round(t.fragmentDuration(i))
    const cpus = t.fragmentCpuCount(i)
    const usage = t.fragmentUsage(i)
    const start = w.pos
    w.bytes(i === t.from ? open : next)
    w.integer(duration)
    w.bytes(CPU_COUNT)
    w.integer(cpus)
    w.bytes(CPU_USAGE)
    writeFloat(w, usage)
    // The first piece has no comma before it: a run after it repeats the second.
    if (i++ === t.from) continue
    let same = 0
    while (
      i < t.to &&
      Math.round(t.fragmentDuration(i)) === duration &&
      t.fragmentCpuCount(i) === cpus &&
      Object.is(t.fragmentUsage(i), usage)
    ) {
      same++
      i++
    }
    w.repeat(w.pos - start, same)
  }
  w.bytes(FRAGMENT_CLOSE)
}

/** Most characters a number takes, as JavaScript or Python spells it: 25 (`-0.0000012345678901234567`). */
const NUMBER_BOUND = 25
const POW10 = Array.from({ length: 17 }, (_, i) => 10 ** i)

/** Characters of ByteWriter.integer(n) at most: its digits, or any number's bound. */
function integerBound(n: number): number {
  if (!plainInteger(n)) return NUMBER_BOUND
  let digits = 1
  while (digits < 16 && n >= POW10[digits]!) digits++
  return digits
}

/** Characters of writeFloat(x) at most: a whole number's digits and `.0`, or any number's bound. */
const floatBound = (x: number): number => (plainWhole(x) ? integerBound(x) + 2 : NUMBER_BOUND)

/** A task message's bytes at most (never fewer than writeTaskMessage writes), without writing it. */
export function taskMessageBound(t: TaskMessage): number {
  const times = 32 + 30 // pyIsoTime's and pydanticTime's longest
  let bytes =
    TASK_OPEN.length +
    TASK_ID.length +
    t.id.length +
    SUBMISSION.length +
    DURATION.length +
    CPU_COUNT.length +
    CPU_CAPACITY.length +
    MEM_CAPACITY.length +
    FRAGMENTS_OPEN.length +
    FRAGMENT_CLOSE.length +
    TASK_CLOSE.length +
    times +
    4 * NUMBER_BOUND
  const piece =
    FRAGMENT_NEXT.length +
    FRAGMENT_OPEN.length +
    t.id.length +
    FRAGMENT_DURATION.length +
    CPU_COUNT.length +
    CPU_USAGE.length
  // A fragment's numbers are often the last one's (half of SURF's): its bound is then the last one's.
  let duration = Number.NaN
  let cpus = Number.NaN
  let usage = Number.NaN
  let last = 0
  for (let i = t.from; i < t.to; i++) {
    const d = t.fragmentDuration(i)
    const c = t.fragmentCpuCount(i)
    const u = t.fragmentUsage(i)
    if (d !== duration || c !== cpus || !Object.is(u, usage)) {
      duration = d
      cpus = c
      usage = u
      last = piece + integerBound(Math.round(d)) + integerBound(c) + floatBound(u)
    }
    bytes += last
  }
  return bytes
}

const HEARTBEAT_OPEN = asciiBytes('{"message_type":"heartbeat","timestamp":"')
const STRING_CLOSE = asciiBytes('"}')

export function writeHeartbeat(w: ByteWriter, timeMs: number): void {
  w.bytes(HEARTBEAT_OPEN)
  w.ascii(pyIsoTime(timeMs))
  w.bytes(STRING_CLOSE)
}

const POWER_OPEN = asciiBytes('{"power_draw":')
const ENERGY = asciiBytes(',"energy_usage":')
const POWER_TIME = asciiBytes(',"timestamp":"')

export function writePower(w: ByteWriter, powerDraw: number, energyUsage: number, timeMs: number): void {
  w.bytes(POWER_OPEN)
  writeFloat(w, powerDraw)
  w.bytes(ENERGY)
  writeFloat(w, energyUsage)
  w.bytes(POWER_TIME)
  w.ascii(pydanticTime(timeMs))
  w.bytes(STRING_CLOSE)
}

const TOPOLOGY_OPEN = asciiBytes('{"timestamp":"')
const TOPOLOGY_BODY = asciiBytes('","topology":')

/** `body`: the topology as trace/topology.ts topologyJson() writes it; `wallMs`: when it is sent. */
export function writeTopology(w: ByteWriter, wallMs: number, body: Uint8Array): void {
  w.bytes(TOPOLOGY_OPEN)
  w.ascii(new Date(wallMs).toISOString())
  w.bytes(TOPOLOGY_BODY)
  w.bytes(body)
  w.bytes(FRAGMENT_CLOSE)
}

/**
 * A topology message with its wall-clock timestamp (whatever it spells) replaced by the epoch's,
 * as writeTopology writes it at wall time 0, so that messages sent at different instants, or by a
 * sender that spells times otherwise, compare equal: `verify` checks everything else byte for
 * byte. Any other value is returned as it is.
 */
export function withoutWallTime(value: Buffer): Buffer {
  const open = TOPOLOGY_OPEN.length
  if (!value.subarray(0, open).equals(TOPOLOGY_OPEN)) return value
  const end = value.indexOf(0x22, open) // the closing quote: a time has no escapes
  if (end < 0 || !value.subarray(end, end + TOPOLOGY_BODY.length).equals(TOPOLOGY_BODY)) return value
  return Buffer.concat([TOPOLOGY_OPEN, EPOCH_ISO, value.subarray(end)])
}

const EPOCH_ISO = asciiBytes(new Date(0).toISOString())

const EPOCH_STAMP = `"timestamp":"${new Date(0).toISOString()}"`
const WALL_STAMP = '"timestamp":"<the sender\'s wall clock>"'

/** A topology message built at the epoch (as `verify` builds it) as a difference shows it: its stamp is the sender's wall clock. */
export const wallTimeNamed = (value: string): string => value.replace(EPOCH_STAMP, WALL_STAMP)

/**
 * A dc.workload value read back (verify's live view): a task message's fragments, each running
 * at its `cpu_usage` MHz for its `duration` ms from its predecessor's end (the first, from the
 * task's `submission_time`). A heartbeat, or a value that is not such a message, adds nothing.
 */
export function readTaskDemand(value: Buffer, add: (fromMs: number, toMs: number, mhz: number) => void): void {
  let message: { message_type?: unknown; task?: { submission_time?: unknown; fragments?: unknown } }
  try {
    message = JSON.parse(value.toString('utf8'))
  } catch {
    return
  }
  const task = message?.message_type === 'task' ? message.task : undefined
  if (typeof task?.submission_time !== 'string' || !Array.isArray(task.fragments)) return
  let at = Date.parse(task.submission_time)
  if (!Number.isFinite(at)) return
  for (const f of task.fragments as { duration?: unknown; cpu_usage?: unknown }[]) {
    if (typeof f?.duration !== 'number' || typeof f.cpu_usage !== 'number') return
    add(at, at + f.duration, f.cpu_usage)
    at += f.duration
  }
}
