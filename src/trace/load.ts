import zlib from 'node:zlib'
import { type AsyncBuffer, type Compressors, type FileMetaData, parquetMetadataAsync, parquetRead } from 'hyparquet'
import { badInput } from '../errors.ts'
import {
  type ColumnContext,
  coerceKey,
  exactNumber,
  fillNumbers,
  formatId,
  fragmentTimeOutOfRange,
  type IdKey,
  idKey,
  MAX_TIME_MS,
} from './columns.ts'
import { type Fragments, LEFT_OUT, type NumberColumn, type Tasks, taskColumns } from './model.ts'
import { RowPlacement } from './placement.ts'
import {
  CONSUMPTION_COLUMNS,
  FRAGMENT_COLUMNS,
  type ResolvedColumn,
  resolveColumns,
  TASK_COLUMNS,
  TASK_FIELD_NAMES,
  TASK_FIELDS,
  type TaskField,
} from './schema.ts'
import { walkFragments } from './timeline.ts'

/** A parquet file to decode: the path names it in messages, the buffer serves its bytes. */
export interface ParquetSource {
  path: string
  buffer: AsyncBuffer
  /** Releases the file, once decoding is done. */
  close?(): void
}

/** Runs `load` on an opened source, and closes the source whatever happens. */
async function using<T>(source: ParquetSource, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } finally {
    source.close?.()
  }
}

const TWO_64 = 2n ** 64n

/**
 * Timestamps decode straight to epoch milliseconds (sub-millisecond digits are dropped), and so
 * do plain INT64 columns (decodeInt64AsNumbers). A value a double cannot hold exactly is recorded
 * in the column's context and decodes to a sentinel that the checks report with the value.
 */
function parsersFor(ctx: ColumnContext) {
  const beyond: bigint[] = []
  ctx.beyond = beyond
  const unsigned = ctx.column.unsigned === true
  // Text ids stay bytes, also in columns annotated as strings: columns.ts idKey decodes them,
  // refusing invalid UTF-8 and keeping a leading U+FEFF (hyparquet's decoder would drop it).
  const bytes = ctx.column.kind === 'id' && ctx.column.reading.as === 'string'
  return {
    ...(bytes ? { stringFromBytes: (v: Uint8Array | undefined) => v } : {}),
    timestampFromMilliseconds: (v: bigint) => exactNumber(unsigned && v < 0n ? v + TWO_64 : v, beyond),
    timestampFromMicroseconds: (v: bigint) => exactNumber(v / 1000n, beyond),
    timestampFromNanoseconds: (v: bigint) => exactNumber(v / 1_000_000n, beyond),
  }
}

/**
 * Snappy is built into hyparquet; gzip and zstd come from Bun's zlib (no extra package). A page
 * never decompresses past the size its header declares, so a corrupt page cannot grow memory.
 */
const compressors: Compressors = {
  GZIP: (input, outputLength) => zlib.gunzipSync(input, { maxOutputLength: Math.max(outputLength, 1) }),
  ZSTD: (input, outputLength) => zlib.zstdDecompressSync(input, { maxOutputLength: Math.max(outputLength, 1) }),
}

interface Table {
  source: ParquetSource
  metadata: FileMetaData
  rows: number
  columns: Map<string, ResolvedColumn>
}

async function openTable(source: ParquetSource, specs: typeof TASK_COLUMNS): Promise<Table> {
  await checkMagic(source)
  let metadata: FileMetaData
  try {
    metadata = await parquetMetadataAsync(source.buffer)
  } catch (cause) {
    throw badInput(`${source.path}: corrupt parquet file (${message(cause)})`, cause)
  }
  const resolved = resolveColumns(source.path, metadata, specs)
  decodeInt64AsNumbers(metadata, resolved)
  return {
    source,
    metadata,
    rows: Number(metadata.num_rows),
    columns: new Map(resolved.map((c) => [c.name, c])),
  }
}

const PAR1 = 0x31524150 // "PAR1" read as a little-endian uint32

/** A parquet file starts and ends with PAR1: tell "not parquet" from "cut short". */
async function checkMagic({ path, buffer }: ParquetSource): Promise<void> {
  const size = buffer.byteLength
  const head = size >= 4 ? new DataView(await buffer.slice(0, 4)).getUint32(0, true) : 0
  if (head !== PAR1) throw badInput(`${path}: not a parquet file (it does not start with PAR1; ${size} bytes)`)
  const tail = size >= 12 ? new DataView(await buffer.slice(size - 4, size)).getUint32(0, true) : 0
  if (tail !== PAR1) throw badInput(`${path}: truncated parquet file (no footer; ${size} bytes)`)
}

/**
 * Streams one column's values, chunk by chunk, to `onChunk(values, rowStart)`. One column at
 * a time keeps hyparquet's decoded arrays (bigints, strings) short-lived.
 */
