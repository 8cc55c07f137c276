import { describe, expect, it } from 'bun:test'
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Partitioners } from 'kafkajs'
import { checkPatchTargets, LINEAR_GROUPING, PATCHES, targetOf } from '../../scripts/patches.ts'
import { ROOT } from '../helpers.ts'
import { type Column, corruptRunLength, flipPageByte, parquetBytes, withDeclaredRows } from '../parquet.ts'

type Group = (args: {
  topic: string
  partitionMetadata: unknown[]
  messages: unknown[]
  partitioner: (args: never) => number
}) => Record<string, unknown[]>
const [LINEAR] = PATCHES
const stock = createRequire(import.meta.url)(targetOf(LINEAR!, join(ROOT, 'node_modules'))) as Group
const patched = (() => {
  const module = { exports: undefined as unknown as Group }
  new Function('module', LINEAR_GROUPING)(module)
  return module.exports
})()

const metadata = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1] }))
const messages = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`{"id":"${i % 37}"}`), value: Buffer.from(`v${i}`) }))

describe('the kafkajs patch (scripts/patches.ts)', () => {
  it.each([
    ['no partitions', 0, 5, 'murmur2'],
    ['no messages', 3, 0, 'murmur2'],
    ['one partition', 1, 10, 'murmur2'],
    ['keys over 6 partitions', 6, 500, 'murmur2'],
    ['explicit partitions', 4, 50, 'explicit'],
    ['round robin without keys', 3, 20, 'keyless'],
  ] as const)('%s: the same groups, in the same order, as the stock function', (_, partitions, count, kind) => {
    const list = messages(count).map((m, i) =>
      kind === 'explicit' ? { ...m, partition: (i * 7) % partitions } : kind === 'keyless' ? { value: m.value } : m,
    )
    // Keyless messages go round robin; kafkajs's own starts at a random point, so a counter stands in.
    const roundRobin = () => {
      let n = 0
      return ({ partitionMetadata }: { partitionMetadata: unknown[] }) => n++ % partitionMetadata.length
    }
    const partitioner = () => (kind === 'keyless' ? roundRobin() : Partitioners.DefaultPartitioner())
    const args = () => ({
      topic: 't',
      partitionMetadata: metadata(partitions),
      messages: list,
      partitioner: partitioner(),
    })
    const want = stock(args())
    expect(patched(args())).toEqual(want)
    expect(Object.values(want).flat().length).toBe(partitions === 0 ? 0 : count)
  })
})

const NODE_MODULES = join(ROOT, 'node_modules')
const patchOf = (file: string) => PATCHES.find((p) => p.file === file)!

/** A copy of node_modules' patched packages (package.json and the patched files only). */
function copyTargets(): string {
  const copy = mkdtempSync(join(tmpdir(), 'patched-'))
  for (const patch of PATCHES) {
    mkdirSync(dirname(targetOf(patch, copy)), { recursive: true })
    copyFileSync(join(NODE_MODULES, patch.package, 'package.json'), join(copy, patch.package, 'package.json'))
    copyFileSync(targetOf(patch, NODE_MODULES), targetOf(patch, copy))
  }
  return copy
}

/** hyparquet with its patches applied, as the binary bundles it. */
async function patchedHyparquet(): Promise<typeof import('hyparquet')> {
  const copy = mkdtempSync(join(tmpdir(), 'hyparquet-'))
  cpSync(join(NODE_MODULES, 'hyparquet'), copy, { recursive: true })
  for (const patch of PATCHES.filter((p) => p.package === 'hyparquet')) {
    writeFileSync(join(copy, patch.file), patch.apply(readFileSync(targetOf(patch, NODE_MODULES), 'utf8')))
  }
  return import(join(copy, 'src', 'index.js'))
}

describe('the build checks every patch (scripts/patches.ts)', () => {
  it('each anchor is found once in the file it was written for', () => {
    checkPatchTargets(NODE_MODULES)
    for (const patch of PATCHES) {
      const stock = readFileSync(targetOf(patch, NODE_MODULES), 'utf8')
      expect(patch.apply(stock)).not.toBe(stock)
    }
    expect(() => patchOf('src/encoding.js').apply('// another file\n')).toThrow(
      'patch of hyparquet/src/encoding.js: anchor found 0 times, expected once:',
    )
  })

  it('refuses another version, or another file', () => {
    const copy = copyTargets()
    writeFileSync(join(copy, 'kafkajs', 'package.json'), JSON.stringify({ version: '2.2.5' }))
    expect(() => checkPatchTargets(copy)).toThrow(
      'patch of kafkajs/src/producer/groupMessagesPerPartition.js: written for kafkajs 2.2.4, found 2.2.5; ' +
        'check the file and update scripts/patches.ts',
    )
    writeFileSync(join(copy, 'kafkajs', 'package.json'), JSON.stringify({ version: '2.2.4' }))
    writeFileSync(targetOf(patchOf('src/column.js'), copy), '// changed\n')
    expect(() => checkPatchTargets(copy)).toThrow('patch of hyparquet/src/column.js: the file has sha256 ')
  })
})

describe('the hyparquet patches', () => {
  const rows = 200
  const usage: Column = {
    name: 'cpu_usage',
    data: Array.from({ length: rows }, (_, i) => (i % 3) * 100.5),
    type: 'DOUBLE',
  }
  const count: Column = { name: 'n', data: Array.from({ length: rows }, (_, i) => i), type: 'INT32', encoding: 'PLAIN' }

  async function read(hyparquet: typeof import('hyparquet'), bytes: Uint8Array): Promise<unknown[][]> {
    const file = bytes.slice().buffer as ArrayBuffer
    const out: unknown[][] = []
    await hyparquet.parquetRead({ file, onComplete: (data) => out.push(...(data as unknown[][])) })
    return out
  }

  it('read valid files as the stock hyparquet does: dictionaries, checksums, many row groups, snappy', async () => {
    const patched = await patchedHyparquet()
    const stock = await import('hyparquet')
    for (const options of [
      {},
      { checksums: true },
      { rowGroupSize: 7 },
      { codec: 'SNAPPY' as const, checksums: true },
    ]) {
      const bytes = parquetBytes([usage, count], options)
      const got = await read(patched, bytes)
      expect(got.length).toBe(rows)
      expect(got).toEqual(await read(stock, bytes))
    }
  })

  it('a run longer than its page is an error, not an array that grows without bound', async () => {
    const patched = await patchedHyparquet()
    const bytes = corruptRunLength(parquetBytes([usage]), 'cpu_usage')
    await expect(read(patched, bytes)).rejects.toThrow(
      `parquet run of 2147483580 values overflows the page (${rows} left)`,
    )
  })

  it('a page that declares more values than its row group has rows is an error', async () => {
    const patched = await patchedHyparquet()
    const bytes = withDeclaredRows(parquetBytes([count]), 5)
    await expect(read(patched, bytes)).rejects.toThrow(
      `parquet DATA_PAGE_V2 page declares ${rows} values, the row group has 5 left`,
    )
  })

  it('a page whose bytes do not match its checksum is an error', async () => {
    const patched = await patchedHyparquet()
    const valid = parquetBytes([count], { checksums: true })
    const bytes = flipPageByte(valid, 'n', 4)
    const stock = await import('hyparquet')
    expect(await read(stock, bytes)).not.toEqual(await read(stock, valid)) // stock: a changed value, silently
    await expect(read(patched, bytes)).rejects.toThrow(
      /^parquet page checksum mismatch: the header says \d+, the page has \d+$/,
    )
  })
})
