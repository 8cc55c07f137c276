import { describe, expect, it } from 'bun:test'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type FileMetaData, parquetMetadata } from 'hyparquet'
import { openParquetFile } from '../../src/trace/file.ts'
import { CODECS, type Footer, parseFooter } from '../../src/trace/footer.ts'
import { loadFragments, loadTasks } from '../../src/trace/load.ts'
import { FIXTURES, SURF, temporaryFolders } from '../helpers.ts'
import { alternateGroups, type Column, parquetBytes, rewriteFooter, traceColumns, writeTrace } from '../parquet.ts'

const tempDir = temporaryFolders()

/** The last bytes of a file: its metadata, the metadata's length and PAR1. */
function footerOf(bytes: Uint8Array): Uint8Array {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true)
  return bytes.subarray(bytes.length - 8 - length)
}

/** hyparquet's reading of a footer, in the shape parseFooter gives it. */
function asFooter(metadata: FileMetaData): unknown {
  const chunks = new Map<string, unknown>()
  const names = metadata.row_groups[0]?.columns.map((c) => c.meta_data!.path_in_schema[0]!) ?? []
  for (const name of names) {
    const of = metadata.row_groups.map(
      (g) => g.columns.find((c) => c.meta_data!.path_in_schema[0] === name)!.meta_data!,
    )
    chunks.set(name, {
      type: of[0]!.type,
      path: of[0]!.path_in_schema,
      codec: Uint8Array.from(of, (m) => CODECS.indexOf(m.codec as (typeof CODECS)[number])),
      start: Float64Array.from(of, (m) => Number(m.dictionary_page_offset || m.data_page_offset)),
      size: Float64Array.from(of, (m) => Number(m.total_compressed_size)),
      values: Float64Array.from(of, (m) => Number(m.num_values)),
    })
  }
  return {
    metadata: { ...metadata, row_groups: [] },
    groupRows: Float64Array.from(metadata.row_groups, (g) => Number(g.num_rows)),
    chunks,
  }
}

/** parseFooter's result, with the bookkeeping field of each column left out. */
function plain(footer: Footer): unknown {
  const chunks = new Map(
    [...footer.chunks].map(([name, c]) => [
      name,
      { type: c.type, path: c.path, codec: c.codec, start: c.start, size: c.size, values: c.values },
    ]),
  )
  return { ...footer, chunks }
}

const parquetFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.parquet') && !f.includes('not-parquet') && !f.includes('truncated'))
    .map((f) => join(dir, f))

/** A trace of n tasks of one fragment each (ids t0, t1, ...). */
function manyRows(n: number): { tasks: Column[]; fragments: Column[] } {
  const ids = Array.from({ length: n }, (_, i) => `t${i}`)
  const t0 = Date.UTC(2022, 9, 6, 22)
  return traceColumns({
    tasks: {
      id: { name: 'id', data: ids, type: 'STRING' },
      submission_time: { name: 'submission_time', data: ids.map((_, i) => BigInt(t0 + i * 1000)), type: 'INT64' },
      duration: { name: 'duration', data: ids.map(() => 1000n), type: 'INT64' },
      cpu_count: { name: 'cpu_count', data: ids.map((_, i) => 1 + (i % 4)), type: 'INT32' },
      cpu_capacity: { name: 'cpu_capacity', data: ids.map((_, i) => 1000 + i / 4), type: 'DOUBLE' },
      mem_capacity: { name: 'mem_capacity', data: ids.map((_, i) => BigInt(64 + i)), type: 'INT64' },
    },
    fragments: {
      id: { name: 'id', data: ids, type: 'STRING' },
      duration: { name: 'duration', data: ids.map((_, i) => BigInt(1000 + i)), type: 'INT64' },
      cpu_usage: { name: 'cpu_usage', data: ids.map((_, i) => 500 + i / 8), type: 'DOUBLE' },
    },
  })
}

async function load(dir: string) {
  const tasks = await loadTasks(openParquetFile(join(dir, 'tasks.parquet')))
  const fragments = await loadFragments(openParquetFile(join(dir, 'fragments.parquet')), tasks, {
    strict: false,
    cpuCount: true,
  })
  return { tasks, fragments }
}

