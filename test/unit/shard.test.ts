import { afterAll, describe, expect, it } from 'bun:test'
import { join } from 'node:path'
import { stockCopy } from '../../patches/stock.ts'
import { murmur2, shardOf } from '../../src/core/shard.ts'
import { openParquetFile } from '../../src/trace/file.ts'
import { loadFragments, loadTasks } from '../../src/trace/load.ts'
import { keepTasks } from '../../src/trace/model.ts'
import { FIXTURES, makeTasks } from '../helpers.ts'

// kafkajs's own murmur2 (its DefaultPartitioner, Java-compatible): an implementation we did not write.
// From a copy of kafkajs as published: the one this process loads is patched to be ours (patches/).
const stockKafkajs = stockCopy('kafkajs')
afterAll(() => stockKafkajs.remove())
const kafkajsMurmur2 = stockKafkajs.require('src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number

describe("shards by Kafka's murmur2", () => {
  it('murmur2 equals the Java-compatible one kafkajs partitions with, on every tail length', () => {
    const keys = Array.from({ length: 3000 }, (_, i) =>
      Buffer.from(i % 2 === 0 ? `{"id":"${i * 7919}"}` : `${'x'.repeat(i % 9)}${i * 104_729}`),
    )
    expect(keys.filter((k) => murmur2(k) !== kafkajsMurmur2(k))).toEqual([])
    expect(new Set(keys.map((k) => k.length % 4))).toEqual(new Set([0, 1, 2, 3]))
  })

  it('a shard is a partition when N is the partition count: every key in exactly one shard', () => {
    const keys = Array.from({ length: 999 }, (_, i) => Buffer.from(`{"id":"${i}"}`))
    const counts = [0, 0, 0]
    for (const k of keys) counts[shardOf(k, 3)]!++
    expect(counts.reduce((a, b) => a + b)).toBe(999)
    expect(Math.min(...counts)).toBeGreaterThan(250)
  })
})

describe('keeping one shard of the tasks', () => {
  it('compacts the columns in file order and lists the ids left out', () => {
    const tasks = makeTasks([
      ['a', 10, 1],
      ['b', 20, 2],
      ['c', 30, 3],
    ])
    const { tasks: kept, leftOut } = keepTasks(tasks, Uint8Array.from([1, 0, 1]))
    expect([kept.count, kept.idJson, [...kept.submit], [...kept.duration], [...kept.index]]).toEqual([
      2,
      ['"a"', '"c"'],
      [10, 30],
      [1, 3],
      [
        ['a', 0],
        ['c', 1],
      ],
    ])
    expect([...leftOut]).toEqual(['b'])
  })

  it("a left-out task's fragments are dropped, not counted as orphans; a real orphan still is", async () => {
    const dir = join(FIXTURES, 'v5-interleaved')
    const all = await loadTasks(openParquetFile(join(dir, 'tasks.parquet')))
    const keep = Uint8Array.from({ length: all.count }, (_, t) => (t % 2 === 0 ? 1 : 0))
    const { tasks, leftOut } = keepTasks(all, keep)
    const path = join(dir, 'fragments.parquet')
    const full = await loadFragments(openParquetFile(path), all, { strict: false })
    const shard = await loadFragments(openParquetFile(path), tasks, { strict: true, excluded: leftOut }).catch(() =>
      loadFragments(openParquetFile(path), tasks, { strict: false, excluded: leftOut }),
    )
    const keptRows = [...Array(all.count).keys()].filter((t) => keep[t])
    const fragmentsOf = (f: typeof full, t: number) => f.offsets[t + 1]! - f.offsets[t]!
    expect([shard.orphans, shard.count]).toEqual([full.orphans, keptRows.reduce((n, t) => n + fragmentsOf(full, t), 0)])
  })
})
