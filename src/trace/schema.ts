import type { FileMetaData, SchemaElement } from 'hyparquet'
import { badInput } from '../errors.ts'

/**
 * What a column must hold, and how its parquet type is read:
 * - id: BYTE_ARRAY text (kept a string) or INT32/INT64 (kept an integer);
 * - time: a parquet timestamp (ms, µs or ns) or plain INT64 epoch milliseconds;
 * - int: INT32/INT64, or FLOAT/DOUBLE whose values are all whole numbers;
 * - double: any numeric type (written with a fractional part).
 */
export type ColumnKind = 'id' | 'time' | 'int' | 'double'

export interface ColumnSpec {
  name: string
  kind: ColumnKind
  /** Absent in some OpenDC schema versions (tasks.duration in v2). */
  optional?: boolean
  /** Negative values are bad input (durations, counts, sizes). */
  nonNegative?: boolean
}

/**
 * A task's values besides its id, the one list of them: each field of Tasks (trace/model.ts) and
 * the file column it is read from, in the seed's message order. Loading (trace/load.ts), --shard's
 * slicing (model.ts keepTasks), the demo trace (trace/demo.ts) and both wires (formats/tasks-fragments/wire.ts,
 * formats/dc-mock/streams.ts) follow it, so a new column is a type error wherever it is not handled.
 */
export const TASK_FIELDS = {
  /** Submission time, epoch milliseconds (UTC; timestamps without zone are read as UTC). */
  submit: { name: 'submission_time', kind: 'time' },
  /** Milliseconds; absent in schema v2 (the sum of the task's fragment durations then). */
  duration: { name: 'duration', kind: 'int', optional: true, nonNegative: true },
  cpuCount: { name: 'cpu_count', kind: 'int', nonNegative: true },
  /** MHz. */
  cpuCapacity: { name: 'cpu_capacity', kind: 'double' },
  /** MB. */
  memCapacity: { name: 'mem_capacity', kind: 'int', nonNegative: true },
} as const satisfies Record<string, ColumnSpec>

export type TaskField = keyof typeof TASK_FIELDS
export const TASK_FIELD_NAMES = Object.keys(TASK_FIELDS) as TaskField[]

export const TASK_COLUMNS: readonly ColumnSpec[] = [{ name: 'id', kind: 'id' }, ...Object.values(TASK_FIELDS)]

/**
 * Fragments' cpu_count (absent from v4 on) is not part of the seed's message: it is read only for
 * --format dc-mock, whose fragments carry it (the task's count where the file has none).
 */
export const FRAGMENT_COLUMNS: readonly ColumnSpec[] = [
  { name: 'id', kind: 'id' },
  { name: 'duration', kind: 'int', nonNegative: true },
  { name: 'cpu_usage', kind: 'double' },
  { name: 'cpu_count', kind: 'int', optional: true, nonNegative: true },
]

/** OpenDT's consumption.parquet (--format dc-mock's power stream); its `host` column is not read. */
export const CONSUMPTION_COLUMNS: readonly ColumnSpec[] = [
  { name: 'timestamp', kind: 'int' },
  { name: 'power_draw', kind: 'double', nonNegative: true },
  { name: 'energy_usage', kind: 'double', nonNegative: true },
]

/** How the decoder must treat a column's values, derived from its parquet type. */
export type Reading =
  | { as: 'string' } // id text
  | { as: 'integer' } // INT32 number or INT64 bigint
  | { as: 'float' } // FLOAT/DOUBLE number
  | { as: 'epoch-ms' } // INT64 without annotation: epoch milliseconds (through the ms parser, load.ts)
  | { as: 'timestamp' } // annotated timestamp; our parsers return epoch milliseconds

export interface ResolvedColumn extends ColumnSpec {
  reading: Reading
  /** An unsigned 64-bit integer column: hyparquet hands out its values signed. */
  unsigned?: boolean
}

