#!/usr/bin/env bun
/**
 * How fast kafkajs encodes record batches, stock and with scripts/patches.ts's patches (prints
 * figures; not a timed test):
 *
 *   bun scripts/bench-record-batch.ts
 *
 * Encodes 200,000 records of SURF's shape (a 16-byte key, an 80-byte value, no headers: a replay
 * at --speed max) as 20 batches of 10,000, the way kafkajs's produce request does (Record per
 * message, then RecordBatch), 5 rounds each way, alternating; prints each round's records/s.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PATCHES, targetOf } from './patches.ts'

const nodeModules = join(resolve(import.meta.dir, '..'), 'node_modules')
const copy = mkdtempSync(join(tmpdir(), 'kafkajs-bench-'))
cpSync(join(nodeModules, 'kafkajs'), copy, { recursive: true })
for (const patch of PATCHES.filter((p) => p.package === 'kafkajs')) {
  writeFileSync(join(copy, patch.file), patch.apply(readFileSync(targetOf(patch, nodeModules), 'utf8')))
}
const require = createRequire(import.meta.url)
type RecordFn = (r: object) => unknown
type BatchFn = (b: object) => Promise<unknown>
const load = (dir: string) => ({
  Record: require(join(dir, 'src/protocol/recordBatch/record/v0')) as RecordFn,
  RecordBatch: (require(join(dir, 'src/protocol/recordBatch/v0')) as { RecordBatch: BatchFn }).RecordBatch,
})
const builds = { stock: load(join(nodeModules, 'kafkajs')), patched: load(copy) }
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
rmSync(copy, { recursive: true, force: true })
console.log('| kafkajs 2.2.4 | records/s, 5 rounds of 200,000 | median |')
console.log('| --- | --- | --- |')
for (const [name, list] of Object.entries(rates)) {
  const median = [...list].sort((a, b) => a - b)[2]!
  console.log(
    `| ${name} | ${list.map((v) => Math.round(v).toLocaleString('en')).join(', ')} | ${Math.round(median).toLocaleString('en')} |`,
  )
}
