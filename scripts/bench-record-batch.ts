#!/usr/bin/env bun
/**
 * How fast kafkajs encodes record batches, stock and with its patches (patches/; prints figures,
 * not a timed test):
 *
 *   bun scripts/bench-record-batch.ts
 *
 * Encodes 200,000 records of SURF's shape (a 16-byte key, an 80-byte value, no headers: a replay
 * at --speed max) as 20 batches of 10,000, the way kafkajs's produce request does (Record per
 * message, then RecordBatch), 5 rounds each way, alternating; prints each round's records/s.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { applied } from '../patches/plugin.ts'
import { NODE_MODULES, stockCopy } from '../patches/stock.ts'

// The patched kafkajs is node_modules' (bunfig.toml preloads the patches); the stock one a copy.
const copy = stockCopy('kafkajs')
const require = createRequire(import.meta.url)
type RecordFn = (r: object) => unknown
type BatchFn = (b: object) => Promise<unknown>
const load = (dir: string) => ({
  Record: require(join(dir, 'src/protocol/recordBatch/record/v0')) as RecordFn,
  RecordBatch: (require(join(dir, 'src/protocol/recordBatch/v0')) as { RecordBatch: BatchFn }).RecordBatch,
})
const builds = { stock: load(copy.dir), patched: load(join(NODE_MODULES, 'kafkajs')) }
if (!applied.has('kafkajs/src/protocol/recordBatch/record/v0/index.js')) {
  throw new Error('kafkajs was loaded unpatched: run from the repository root, whose bunfig.toml preloads patches/')
}
const key = Buffer.from('{"id":"2133099"}')
const value = Buffer.from('{"submission_time":"2022-10-06T22:00:30Z","duration":30000,"cpu_usage":1953.0}')

async function round({ Record, RecordBatch }: (typeof builds)['stock']): Promise<number> {
  const start = performance.now()
  for (let b = 0; b < 20; b++) {
    const records = Array.from({ length: 10_000 }, (_, i) => Record({ key, value, offsetDelta: i, timestampDelta: 0 }))
    await RecordBatch({ records, lastOffsetDelta: 9999 })
  }
  return 200_000 / ((performance.now() - start) / 1000)
}

const rates: Record<string, number[]> = { stock: [], patched: [] }
for (let r = 0; r < 5; r++) for (const [name, build] of Object.entries(builds)) rates[name]!.push(await round(build))
copy.remove()
console.log('| kafkajs 2.2.4 | records/s, 5 rounds of 200,000 | median |')
console.log('| --- | --- | --- |')
for (const [name, list] of Object.entries(rates)) {
  const median = [...list].sort((a, b) => a - b)[2]!
  console.log(
    `| ${name} | ${list.map((v) => Math.round(v).toLocaleString('en')).join(', ')} | ${Math.round(median).toLocaleString('en')} |`,
  )
}
