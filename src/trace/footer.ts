import { type FileMetaData, parquetMetadata } from 'hyparquet'

/**
 * A parquet file's footer, read for what a replay needs of it. hyparquet decodes every field of
 * every column chunk, statistics included, into objects with one BigInt per 64-bit value: a
 * pyarrow file of 20,000 one-row groups has a 12.5 MB footer that took it 0.8-1.5 s to parse, and
 * the 120,000 parsed chunks made each later garbage collection slow. Here the row groups are
 * decoded by a reader that keeps, per column, where each group's chunk lies and how it is
 * compressed, in typed arrays, and skips the rest (statistics, page indexes) without making
 * objects. Everything else in the footer (the schema, key-value metadata) is still hyparquet's,
 * parsed from a copy of the footer whose row-group list is emptied.
 */
export interface Footer {
  /** hyparquet's metadata, without row groups (`row_groups` is empty): schema, num_rows, ... */
  metadata: FileMetaData
  /** Rows of each row group. */
  groupRows: Float64Array
  /** Per top-level column (path_in_schema[0]): its chunk in each row group. */
  chunks: Map<string, ColumnChunks>
}

/** One column's chunks, one entry per row group. */
export interface ColumnChunks {
  /** Physical type (hyparquet's spelling: INT64, BYTE_ARRAY, ...), the same in every group. */
  type: string
  /** path_in_schema as hyparquet reads it. */
  path: string[]
  /** Codec index into CODECS. */
  codec: Uint8Array
  /** The chunk's first byte (its dictionary page, else its first data page) and its length. */
  start: Float64Array
  size: Float64Array
  /** Values in the chunk. */
  values: Float64Array
}

/** Parquet's codecs, in hyparquet's spelling, by their number in the footer. */
export const CODECS = ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'LZO', 'BROTLI', 'LZ4', 'ZSTD', 'LZ4_RAW'] as const

/** `footer`: the file's last bytes, at least the metadata, its length and PAR1. */
export function parseFooter(footer: Uint8Array): Footer {
  if (footer.byteLength < 8) throw new Error('parquet file is too short')
  const view = new DataView(footer.buffer, footer.byteOffset, footer.byteLength)
  const length = view.getUint32(footer.byteLength - 8, true)
  if (length > footer.byteLength - 8) {
    throw new Error(`parquet metadata length ${length} exceeds available buffer ${footer.byteLength - 8}`)
  }
  const reader = new Reader(footer, footer.byteLength - 8 - length, footer.byteLength - 8)
  // FileMetaData: field 4 is the row groups; each other field is skipped here.
  let index: GroupIndex | undefined
  let listAt = -1
  let listEnd = -1
  for (let f = reader.field(0); f !== 0; f = reader.field(f)) {
    if (f >> 4 === 4 && (f & 0x0f) === LIST) {
      listAt = reader.at
      index = new GroupIndex(reader.listSize())
      for (let g = 0; g < index.groupRows.length; g++) rowGroup(reader, index, g)
      listEnd = reader.at
    } else reader.skip(f & 0x0f)
  }
  if (!index) throw new Error('parquet footer has no row groups list')
  // The same footer with an empty row-group list (one byte: size 0, element type struct).
  const rest = new Uint8Array(footer.byteLength - (listEnd - listAt) + 1)
  rest.set(footer.subarray(0, listAt), 0)
  rest[listAt] = STRUCT
  rest.set(footer.subarray(listEnd), listAt + 1)
  new DataView(rest.buffer).setUint32(rest.byteLength - 8, length - (listEnd - listAt) + 1, true)
  const metadata = parquetMetadata(rest)
  for (const [name, c] of index.chunks) {
    if (c.filled !== index.groupRows.length) {
      throw new Error(`parquet column "${name}" has a chunk in ${c.filled} of ${index.groupRows.length} row groups`)
    }
  }
  return { metadata: { ...metadata, metadata_length: length }, groupRows: index.groupRows, chunks: index.chunks }
}

/** The row groups as they are read: rows per group, and each column's chunks. */
class GroupIndex {
  readonly groupRows: Float64Array
  readonly chunks = new Map<string, ColumnChunks & { filled: number }>()
  /** Chunk i's path_in_schema as the last group spelled it, raw and read: every group repeats it. */
  private readonly paths: { raw: Uint8Array; path: string[] }[] = []

