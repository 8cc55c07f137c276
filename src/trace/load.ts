import zlib from 'node:zlib'
import { type Compressors, type FileMetaData, parquetRead } from 'hyparquet'
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
import { CODECS, type ColumnChunks, type Footer, parseFooter } from './footer.ts'
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
  /** The file's bytes, read on demand (trace/file.ts): synchronously, so batches can be joined as they are planned. */
  buffer: SyncBuffer
  /** Releases the file, once decoding is done. */
  close?(): void
}

/** A file's bytes by range, read at once: hyparquet's AsyncBuffer, without the promise. */
export interface SyncBuffer {
  byteLength: number
  slice(start: number, end?: number): ArrayBuffer
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
  /** The footer: hyparquet's metadata without row groups, and each column's chunks (trace/footer.ts). */
  footer: Footer
  rows: number
  columns: Map<string, ResolvedColumn>
}

async function openTable(source: ParquetSource, specs: typeof TASK_COLUMNS): Promise<Table> {
  const footer = readFooter(source)
  const resolved = resolveColumns(source.path, footer.metadata, specs)
  decodeInt64AsNumbers(footer.metadata, resolved)
  return {
    source,
    footer,
    rows: Number(footer.metadata.num_rows),
    columns: new Map(resolved.map((c) => [c.name, c])),
  }
}

/** A parquet file's footer, checked: PAR1 at both ends, then the metadata parsed (trace/footer.ts). */
export function readFooter(source: ParquetSource): Footer {
  checkMagic(source)
  try {
    const size = source.buffer.byteLength
    const length = new DataView(source.buffer.slice(size - 8, size - 4)).getUint32(0, true)
    if (length > size - 12) throw new Error(`parquet metadata length ${length} exceeds the file (${size} bytes)`)
    return parseFooter(new Uint8Array(source.buffer.slice(size - 8 - length, size)))
  } catch (cause) {
    throw badInput(`${source.path}: corrupt parquet file (${message(cause)})`, cause)
  }
}

const PAR1 = 0x31524150 // "PAR1" read as a little-endian uint32

/** A parquet file starts and ends with PAR1: tell "not parquet" from "cut short". */
function checkMagic({ path, buffer }: ParquetSource): void {
  const size = buffer.byteLength
  const head = size >= 4 ? new DataView(buffer.slice(0, 4)).getUint32(0, true) : 0
  if (head !== PAR1) throw badInput(`${path}: not a parquet file (it does not start with PAR1; ${size} bytes)`)
  const tail = size >= 12 ? new DataView(buffer.slice(size - 4, size)).getUint32(0, true) : 0
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
    let bytesSince = 0
    for (const { rowStart, bytes, file, metadata } of batches(table, name)) {
      // The previous batches' decoded arrays are garbage now: collect them before this batch adds
      // its own (left to the collector, 10x SURF peaked 120 MB higher). A column read in one
      // batch, as most files' are, pays nothing. Garbage follows the rows and bytes decoded, not
      // the batches: a batch of 1,024 one-row groups is one read of 1,024 rows.
      if (rowsSince >= GC_AFTER_ROWS || bytesSince >= GC_AFTER_BYTES) {
        Bun.gc(true)
        rowsSince = 0
        bytesSince = 0
      }
      rowsSince += Number(metadata.num_rows)
      bytesSince += bytes
      await parquetRead({
        file,
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
/** A full collection before the next batch once this many rows or compressed bytes were read since the last (readColumn). */
const GC_AFTER_ROWS = 1 << 18
const GC_AFTER_BYTES = 64 << 20

/**
 * Whole row groups, a batch at a time, for one column. hyparquet plans, reads and assembles each
 * row group of a read on its own, at a cost per group that a file of 20,000 one-row groups pays
 * 20,000 times per column. So a batch's chunks of the column are read as one: their bytes, each a
 * dictionary page (if any) then data pages, are laid end to end and handed to hyparquet as one
 * chunk of one row group. hyparquet reads a chunk page by page and takes each dictionary page as
 * the dictionary of the data pages after it, so each group's pages decode as they would alone.
 * A batch holds groups of one codec only. A single group is read where it lies in the file.
 */
function* batches(
  table: Table,
  name: string,
): Generator<{ rowStart: number; bytes: number; file: SyncBuffer; metadata: FileMetaData }> {
  const { groupRows } = table.footer
  const chunks = table.footer.chunks.get(name)
  if (groupRows.length > 0 && !chunks) throw new Error(`no column chunks for "${name}"`)
  let rowStart = 0
  for (let g = 0; g < groupRows.length; ) {
    const c = chunks!
    let rows = 0
    let bytes = 0
    let values = 0
    const first = g
    while (g < groupRows.length && g - first < BATCH_GROUPS) {
      const size = c.size[g]!
      if (
        g > first &&
        (bytes + size > BATCH_BYTES || rows + groupRows[g]! > BATCH_ROWS || c.codec[g] !== c.codec[first])
      ) {
        break
      }
      bytes += size
      rows += groupRows[g]!
      values += c.values[g]!
      g++
    }
    let file: SyncBuffer = table.source.buffer
    let offset = c.start[first]!
    if (g - first > 1) {
      const joined = joinChunks(table.source.buffer, c, first, g, bytes)
      const buffer = joined.buffer as ArrayBuffer
      // hyparquet asks for the whole chunk: handed over as it is, not copied again.
      file = {
        byteLength: bytes,
        slice: (start, end = bytes) => (start === 0 && end === bytes ? buffer : buffer.slice(start, end)),
      }
      offset = 0
    }
    const meta_data = {
      type: c.type,
      encodings: [],
      path_in_schema: c.path,
      codec: CODECS[c.codec[first]!]!,
      num_values: BigInt(values),
      total_uncompressed_size: 0n,
      total_compressed_size: BigInt(bytes),
      data_page_offset: BigInt(offset),
    } as FileMetaData['row_groups'][number]['columns'][number]['meta_data']
    const group = { columns: [{ file_offset: 0n, meta_data }], num_rows: BigInt(rows), total_byte_size: BigInt(bytes) }
    yield { rowStart, bytes, file, metadata: { ...table.footer.metadata, row_groups: [group], num_rows: BigInt(rows) } }
    rowStart += rows
  }
}

/**
 * Chunks first..last-1 of a column, end to end. Where they lie in file order within a span not much
 * larger than themselves (the other columns' chunks between them), the span is read at once: one
 * read instead of one per group.
 */
function joinChunks(file: SyncBuffer, c: ColumnChunks, first: number, last: number, bytes: number): Uint8Array {
  const joined = new Uint8Array(bytes)
  const from = c.start[first]!
  const to = c.start[last - 1]! + c.size[last - 1]!
  let ordered = true
  for (let k = first + 1; k < last && ordered; k++) ordered = c.start[k]! >= c.start[k - 1]! + c.size[k - 1]!
  const span = ordered && to - from <= 8 * bytes + (1 << 20) ? new Uint8Array(file.slice(from, to)) : undefined
  for (let k = first, at = 0; k < last; at += c.size[k]!, k++) {
    const start = c.start[k]!
    const end = start + c.size[k]!
    joined.set(span ? span.subarray(start - from, end - from) : new Uint8Array(file.slice(start, end)), at)
  }
  return joined
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