/** Checks the file's top-level columns against the specs; returns the present ones with their reading. */
export function resolveColumns(path: string, metadata: FileMetaData, specs: readonly ColumnSpec[]): ResolvedColumn[] {
  const top = topLevelColumns(metadata.schema)
  const resolved: ResolvedColumn[] = []
  for (const spec of specs) {
    const element = top.get(spec.name)
    if (!element) {
      if (spec.optional) continue
      throw badInput(`${path}: missing required column "${spec.name}" (columns: ${[...top.keys()].join(', ')})`)
    }
    resolved.push({ ...spec, reading: readingOf(path, spec, element), unsigned: isUnsigned64(element) })
  }
  return resolved
}

/** The file's top-level columns by name (children of nested columns left out). */
export function topLevelColumns(schema: SchemaElement[]): Map<string, SchemaElement> {
  const out = new Map<string, SchemaElement>()
  // schema[0] is the root; walk its children, skipping the subtrees of nested columns.
  let i = 1
  const rootChildren = schema[0]?.num_children ?? 0
  for (let c = 0; c < rootChildren && i < schema.length; c++) {
    const element = schema[i]!
    out.set(element.name, element)
    i += subtreeSize(schema, i)
  }
  return out
}

function subtreeSize(schema: SchemaElement[], i: number): number {
  let size = 1
  const children = schema[i]!.num_children ?? 0
  for (let c = 0; c < children; c++) size += subtreeSize(schema, i + size)
  return size
}

function describe(e: SchemaElement): string {
  if (e.num_children) return 'a nested group'
  const annotation = e.logical_type?.type ?? e.converted_type
  return annotation ? `${e.type} (${annotation})` : String(e.type)
}

function isTimestamp(e: SchemaElement): boolean {
  return (
    e.logical_type?.type === 'TIMESTAMP' ||
    e.converted_type === 'TIMESTAMP_MILLIS' ||
    e.converted_type === 'TIMESTAMP_MICROS' ||
    e.type === 'INT96'
  )
}

function isText(e: SchemaElement): boolean {
  const ok = e.converted_type === undefined || e.converted_type === 'UTF8'
  return e.type === 'BYTE_ARRAY' && ok && (e.logical_type === undefined || e.logical_type.type === 'STRING')
}

function isPlainInteger(e: SchemaElement): boolean {
  const annotation = e.logical_type?.type ?? e.converted_type
  const intAnnotation = annotation === undefined || annotation === 'INTEGER' || /^U?INT_(8|16|32|64)$/.test(annotation)
  return (e.type === 'INT32' || e.type === 'INT64') && intAnnotation
}

function isUnsigned64(e: SchemaElement): boolean {
  const logical = e.logical_type
  return e.type === 'INT64' && (e.converted_type === 'UINT_64' || (logical?.type === 'INTEGER' && !logical.isSigned))
}

function isFloat(e: SchemaElement): boolean {
  return e.type === 'FLOAT' || e.type === 'DOUBLE'
}

function readingOf(path: string, spec: ColumnSpec, e: SchemaElement): Reading {
  const fail = (expected: string) =>
    badInput(`${path}: column "${spec.name}" has type ${describe(e)}, expected ${expected}`)
  if (e.num_children || e.repetition_type === 'REPEATED') {
    throw fail(spec.kind === 'id' ? 'a string or an integer' : 'a number')
  }
  switch (spec.kind) {
    case 'id':
      if (isText(e)) return { as: 'string' }
      if (isPlainInteger(e)) return { as: 'integer' }
      throw fail('a string or an integer')
    case 'time':
      if (isTimestamp(e)) return { as: 'timestamp' }
      if (e.type === 'INT64' && isPlainInteger(e)) return { as: 'epoch-ms' }
      throw fail('a timestamp or INT64 epoch milliseconds')
    case 'int':
      if (isPlainInteger(e)) return { as: 'integer' }
      if (isFloat(e)) return { as: 'float' }
      throw fail('an integer')
    case 'double':
      if (isFloat(e)) return { as: 'float' }
      if (isPlainInteger(e)) return { as: 'integer' }
      throw fail('a number')
  }
}
