import { asciiBytes, type ByteWriter } from './bytes.ts'

/**
 * The wire format of the seed's two topics, the one place its layout is written: the seed's
 * key and value JSON, and the dry-run line around them. The Kafka sink sends the key and value
 * bytes as the record's key and value; the stdout sink writes `{"topic":T,"key":K,"value":V}`
 * and a newline. So both outputs agree byte for byte. Field order and spelling follow the seed:
 *
 *   key       {"id":ID}                       ID as the trace spells it: "2133099" or 2133099
 *   task      {"submission_time":"2022-10-06T22:00:00Z","duration":27935000,"cpu_count":16,
 *              "cpu_capacity":33600.0,"mem_capacity":100000}
 *   fragment  {"submission_time":"2022-10-06T22:00:30Z","duration":30000,"cpu_usage":1953.0}
 */

/** A record key, given the id's JSON text (trace/columns.ts formatId). */
export const keyBytes = (idJson: string): Buffer => asciiBytes('{"id":' + idJson + '}')

const OPEN_TIME = asciiBytes('{"submission_time":"')
const DURATION = asciiBytes('","duration":')
const CPU_COUNT = asciiBytes(',"cpu_count":')
const CPU_CAPACITY = asciiBytes(',"cpu_capacity":')
const MEM_CAPACITY = asciiBytes(',"mem_capacity":')
const CPU_USAGE = asciiBytes(',"cpu_usage":')
const CLOSE = asciiBytes('}')

export function writeTaskValue(
  w: ByteWriter,
  submitMs: number,
  durationMs: number,
  cpuCount: number,
  cpuCapacity: number,
  memCapacity: number,
): void {
  w.bytes(OPEN_TIME)
  w.time(submitMs)
  w.bytes(DURATION)
  w.integer(Math.round(durationMs))
  w.bytes(CPU_COUNT)
  w.integer(cpuCount)
  w.bytes(CPU_CAPACITY)
  w.double(cpuCapacity)
  w.bytes(MEM_CAPACITY)
  w.integer(memCapacity)
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

/** A dry-run line is LINE_START(topic) KEY LINE_VALUE VALUE LINE_END. */
export const lineStart = (topic: string): Buffer => asciiBytes('{"topic":' + JSON.stringify(topic) + ',"key":')
export const LINE_VALUE = asciiBytes(',"value":')
export const LINE_END = asciiBytes('}\n')