async function readColumn(
  table: Table,
  name: string,
  onChunk: (ctx: ColumnContext, values: ArrayLike<unknown>, rowStart: number) => void,
): Promise<void> {
  const column = table.columns.get(name)!
  const ctx: ColumnContext = { path: table.source.path, column }
  // Text ids arrive as bytes, so invalid UTF-8 is caught (hyparquet would replace it).
  const utf8 = !(column.kind === 'id' && column.reading.as === 'string')
  // hyparquet calls onChunk inside a promise chain it does not return, so a throw there
  // would be lost: keep the first one and rethrow it after the read.
  let failure: unknown
  let seen = 0
  const parsers = parsersFor(ctx)
  try {
    let rowsSince = 0
    let batchesSince = 0
    for (const { rowStart, metadata } of batches(table, name)) {
      // The previous batch's decoded arrays are garbage now: collect them before this batch adds
      // its own (left to the collector, 10x SURF peaked 120 MB higher). A column read in one
      // batch, as most files' are, pays nothing; batches of few rows are collected every 8: a full
      // collection costs ~130 ms over a heap holding 20,000 row groups' metadata, and a pyarrow
      // file of 20,000 one-row groups spent 80 % of its 20 s load collecting after each batch.
      if (rowsSince >= GC_AFTER_ROWS || batchesSince >= GC_AFTER_BATCHES) {
        Bun.gc(true)
        rowsSince = 0
        batchesSince = 0
      }
      rowsSince += Number(metadata.num_rows)
      batchesSince++
      await parquetRead({
        file: table.source.buffer,
        metadata,
        columns: [name],
        parsers,
        compressors,
        utf8,
        onChunk(chunk) {
          if (failure) return
          try {
            onChunk(ctx, chunk.columnData, rowStart + chunk.rowStart)
            seen += chunk.columnData.length
          } catch (error) {
            failure = error
          }
        },
      })
      if (failure) break
    }
  } catch (cause) {
    throw badInput(`${table.source.path}: column "${name}": cannot decode (${message(cause)})`, cause)
  }
  if (failure) throw failure
  if (seen !== table.rows) {
    throw badInput(`${table.source.path}: column "${name}": decoded ${seen} of ${table.rows} rows (truncated file?)`)
  }
}

/**
 * Row groups per read at most, their column chunks' compressed bytes at most, and their rows at
 * most (one group may be larger): compressed bytes alone let a run-length column of 23 M rows
 * decode in one read, a transient of hundreds of MB.
 */
const BATCH_GROUPS = 1024
const BATCH_BYTES = 32 << 20
const BATCH_ROWS = 1 << 20
/** A full collection before the next batch once this many rows or batches were read since the last (readColumn). */
const GC_AFTER_ROWS = 1 << 18
const GC_AFTER_BATCHES = 8

/**
 * Whole row groups, a batch at a time, for one column: hyparquet reads all the groups of one
 * call at once, so a file of many small groups would hold every one of them in flight. Each
 * batch is read as a file of its own groups (rows counted from its first), since hyparquet
 * plans a read over every group of the metadata it is given.
 */
function* batches(table: Table, name: string): Generator<{ rowStart: number; metadata: FileMetaData }> {
  const groups = table.metadata.row_groups
  let rowStart = 0
  for (let g = 0; g < groups.length; ) {
    let rows = 0
    let bytes = 0
    const first = g
    while (g < groups.length && g - first < BATCH_GROUPS) {
      const chunk = groups[g]!.columns.find((c) => c.meta_data?.path_in_schema[0] === name)
      const size = Number(chunk?.meta_data?.total_compressed_size ?? 0)
      const groupRows = Number(groups[g]!.num_rows)
      if (g > first && (bytes + size > BATCH_BYTES || rows + groupRows > BATCH_ROWS)) break
      bytes += size
      rows += Number(groups[g]!.num_rows)
      g++
    }
    const metadata = { ...table.metadata, row_groups: groups.slice(first, g), num_rows: BigInt(rows) }
    yield { rowStart, metadata }
    rowStart += rows
  }
}

/**
 * hyparquet decodes plain INT64 values as one BigInt each: for 2.3 M durations that is ~90 MB
 * of short-lived objects and half the decode time. Annotating such columns as TIMESTAMP_MILLIS
 * (in our parsed copy of the metadata, never in the file) makes hyparquet run them through
 * `timestampFromMilliseconds` (parsersFor), once per dictionary entry: the same values, exact
 * below 2^53, and reported above it. Ids stay bigints: they must come out exact at any size.
 */
