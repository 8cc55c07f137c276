/**
 * The oracle for the wire format: the seed's JSON spelled out as plain string concatenation,
 * independent of the byte writer the product uses (src/formats/tasks-fragments/wire.ts, src/core/bytes.ts). Tests
 * check that the two agree, and read messages off a stream through the product's own bytes.
 */
import { ByteWriter } from '../src/core/bytes.ts'
import type { EventStream } from '../src/core/stream.ts'

/** `toISOString()` without `.000`. */
export const isoTime = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')

/** A double with a fractional part, as typed consumers expect (`33600.0`). */
export const jsonDouble = (x: number) => (Number.isInteger(x) && !String(x).includes('e') ? `${x}.0` : String(x))

export const keyText = (idJson: string) => `{"id":${idJson}}`

export function taskValue(
  submitMs: number,
  durationMs: number,
  cpuCount: number,
  cpuCapacity: number,
  memCapacity: number,
): string {
  return (
    `{"submission_time":"${isoTime(submitMs)}","duration":${durationMs},"cpu_count":${cpuCount},` +
    `"cpu_capacity":${jsonDouble(cpuCapacity)},"mem_capacity":${memCapacity}}`
  )
}

export function fragmentValue(timeMs: number, durationMs: number, cpuUsage: number): string {
  return `{"submission_time":"${isoTime(timeMs)}","duration":${durationMs},"cpu_usage":${jsonDouble(cpuUsage)}}`
}

export const line = (topic: string, key: string, value: string) =>
  `{"topic":${JSON.stringify(topic)},"key":${key},"value":${value}}`

/** The current message of a stream, as the product encodes it. */
export function messageOf(stream: EventStream): { key: string; value: string } {
  const w = new ByteWriter(256)
  stream.writeValue(w)
  return { key: stream.keyJson().toString('utf8'), value: new TextDecoder().decode(w.buf.subarray(0, w.pos)) }
}

/** What a ByteWriter holds so far, as text. */
export const written = (w: ByteWriter) => new TextDecoder().decode(w.buf.subarray(0, w.pos))
