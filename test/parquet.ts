/**
 * Parquet files made in the tests, with hyparquet-writer (a dev dependency, not our code), so a
 * test states its whole input: traces with hostile values, many row groups, page checksums.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type FileMetaData, parquetMetadata } from 'hyparquet'
import { parquetHeader } from 'hyparquet/src/column.js'
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer'
import { ByteWriter } from 'hyparquet-writer/src/bytewriter.js'
import { writePageHeader } from 'hyparquet-writer/src/datapage.js'
import { writeMetadata } from 'hyparquet-writer/src/metadata.js'

export type Column = Omit<ColumnSource, 'offsetIndex'>

export interface WriteOptions {
  /** Rows per row group (default: all in one). */
  rowGroupSize?: number
  codec?: 'UNCOMPRESSED' | 'SNAPPY'
  /** Write a crc32 in every page header. */
  checksums?: boolean
}

/** One parquet file's bytes. */
export function parquetBytes(columns: Column[], options: WriteOptions = {}): Uint8Array {
  const rows = columns[0]?.data.length ?? 0
  const buffer = parquetWriteBuffer({
    columnData: columns.map((c) => ({ ...c, offsetIndex: false })),
    codec: options.codec ?? 'UNCOMPRESSED',
    rowGroupSize: options.rowGroupSize ?? Math.max(rows, 1),
  })
  const bytes = new Uint8Array(buffer)
  return options.checksums ? withChecksums(bytes) : bytes
}

/** The same file with a crc32 of each page in its header (offsets in the footer moved to match). */
export function withChecksums(bytes: Uint8Array): Uint8Array {
  const metadata: FileMetaData = parquetMetadata(new Uint8Array(bytes).buffer)
  const out = new ByteWriter()
  out.appendBytes(new TextEncoder().encode('PAR1'))
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data!
      const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset)
      const end = start + Number(meta.total_compressed_size)
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset), offset: start }
      const chunkStart = out.offset
      let dataSeen = false
      while (reader.offset < end) {
        const header = parquetHeader(reader)
        const page = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size)
        reader.offset += header.compressed_page_size
        if (header.type === 'DICTIONARY_PAGE') meta.dictionary_page_offset = BigInt(out.offset)
        else if (!dataSeen) {
          meta.data_page_offset = BigInt(out.offset)
          dataSeen = true
        }
        writePageHeader(out, { ...header, crc: Bun.hash.crc32(page) | 0 })
        out.appendBytes(page)
      }
      meta.total_compressed_size = BigInt(out.offset - chunkStart)
      chunk.file_offset = BigInt(chunkStart)
    }
  }
  const footerStart = out.offset
  writeMetadata(out, metadata)
  out.appendUint32(out.offset - footerStart)
  out.appendBytes(new TextEncoder().encode('PAR1'))
  return new Uint8Array(out.getBuffer())
}

/** A trace folder, made by the test file's `tempDir`: tasks.parquet and fragments.parquet. */
export function writeTrace(
  tempDir: (prefix: string) => string,
  tasks: Column[],
  fragments: Column[],
  options: WriteOptions = {},
): string {
  const dir = tempDir('opendt-trace-')
  writeFileSync(join(dir, 'tasks.parquet'), parquetBytes(tasks, options))
  writeFileSync(join(dir, 'fragments.parquet'), parquetBytes(fragments, options))
  return dir
}

const T0 = Date.UTC(2022, 9, 6, 22)

/** The columns of a small valid trace (v4: fragments without cpu_count); override any of them. */
export function traceColumns(overrides: { tasks?: Record<string, Column>; fragments?: Record<string, Column> } = {}): {
  tasks: Column[]
  fragments: Column[]
} {
  const tasks: Record<string, Column> = {
    id: { name: 'id', data: ['a', 'b'], type: 'STRING' },
    submission_time: { name: 'submission_time', data: [BigInt(T0), BigInt(T0 + 1000)], type: 'INT64' },
    duration: { name: 'duration', data: [BigInt(2000), BigInt(1000)], type: 'INT64' },
    cpu_count: { name: 'cpu_count', data: [1, 2], type: 'INT32' },
    cpu_capacity: { name: 'cpu_capacity', data: [1000, 2000], type: 'DOUBLE' },
    mem_capacity: { name: 'mem_capacity', data: [BigInt(64), BigInt(128)], type: 'INT64' },
    ...overrides.tasks,
  }
  const fragments: Record<string, Column> = {
    id: { name: 'id', data: ['a', 'a', 'b'], type: 'STRING' },
    duration: { name: 'duration', data: [BigInt(1000), BigInt(1000), BigInt(1000)], type: 'INT64' },
    cpu_usage: { name: 'cpu_usage', data: [500, 600, 700], type: 'DOUBLE' },
    ...overrides.fragments,
  }
  return { tasks: Object.values(tasks), fragments: Object.values(fragments) }
}