  constructor(groups: number) {
    this.groupRows = new Float64Array(groups)
  }

  /** The path_in_schema list at the reader, of the group's chunk i: decoded only when it differs from the last group's. */
  path(i: number, r: Reader): string[] {
    const known = this.paths[i]
    if (known && r.skipIfNext(known.raw)) return known.path
    const raw = r.rawList()
    const path = new Reader(raw, 0, raw.length).list((e) => text.decode(e.binary()))
    this.paths[i] = { raw, path }
    return path
  }

  column(path: string[], type: string, group: number): ColumnChunks & { filled: number } {
    const name = path[0] ?? ''
    let c = this.chunks.get(name)
    if (!c) {
      const n = this.groupRows.length
      c = {
        type,
        path,
        codec: new Uint8Array(n),
        start: new Float64Array(n),
        size: new Float64Array(n),
        values: new Float64Array(n),
        filled: 0,
      }
      this.chunks.set(name, c)
    }
    if (c.filled > group) throw new Error(`parquet column "${name}" has two chunks in row group ${group}`)
    if (c.filled < group) throw new Error(`parquet column "${name}" has no chunk in row group ${c.filled}`)
    if (c.type !== type) throw new Error(`parquet column "${name}" is ${c.type} in one row group, ${type} in another`)
    c.filled++
    return c
  }
}

/** Thrift compact protocol types (parquet's footer uses these). */
const TRUE = 1
const FALSE = 2
const BYTE = 3
const I16 = 4
const I32 = 5
const I64 = 6
const DOUBLE = 7
const BINARY = 8
const LIST = 9
const STRUCT = 12

const PARQUET_TYPES = ['BOOLEAN', 'INT32', 'INT64', 'INT96', 'FLOAT', 'DOUBLE', 'BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY']

const text = new TextDecoder()

/** RowGroup g: its column chunks (field 1) and rows (field 3). */
function rowGroup(r: Reader, index: GroupIndex, g: number): void {
  for (let f = r.field(0); f !== 0; f = r.field(f)) {
    const id = f >> 4
    const type = f & 0x0f
    if (id === 1 && type === LIST) {
      const n = r.listSize()
      for (let i = 0; i < n; i++) columnChunk(r, index, g, i)
    } else if (id === 3 && type === I64) index.groupRows[g] = r.long()
    else r.skip(type)
  }
}

/** ColumnChunk: a file_path (field 1) is refused, as hyparquet does; meta_data (field 3) is read. */
function columnChunk(r: Reader, index: GroupIndex, g: number, i: number): void {
  let read = false
  for (let f = r.field(0); f !== 0; f = r.field(f)) {
    const id = f >> 4
    const type = f & 0x0f
    if (id === 1 && type === BINARY) throw new Error('parquet file_path not supported')
    if (id === 3 && type === STRUCT) {
      columnMetaData(r, index, g, i)
      read = true
    } else r.skip(type)
  }
  if (!read) throw new Error('parquet column metadata is undefined')
}

/** ColumnMetaData: where the chunk's pages are and how they are compressed; the rest is skipped. */
function columnMetaData(r: Reader, index: GroupIndex, g: number, i: number): void {
  let type = -1
  let path: string[] | undefined
  let codec = -1
  let values = -1
  let size = -1
  let data = -1
  let dictionary = 0
  for (let f = r.field(0); f !== 0; f = r.field(f)) {
    const id = f >> 4
    const t = f & 0x0f
    if (id === 1 && t === I32) type = r.int()
    else if (id === 3 && t === LIST) path = index.path(i, r)
    else if (id === 4 && t === I32) codec = r.int()
    else if (id === 5 && t === I64) values = r.long()
    else if (id === 7 && t === I64) size = r.long()
    else if (id === 9 && t === I64) data = r.long()
    else if (id === 11 && t === I64) dictionary = r.long()
    else r.skip(t)
  }
  const typeName = PARQUET_TYPES[type]
  if (!typeName || !path || !CODECS[codec] || values < 0 || size < 0 || data < 0) {
    throw new Error(`parquet column metadata of row group ${g} is incomplete or out of range`)
  }
  const c = index.column(path, typeName, g)
  c.codec[g] = codec
  // As hyparquet reads a chunk: from its dictionary page if it names one, else its first data page.
  c.start[g] = dictionary || data
  c.size[g] = size
  c.values[g] = values
}