function decodeInt64AsNumbers(metadata: FileMetaData, columns: ResolvedColumn[]): void {
  for (const column of columns) {
    if (column.kind === 'id') continue
    if (column.reading.as !== 'integer' && column.reading.as !== 'epoch-ms') continue
    const element = metadata.schema.find((e) => e.name === column.name && !e.num_children)
    if (element?.type !== 'INT64') continue
    element.converted_type = 'TIMESTAMP_MILLIS'
    element.logical_type = undefined
  }
}

async function readNumbers(table: Table, name: string): Promise<Float64Array> {
  const out = new Float64Array(table.rows)
  await readColumn(table, name, (ctx, values, rowStart) => fillNumbers(ctx, values, rowStart, out))
  return out
}

/** Decodes and checks tasks.parquet. A missing `duration` (v2) is left zero and flagged. */
export function loadTasks(source: ParquetSource): Promise<Tasks> {
  return using(source, () => decodeTasks(source))
}

async function decodeTasks(source: ParquetSource): Promise<Tasks> {
  const table = await openTable(source, TASK_COLUMNS)
  if (table.rows === 0) throw badInput(`${source.path}: no tasks (the file has 0 rows)`)
  const idJson: string[] = new Array(table.rows)
  const index = new Map<IdKey, number>()
  const idsAreStrings = table.columns.get('id')!.reading.as === 'string'
  await readColumn(table, 'id', (ctx, values, rowStart) => {
    for (let i = 0; i < values.length; i++) {
      const row = rowStart + i
      const key = idKey(ctx, values[i], row)
      const first = index.get(key)
      if (first !== undefined) {
        throw badInput(
          `${source.path}: column "id" row ${row}: duplicate task id ${formatId(key)} (first at row ${first})`,
        )
      }
      index.set(key, row)
      idJson[row] = formatId(key)
    }
  })
  // Every field's column, one after another; an optional one the file lacks (v2's duration) is zero.
  const columns = new Map<TaskField, Float64Array>()
  for (const field of TASK_FIELD_NAMES) {
    const column = TASK_FIELDS[field].name
    columns.set(field, table.columns.has(column) ? await readNumbers(table, column) : new Float64Array(table.rows))
  }
  return {
    path: source.path,
    count: table.rows,
    idJson,
    index,
    idsAreStrings,
    ...taskColumns((field) => columns.get(field)!),
    durationDerived: !table.columns.has(TASK_FIELDS.duration.name),
  }
}

/** What to do with a fragment whose id names no task. */
export interface FragmentPolicy {
  /** Make it an error naming the row and id (`--strict`) instead of skipping and counting it. */
  strict: boolean
  /** Read the fragments' `cpu_count` too, when the file has it (--format dc-mock). */
  cpuCount?: boolean
  /** Read only what fragment times need (ids and durations); `cpuUsage` is left empty. */
  timesOnly?: boolean
  /** Ids of tasks left out on purpose (other shards' tasks): their fragments are dropped, not orphans. */
  excluded?: ReadonlySet<IdKey>
}

/** Decodes and checks fragments.parquet against its tasks; groups fragments by task. */
export function loadFragments(source: ParquetSource, tasks: Tasks, policy: FragmentPolicy): Promise<Fragments> {
  return using(source, () => decodeFragments(source, tasks, policy))
}

async function decodeFragments(source: ParquetSource, tasks: Tasks, policy: FragmentPolicy): Promise<Fragments> {
  const table = await openTable(source, FRAGMENT_COLUMNS)
  const placement = new RowPlacement(table.rows)
  const coerce = (table.columns.get('id')!.reading.as === 'string') !== tasks.idsAreStrings
  let lastRaw: unknown
  let lastKey: IdKey | undefined
  let lastTask = -1
  await readColumn(table, 'id', (ctx, values, rowStart) => {
    for (let i = 0; i < values.length; i++) {
      const row = rowStart + i
      // Fragments of one task usually come in runs (one dictionary entry): skip decoding and the map for repeats.
      const raw = values[i]
      if (raw === lastRaw && raw !== undefined) {
        placement.set(row, lastTask)
        continue
      }
      lastRaw = raw
      let key = idKey(ctx, raw, row)
      if (coerce) key = coerceKey(key, tasks.idsAreStrings)
      if (key !== lastKey) {
        lastKey = key
        lastTask = tasks.index.get(key) ?? (policy.excluded?.has(key) ? LEFT_OUT : -1)
        if (lastTask === -1 && policy.strict) {
          throw badInput(
            `${source.path}: column "id" row ${row}: no task with id ${formatId(key)} in ${tasks.path} (--strict)`,
          )
        }
      }
      placement.set(row, lastTask)
    }
  })
  const { offsets, count, orphans } = placement.group(tasks.count)
  const duration = await scatterNumbers(table, 'duration', placement, count, 'integers')
  const cpuUsage = policy.timesOnly
    ? new Float32Array(0)
    : await scatterNumbers(table, 'cpu_usage', placement, count, 'floats')
  let cpuCount: NumberColumn | undefined
  if (policy.cpuCount && !policy.timesOnly && table.columns.has('cpu_count')) {
    cpuCount = await scatterNumbers(table, 'cpu_count', placement, count, 'integers')
  }
  const fragments: Fragments = {
    path: source.path,
    rows: table.rows,
    count,
    orphans,
    offsets,
    duration,
    cpuUsage,
    cpuCount,
    divisor: 1,
  }
  checkFragmentTimes(tasks, fragments, placement)
  return fragments
}