describe('the footer, read for the replay (trace/footer.ts)', () => {
  it("agrees with hyparquet's full reading on every fixture and on SURF", () => {
    const files = [...parquetFiles(FIXTURES), ...parquetFiles(SURF)]
    expect(files.length).toBe(25) // 22 fixtures that are parquet files, and SURF's 3
    for (const file of files) {
      const footer = footerOf(readFileSync(file))
      expect([file, plain(parseFooter(footer))]).toEqual([file, asFooter(parquetMetadata(new Uint8Array(footer)))])
    }
  })

  it('agrees on 1,500 one-row groups, snappy and uncompressed, with page checksums', () => {
    const { tasks } = manyRows(1500)
    for (const codec of ['SNAPPY', 'UNCOMPRESSED'] as const) {
      const bytes = parquetBytes(tasks, { rowGroupSize: 1, codec, checksums: true })
      const footer = parseFooter(footerOf(bytes))
      expect(footer.groupRows.length).toBe(1500)
      expect(plain(footer)).toEqual(asFooter(parquetMetadata(new Uint8Array(footerOf(bytes)))))
    }
  }, 30_000)

  const three = parquetBytes(manyRows(3).tasks, { rowGroupSize: 1 })
  it.each([
    [
      'no chunk metadata',
      (m: FileMetaData) => {
        m.row_groups[1]!.columns[2]!.meta_data = undefined
      },
      'parquet column metadata is undefined',
    ],
    [
      'a chunk in another file',
      (m: FileMetaData) => {
        m.row_groups[0]!.columns[0]!.file_path = 'x.parquet'
      },
      'parquet file_path not supported',
    ],
    [
      'a column missing from one group',
      (m: FileMetaData) => void m.row_groups[2]!.columns.splice(1, 1),
      'parquet column "submission_time" has a chunk in 2 of 3 row groups',
    ],
    [
      'a column missing from the first group',
      (m: FileMetaData) => void m.row_groups[0]!.columns.splice(4, 1),
      'parquet column "cpu_capacity" has no chunk in row group 0',
    ],
    [
      'a column twice in one group',
      (m: FileMetaData) => void m.row_groups[1]!.columns.push(m.row_groups[1]!.columns[0]!),
      'parquet column "id" has two chunks in row group 1',
    ],
    [
      'a column of two types',
      (m: FileMetaData) => {
        m.row_groups[1]!.columns[3]!.meta_data!.type = 'INT64'
      },
      'parquet column "cpu_count" is INT32 in one row group, INT64 in another',
    ],
  ])('names what is wrong: %s', (_, edit, error) => {
    expect(() => parseFooter(footerOf(rewriteFooter(three, edit)))).toThrow(error)
  })

  it('names a footer cut short', () => {
    const footer = footerOf(three)
    expect(() => parseFooter(footer.subarray(0, 20))).toThrow('parquet metadata length')
    // The first half of the metadata, its length and PAR1: the reader runs out inside a row group.
    const half = Math.floor((footer.length - 8) / 2)
    const cut = new Uint8Array(half + 8)
    cut.set(footer.subarray(0, half))
    new DataView(cut.buffer).setUint32(half, half, true)
    cut.set(footer.subarray(footer.length - 4), half + 4)
    expect(() => parseFooter(cut)).toThrow('parquet footer ends inside a value')
    // Field 1 an i32, then field 2 of type 10 (a thrift set): parquet's footer has none.
    const set = Uint8Array.of(0x15, 0x02, 0x1a, 0x00, 4, 0, 0, 0, 0x50, 0x41, 0x52, 0x31)
    expect(() => parseFooter(set)).toThrow('thrift unhandled type: 10')
  })
})

describe('row groups read in batches, their chunks joined', () => {
  it('3,000 one-row groups decode to the columns one group gives', async () => {
    const { tasks, fragments } = manyRows(3000)
    const one = await load(writeTrace(tempDir, tasks, fragments))
    const many = await load(writeTrace(tempDir, tasks, fragments, { rowGroupSize: 1 }))
    expect(many).toEqual({
      tasks: { ...one.tasks, path: many.tasks.path },
      fragments: { ...one.fragments, path: many.fragments.path },
    })
  }, 30_000)

  it('groups alternating between two codecs in runs of three (a batch holds one codec) decode the same', async () => {
    const { tasks, fragments } = manyRows(2100)
    const one = await load(writeTrace(tempDir, tasks, fragments))
    const dir = writeTrace(tempDir, tasks, fragments)
    for (const [name, columns] of [
      ['tasks.parquet', tasks],
      ['fragments.parquet', fragments],
    ] as const) {
      const mixed = alternateGroups(
        parquetBytes(columns, { rowGroupSize: 100, codec: 'SNAPPY' }),
        parquetBytes(columns, { rowGroupSize: 100, codec: 'UNCOMPRESSED' }),
        3,
      )
      const footer = parseFooter(footerOf(mixed))
      // Runs of three groups: each run is one batch, its three chunks joined.
      expect([...footer.chunks.get('id')!.codec]).toEqual(
        Array.from({ length: 21 }, (_, g) => (Math.floor(g / 3) % 2 === 0 ? 1 : 0)),
      )
      writeFileSync(join(dir, name), mixed)
    }
    const mixed = await load(dir)
    expect(mixed).toEqual({
      tasks: { ...one.tasks, path: mixed.tasks.path },
      fragments: { ...one.fragments, path: mixed.fragments.path },
    })
  })
})
