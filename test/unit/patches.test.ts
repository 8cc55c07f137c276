import { afterAll, describe, expect, it } from 'bun:test'
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Partitioners } from 'kafkajs'
import { checkPatchTargets, PATCHES, targetOf } from '../../patches/index.ts'
import { groupMessagesPerPartition } from '../../patches/kafkajs/group-messages.ts'
import { applied, bundlePlugin } from '../../patches/plugin.ts'
import { NODE_MODULES, stockCopy } from '../../patches/stock.ts'
import { murmur2 } from '../../src/core/shard.ts'
import { type Column, corruptRunLength, flipPageByte, parquetBytes, withDeclaredRows } from '../parquet.ts'

/**
 * The dependency patches (patches/), as this test process loads them: bunfig.toml preloads the
 * runtime plugin, so kafkajs and hyparquet from node_modules are the patched ones, the same
 * patches the binary bundles. Each is compared with the stock module, from a copy of the package
 * outside node_modules (patches/stock.ts).
 */
const stockKafkajs = stockCopy('kafkajs')
const stockHyparquet = stockCopy('hyparquet')
afterAll(() => {
  stockKafkajs.remove()
  stockHyparquet.remove()
})
const requireHere = createRequire(import.meta.url)
/** A kafkajs file as this process loads it. */
const loaded = (file: string) => requireHere(join(NODE_MODULES, 'kafkajs', file))
const stock = (file: string) => stockKafkajs.require(file)

describe('this process loads the patched modules (bunfig.toml preloads patches/preload.ts)', () => {
  it('every patch is applied when its file is loaded, whichever way it is loaded', async () => {
    for (const patch of PATCHES.filter((p) => p.package === 'kafkajs')) loaded(patch.file)
    await import('hyparquet')
    expect([...applied].sort()).toEqual(PATCHES.map((p) => `${p.package}/${p.file}`).sort())
  })

  it("kafkajs's producer groups with the patch's function, and hashes keys with core/shard.ts's murmur2", () => {
    expect(loaded('src/producer/groupMessagesPerPartition.js')).toBe(groupMessagesPerPartition)
    expect(loaded('src/producer/partitioners/default/murmur2.js')).not.toBe(
      stock('src/producer/partitioners/default/murmur2.js'),
    )
  })
})

type Group = (args: {
  topic: string
  partitionMetadata: unknown[]
  messages: unknown[]
  partitioner: (args: never) => number
}) => Record<string, unknown[]>

const metadata = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1] }))
const messages = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`{"id":"${i % 37}"}`), value: Buffer.from(`v${i}`) }))

describe('the grouping patch (patches/kafkajs/group-messages.ts)', () => {
  const GROUP = 'src/producer/groupMessagesPerPartition.js'
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
    const want = (stock(GROUP) as Group)(args())
    expect((loaded(GROUP) as Group)(args())).toEqual(want)
    expect(Object.values(want).flat().length).toBe(partitions === 0 ? 0 : count)
  })
})

const patchOf = (file: string) => PATCHES.find((p) => p.file === file)!

/** A folder like node_modules holding the patched packages' package.json and target files only; removed after `use`. */
async function withTargets(use: (copy: string) => Promise<void> | void): Promise<void> {
  const copy = mkdtempSync(join(tmpdir(), 'opendt-targets-'))
  try {
    for (const patch of PATCHES) {
      mkdirSync(dirname(targetOf(patch, copy)), { recursive: true })
      copyFileSync(join(NODE_MODULES, patch.package, 'package.json'), join(copy, patch.package, 'package.json'))
      copyFileSync(targetOf(patch, NODE_MODULES), targetOf(patch, copy))
    }
    await use(copy)
  } finally {
    rmSync(copy, { recursive: true, force: true })
  }
}