/** OpenDT's consumption.parquet, in file order: times relative to the trace's first task, ms. */
export interface Consumption {
  path: string
  rows: number
  relative: Float64Array
  powerDraw: Float64Array
  energyUsage: Float64Array
}

/** Decodes and checks consumption.parquet (every value a number; power and energy not negative). */
export function loadConsumption(source: ParquetSource): Promise<Consumption> {
  return using(source, async () => {
    const table = await openTable(source, CONSUMPTION_COLUMNS)
    return {
      path: source.path,
      rows: table.rows,
      relative: await readNumbers(table, 'timestamp'),
      powerDraw: await readNumbers(table, 'power_draw'),
      energyUsage: await readNumbers(table, 'energy_usage'),
    }
  })
}

/**
 * Every fragment's time must be a date: a sum of durations can leave the range even when each
 * duration and submission is in it. The error names the fragment's row in the file.
 */
function checkFragmentTimes(tasks: Tasks, fragments: Fragments, position: RowPlacement): void {
  for (let t = 0; t < tasks.count; t++) {
    let bad = -1
    const end = walkFragments(tasks, fragments, t, (i, time) => {
      if (time <= MAX_TIME_MS && time >= -MAX_TIME_MS) return true
      bad = i
      return false
    })
    if (bad >= 0) throw fragmentTimeOutOfRange(fragments.path, position.rowOf(bad), end)
  }
}

/** Values checked and scattered at a time (a chunk can hold a whole row group's). */
const SCATTER_BLOCK = 1 << 16

/**
 * Decodes a numeric column straight into grouped order: row r goes where `position` places it (if kept).
 * The column starts in 32 bits (integers, or floats) and moves to doubles at the first value
 * that 32 bits would not keep exactly: so most traces hold half the bytes, and none loses a digit.
 */
async function scatterNumbers(
  table: Table,
  name: string,
  position: RowPlacement,
  count: number,
  narrow: 'integers' | 'floats',
): Promise<NumberColumn> {
  let out: NumberColumn = narrow === 'integers' ? new Int32Array(count) : new Float32Array(count)
  const scratch = new Float64Array(SCATTER_BLOCK)
  const places = new Int32Array(SCATTER_BLOCK)
  await readColumn(table, name, (ctx, values, rowStart) => {
    for (let from = 0; from < values.length; from += SCATTER_BLOCK) {
      const n = Math.min(SCATTER_BLOCK, values.length - from)
      fillNumbers(ctx, values, rowStart, scratch, 0, from, n)
      const rows = places.subarray(0, n)
      position.positions(rowStart + from, rows)
      // One loop per array type (each stays monomorphic); a value 32 bits cannot keep stops it,
      // and the rest goes on in doubles.
      let done = 0
      if (out instanceof Int32Array) done = scatterInt32(out, scratch, rows)
      else if (out instanceof Float32Array) done = scatterFloat32(out, scratch, rows)
      if (done < n) {
        if (!(out instanceof Float64Array)) out = Float64Array.from(out)
        scatterFloat64(out, scratch, rows, done)
      }
    }
  })
  return out
}

/** Scatters scratch[i] to out[rows[i]] while each value is a 32-bit integer; returns where it stopped. */
function scatterInt32(out: Int32Array, scratch: Float64Array, rows: Int32Array): number {
  for (let i = 0; i < rows.length; i++) {
    const at = rows[i]!
    if (at < 0) continue
    const v = scratch[i]!
    if ((v | 0) !== v || (v === 0 && 1 / v < 0)) return i
    out[at] = v
  }
  return rows.length
}

/** The same for values a 32-bit float holds exactly (NaN is kept as NaN). */
function scatterFloat32(out: Float32Array, scratch: Float64Array, rows: Int32Array): number {
  for (let i = 0; i < rows.length; i++) {
    const at = rows[i]!
    if (at < 0) continue
    const v = scratch[i]!
    if (Math.fround(v) !== v && !Number.isNaN(v)) return i
    out[at] = v
  }
  return rows.length
}

function scatterFloat64(out: Float64Array, scratch: Float64Array, rows: Int32Array, from: number): void {
  for (let i = from; i < rows.length; i++) {
    const at = rows[i]!
    if (at >= 0) out[at] = scratch[i]!
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