/** Where a column's first data page's bytes start (after its header) and end, in the file. */
export function dataPageOf(bytes: Uint8Array, column: string): { start: number; end: number } {
  const metadata = parquetMetadata(new Uint8Array(bytes).buffer)
  const chunk = metadata.row_groups[0]!.columns.find((c) => c.meta_data!.path_in_schema[0] === column)!
  const reader = {
    view: new DataView(bytes.buffer, bytes.byteOffset),
    offset: Number(chunk.meta_data!.data_page_offset),
  }
  const header = parquetHeader(reader)
  return { start: reader.offset, end: reader.offset + header.compressed_page_size }
}

/**
 * One corrupt byte run: the first run header of a dictionary-encoded data page (after its
 * bit-width byte) made to declare about 2^31 repeats. Uncompressed, required column, page v2.
 */
export function corruptRunLength(bytes: Uint8Array, column: string): Uint8Array {
  const out = new Uint8Array(bytes)
  const { start } = dataPageOf(out, column)
  out.set([0xfe, 0xff, 0xff, 0xff, 0x0f], start + 1)
  return out
}

/** The file with one byte of a column's first data page flipped. */
export function flipPageByte(bytes: Uint8Array, column: string, at = 0): Uint8Array {
  const out = new Uint8Array(bytes)
  const { start } = dataPageOf(out, column)
  out[start + at] = out[start + at]! ^ 0xff
  return out
}

/** The file whose footer claims `rows` rows per row group (fewer than its pages hold). */
export function withDeclaredRows(bytes: Uint8Array, rows: number): Uint8Array {
  return rewriteFooter(bytes, (metadata) => {
    for (const group of metadata.row_groups) group.num_rows = BigInt(rows)
    metadata.num_rows = BigInt(rows * metadata.row_groups.length)
  })
}

/** The file with its footer edited (the pages stay as they are). */
export function rewriteFooter(bytes: Uint8Array, edit: (metadata: FileMetaData) => void): Uint8Array {
  const metadata = parquetMetadata(new Uint8Array(bytes).buffer)
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true)
  edit(metadata)
  const out = new ByteWriter()
  out.appendBytes(bytes.subarray(0, bytes.length - 8 - length))
  const footerStart = out.offset
  writeMetadata(out, metadata)
  out.appendUint32(out.offset - footerStart)
  out.appendBytes(new TextEncoder().encode('PAR1'))
  return new Uint8Array(out.getBuffer())
}

/**
 * Two files of one schema and as many row groups, as one file whose row groups alternate between
 * them in runs of `run`: the first run from `a`, the next from `b` (say, one compressed and one not).
 */
export function alternateGroups(a: Uint8Array, b: Uint8Array, run: number): Uint8Array {
  const footerLength = (bytes: Uint8Array) =>
    new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true)
  const metaA = parquetMetadata(new Uint8Array(a).buffer)
  const metaB = parquetMetadata(new Uint8Array(b).buffer)
  const bodyA = a.subarray(0, a.length - 8 - footerLength(a))
  const bodyB = b.subarray(4, b.length - 8 - footerLength(b)) // without its leading PAR1
  const shift = BigInt(bodyA.length - 4) // b's page at offset o lands at o + shift
  const moved = (o: bigint | undefined) => (o === undefined ? undefined : o + shift)
  metaA.row_groups = metaA.row_groups.map((group, g) => {
    if (Math.floor(g / run) % 2 === 0) return group
    const other = metaB.row_groups[g]!
    for (const chunk of other.columns) {
      const meta = chunk.meta_data!
      meta.data_page_offset = moved(meta.data_page_offset)!
      meta.dictionary_page_offset = moved(meta.dictionary_page_offset)
      chunk.file_offset = moved(chunk.file_offset)!
    }
    return other
  })
  const out = new ByteWriter()
  out.appendBytes(bodyA)
  out.appendBytes(bodyB)
  const footerStart = out.offset
  writeMetadata(out, metaA)
  out.appendUint32(out.offset - footerStart)
  out.appendBytes(new TextEncoder().encode('PAR1'))
  return new Uint8Array(out.getBuffer())
}