describe('every patch is checked (patches/index.ts)', () => {
  it('each anchor is found once in the file it was written for', async () => {
    checkPatchTargets(NODE_MODULES)
    for (const patch of PATCHES) {
      const source = await Bun.file(targetOf(patch, NODE_MODULES)).text()
      expect(patch.apply(source)).not.toBe(source)
    }
    expect(() => patchOf('src/encoding.js').apply('// another file\n')).toThrow(
      'patch of hyparquet/src/encoding.js: anchor found 0 times, expected once:',
    )
    expect(() => patchOf('src/protocol/encoder.js').apply('exports.a = 1\n')).toThrow(
      'patch of kafkajs/src/protocol/encoder.js: anchor found 0 times, expected once: module.exports',
    )
  })

  it('refuses another version, or another file', () =>
    withTargets((copy) => {
      writeFileSync(join(copy, 'kafkajs', 'package.json'), JSON.stringify({ version: '2.2.5' }))
      expect(() => checkPatchTargets(copy)).toThrow(
        'patch of kafkajs/src/producer/groupMessagesPerPartition.js: written for kafkajs 2.2.4, found 2.2.5; ' +
          'check the file and update patches/ (docs/dependencies.md)',
      )
      writeFileSync(join(copy, 'kafkajs', 'package.json'), JSON.stringify({ version: '2.2.4' }))
      writeFileSync(targetOf(patchOf('src/column.js'), copy), '// changed\n')
      expect(() => checkPatchTargets(copy)).toThrow('patch of hyparquet/src/column.js: the file has sha256 ')
    }))

  it("the bundler's hook refuses them too (the runtime's is the same hook)", async () => {
    // A copy of kafkajs in a node_modules folder of its own, and a bundle of one patched file of it.
    const root = mkdtempSync(join(tmpdir(), 'opendt-bundle-'))
    try {
      const modules = join(root, 'node_modules')
      cpSync(join(NODE_MODULES, 'kafkajs'), join(modules, 'kafkajs'), { recursive: true })
      const patch = patchOf('src/producer/partitioners/default/murmur2.js')
      writeFileSync(join(root, 'entry.js'), `require(${JSON.stringify(targetOf(patch, modules))})\n`)
      const bundle = () => {
        const { plugin } = bundlePlugin([patch])
        return Bun.build({ entrypoints: [join(root, 'entry.js')], target: 'bun', plugins: [plugin] })
      }
      expect((await bundle()).success).toBe(true)
      writeFileSync(join(modules, 'kafkajs', 'package.json'), JSON.stringify({ version: '2.3.0' }))
      const failed = await bundle().then(
        () => [],
        (e: AggregateError) => e.errors.map((log: Error) => log.message),
      )
      expect(failed).toEqual([
        'patch of kafkajs/src/producer/partitioners/default/murmur2.js: written for kafkajs 2.2.4, found 2.3.0; ' +
          'check the file and update patches/ (docs/dependencies.md)',
      ])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe('the kafkajs encoding patches: the same bytes as the stock modules', () => {
  const patched = loaded
  type RecordFn = (r: Record<string, unknown>) => { buffer: Buffer }
  const RECORD = 'src/protocol/recordBatch/record/v0/index.js'
  const key = Buffer.from('{"id":"2133099"}')
  const value = Buffer.from('{"submission_time":"2022-10-06T22:00:30Z","duration":30000,"cpu_usage":1953.0}')
  // The replay's kinds (fast path), then kinds only the stock path takes (kept as it was).
  const records: Record<string, unknown>[] = [
    { key, value },
    { key: null, value },
    { key, value: null },
    { key: Buffer.alloc(0), value: Buffer.alloc(0) },
    { key, value, headers: { 'opendt-due': '1700000000000.123' } },
    { key, value, headers: { a: Buffer.from('b'), é: 'ü', empty: '' } },
    { key, value, offsetDelta: 70_000, timestampDelta: -5 },
    { key, value: Buffer.alloc(1 << 20, 1), offsetDelta: 2 ** 31 - 1, timestampDelta: -(2 ** 31) },
    { key, value, timestampDelta: 2 ** 40 },
    { key: 'text', value: 'ü' },
    { key, value, headers: { a: ['1', '2'] } },
  ]

  it.each(records.map((r, i) => [i, r]))('record %d', (_, record) => {
    const want = (stock(RECORD) as RecordFn)(record).buffer
    expect((patched(RECORD) as RecordFn)(record).buffer.equals(want)).toBe(true)
  })

  it('a record batch of 5,000 records, uncompressed and gzip, with its CRC32C', async () => {
    type Batch = (b: Record<string, unknown>) => Promise<{ buffer: Buffer }>
    const BATCH = 'src/protocol/recordBatch/v0/index.js'
    const encode = async (get: (file: string) => unknown, compression: number) => {
      const Record = get(RECORD) as RecordFn
      const list = Array.from({ length: 5000 }, (_, i) =>
        Record({
          key,
          value: Buffer.from(`${value}${i}`),
          offsetDelta: i,
          timestampDelta: i % 7,
          headers: { h: `${i}` },
        }),
      )
      const { RecordBatch } = get(BATCH) as { RecordBatch: Batch }
      return (
        await RecordBatch({ records: list, compression, firstTimestamp: 1, maxTimestamp: 7, lastOffsetDelta: 4999 })
      ).buffer
    }
    for (const compression of [0, 1]) {
      const want = await encode(stock, compression)
      expect([compression, (await encode(patched, compression)).equals(want)]).toEqual([compression, true])
    }
  })

  it('produce requests of large and small records, as sent: the same bytes, and size() before they are read', async () => {
    type Encoded = { buffer: Buffer; size(): number }
    type Envelope = (r: { correlationId: number; clientId: string; request: unknown }) => Promise<Encoded>
    type Produce = (r: Record<string, unknown>) => { encode(): Promise<Encoded> }
    const PRODUCE = 'src/protocol/requests/produce/v3/request.js'
    const ENVELOPE = 'src/protocol/request.js'
    const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * seed) & 0xff))
    const message = (n: number, i: number) => ({
      key: Buffer.from(`${i}`),
      value: bytes(n, i + 3),
      timestamp: 1000 + i,
    })
    // One partition of small records, one mixing 1 MB, 20 KB and small ones, one of 40 records of
    // 30 KB: below, at and above the size from which buffers are taken by reference.
    const topicData = [
      {
        topic: 'dc.workload',
        partitions: [
          { partition: 0, firstSequence: 5, messages: Array.from({ length: 50 }, (_, i) => message(80, i)) },
          { partition: 1, firstSequence: 0, messages: [message(1 << 20, 1), message(16_384, 2), message(20_000, 3)] },
        ],
      },
      {
        topic: 'dc.power',
        partitions: [
          { partition: 2, firstSequence: 9, messages: Array.from({ length: 40 }, (_, i) => message(30_000, i)) },
        ],
      },
    ]
    const encode = async (get: (file: string) => unknown, compression: number) => {
      const request = (get(PRODUCE) as Produce)({ acks: -1, timeout: 30_000, compression, topicData })
      const sent = await (get(ENVELOPE) as Envelope)({ correlationId: 7, clientId: 'opendt-replay', request })
      const size = sent.size()
      return { size, bytes: sent.buffer }
    }
    for (const compression of [0, 1]) {
      const want = await encode(stock, compression)
      const got = await encode(patched, compression)
      expect([compression, got.size, got.bytes.length, got.bytes.equals(want.bytes)]).toEqual([
        compression,
        want.bytes.length,
        want.bytes.length,
        true,
      ])
    }
  })

  it("murmur2, core/shard.ts's in kafkajs: the stock hash for keys of every length to 64 and SURF's, and Java's", () => {
    const MURMUR = 'src/producer/partitioners/default/murmur2.js'
    const [stockHash, fastHash] = [stock(MURMUR), patched(MURMUR)] as ((k: Buffer | string) => number)[]
    const keys: (Buffer | string)[] = [
      ...Array.from({ length: 65 }, (_, n) =>
        Buffer.from(Array.from({ length: n }, (_, i) => (i * 97 + n * 31) & 0xff)),
      ),
      ...Array.from({ length: 200 }, (_, i) => Buffer.from(`{"id":"${2133099 + i * 7919}"}`)),
      'text key',
    ]
    const differ = keys.filter((k) => fastHash!(k) !== stockHash!(k) || fastHash!(k) !== murmur2(Buffer.from(k)))
    expect(differ).toEqual([])
    // Kafka's Java client (kafka-clients 4.4.0, Utils.murmur2 of the UTF-8 bytes), run by hand.
    expect(['21', 'foobar', '{"id":"2133099"}', ''].map((k) => fastHash!(Buffer.from(k)))).toEqual([
      -973932308, -790332482, 225873892, 275646681,
    ])
  })

  it('CRC32C eight bytes at a time: the stock checksum at every length to 300, and the check value', () => {
    const CRC = 'src/protocol/recordBatch/crc32C/index.js'
    const [stockCrc, fastCrc] = [stock(CRC), patched(CRC)] as ((b: Buffer) => number)[]
    // Bytes from a linear congruential sequence: varied, and the same every run.
    const bytes = Buffer.alloc(300)
    for (let i = 0, seed = 7; i < 300; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      bytes[i] = seed & 0xff
    }
    const differ = Array.from({ length: 301 }, (_, n) => n).filter(
      (n) => stockCrc!(bytes.subarray(0, n)) !== fastCrc!(bytes.subarray(0, n)),
    )
    expect(differ).toEqual([])
    expect(fastCrc!(Buffer.from('123456789'))).toBe(0xe3069283) // CRC-32C's check value
    // Over chunks: the checksum of the bytes joined, wherever they are cut (into 1, 2 or 3 chunks).
    const cuts = Array.from({ length: 301 }, (_, a) => [a, Math.min(300, a + ((a * 37) % 41))] as const)
    const chunked = cuts.filter(([a, b]) => {
      const parts = [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]
      return fastCrc!(parts as unknown as Buffer) !== stockCrc!(bytes)
    })
    expect([chunked, fastCrc!([] as unknown as Buffer)]).toEqual([[], stockCrc!(Buffer.alloc(0))])
  })
})

describe('the hyparquet patches (patches/hyparquet/pages.ts)', () => {
  type Hyparquet = typeof import('hyparquet')
  /** hyparquet as this process loads it (patched), and as published. */
  const patchedHyparquet = (): Promise<Hyparquet> => import('hyparquet')
  const stockHyparquetModule = (): Promise<Hyparquet> => import(join(stockHyparquet.dir, 'src', 'index.js'))
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
    const stock = await stockHyparquetModule()
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
    const stock = await stockHyparquetModule()
    expect(await read(stock, bytes)).not.toEqual(await read(stock, valid)) // stock: a changed value, silently
    await expect(read(patched, bytes)).rejects.toThrow(
      /^parquet page checksum mismatch: the header says \d+, the page has \d+$/,
    )
  })
})

describe('the CreateTopics patch (patches/kafkajs/create-topics.ts)', () => {
  const answers = {
    topicErrors: [
      {
        topic: 'a',
        errorCode: 40,
        errorMessage: 'Invalid value abc for configuration retention.ms: Not a number of type LONG',
      },
      { topic: 'b', errorCode: 0, errorMessage: null },
    ],
  }
  type Parse = (data: typeof answers) => Promise<unknown>
  const refusals = (parse: Parse) =>
    parse(answers).then(
      () => [],
      (e: { errors: { topic: string; type: string; reason?: string }[] }) =>
        e.errors.map((x) => [x.topic, x.type, x.reason]),
    )

  it.each(['v1', 'v2', 'v3'])("%s keeps Kafka's reason on each refused topic; the stock parse drops it", async (v) => {
    const file = `src/protocol/requests/createTopics/${v}/response.js`
    expect(await refusals(loaded(file).parse)).toEqual([
      ['a', 'INVALID_CONFIG', 'Invalid value abc for configuration retention.ms: Not a number of type LONG'],
    ])
    expect(await refusals((stock(file) as { parse: Parse }).parse)).toEqual([['a', 'INVALID_CONFIG', undefined]])
  })
})