/** A thrift compact-protocol reader over the footer, checked against its end. */
class Reader {
  at: number
  private readonly bytes: Uint8Array
  private readonly end: number

  constructor(bytes: Uint8Array, at: number, end: number) {
    this.bytes = bytes
    this.at = at
    this.end = end
  }

  private byte(): number {
    if (this.at >= this.end) throw new Error('parquet footer ends inside a value')
    return this.bytes[this.at++]!
  }

  /** An unsigned varint, exact below 2^53. */
  private varint(): number {
    let result = 0
    let scale = 1
    for (;;) {
      const b = this.byte()
      result += (b & 0x7f) * scale
      if (!(b & 0x80)) return result
      scale *= 128
      if (scale > 2 ** 63) throw new Error('parquet footer has a varint over 64 bits')
    }
  }

  /** A zigzag i16/i32. */
  int(): number {
    const z = this.varint()
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2
  }

  /** A zigzag i64, as a number: exact below 2^53, which every size, offset and count here is. */
  long(): number {
    const z = this.varint()
    if (z > Number.MAX_SAFE_INTEGER) throw new Error('parquet footer has a 64-bit value beyond 2^53')
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2
  }

  binary(): Uint8Array {
    const length = this.varint()
    if (this.at + length > this.end) {
      throw new Error(`thrift binary length ${length} exceeds remaining ${this.end - this.at} bytes`)
    }
    const bytes = this.bytes.subarray(this.at, this.at + length)
    this.at += length
    return bytes
  }

  /**
   * A struct's next field header, after the field `previous` (0 before the first): its id times
   * 16 plus its type, or 0 at the struct's end. The caller reads or skips the value.
   */
  field(previous: number): number {
    const b = this.byte()
    const type = b & 0x0f
    if (type === 0) return 0
    const delta = b >> 4
    return (delta ? (previous >> 4) + delta : this.int()) * 16 + type
  }

  /** A list's header: how many elements follow (the caller reads them). */
  listSize(): number {
    return this.listHeader().size
  }

  /** A list's header, then each element read by `element`. */
  list<T>(element: (r: Reader) => T): T[] {
    const { size } = this.listHeader()
    const out = new Array<T>(size)
    for (let i = 0; i < size; i++) out[i] = element(this)
    return out
  }

  /** Whether the next bytes are `expected`; if so, they are passed over. */
  skipIfNext(expected: Uint8Array): boolean {
    const n = expected.length
    if (this.at + n > this.end) return false
    for (let k = 0; k < n; k++) if (this.bytes[this.at + k] !== expected[k]) return false
    this.at += n
    return true
  }

  /** A list's bytes, header included, passed over. */
  rawList(): Uint8Array {
    const at = this.at
    this.skip(LIST)
    return this.bytes.subarray(at, this.at)
  }

  private listHeader(): { size: number; type: number } {
    const b = this.byte()
    const size = b >> 4 === 15 ? this.varint() : b >> 4
    if (size > this.end - this.at) throw new Error(`thrift list of ${size} elements exceeds the footer`)
    return { size, type: b & 0x0f }
  }

  /** Passes over a value of `type` without keeping it. */
  skip(type: number): void {
    switch (type) {
      case TRUE:
      case FALSE:
        return
      case BYTE:
        this.byte()
        return
      case I16:
      case I32:
      case I64:
        while (this.byte() & 0x80) {}
        return
      case DOUBLE:
        if (this.at + 8 > this.end) throw new Error('parquet footer ends inside a value')
        this.at += 8
        return
      case BINARY:
        this.binary()
        return
      case LIST: {
        const { size, type: element } = this.listHeader()
        // A list of booleans holds one byte per element.
        for (let i = 0; i < size; i++) this.skip(element === TRUE || element === FALSE ? BYTE : element)
        return
      }
      case STRUCT:
        for (let f = this.field(0); f !== 0; f = this.field(f)) this.skip(f & 0x0f)
        return
      default:
        // Parquet's footer has no sets or maps: as hyparquet, a value of another type is corruption.
        throw new Error(`thrift unhandled type: ${type}`)
    }
  }
}
