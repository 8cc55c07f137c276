#!/usr/bin/env bun
/**
 * The cost of many row groups (prints figures; not a timed test). Run after `bun run build`:
 *
 *   bun scripts/bench-row-groups.ts
 *
 * Writes traces of N tasks with one fragment each (hyparquet-writer, as the tests do), once with
 * one row per row group and once with all rows in one group, and replays each to /dev/null at
 * --speed max, 3 runs: wall time and peak RSS as /usr/bin/time reports them. The cost should
 * grow linearly with N whatever the grouping.
 */
import { join, resolve } from 'node:path'
import { type Column, writeTrace } from '../test/parquet.ts'

const bin = join(resolve(import.meta.dir, '..'), 'dist', 'opendt-replay')
const T0 = Date.UTC(2022, 9, 6, 22)

function trace(n: number, rowGroupSize: number): string {
  const ids = Array.from({ length: n }, (_, i) => `t${i}`)
  const int64 = (name: string, f: (i: number) => number): Column => ({
    name,
    data: ids.map((_, i) => BigInt(f(i))),
    type: 'INT64',
  })
  const tasks: Column[] = [
    { name: 'id', data: ids, type: 'STRING' },
    int64('submission_time', (i) => T0 + i * 1000),
    int64('duration', () => 1000),
    { name: 'cpu_count', data: ids.map(() => 1), type: 'INT32' },
    { name: 'cpu_capacity', data: ids.map(() => 1000), type: 'DOUBLE' },
    int64('mem_capacity', () => 64),
  ]
  const fragments: Column[] = [
    { name: 'id', data: ids, type: 'STRING' },
    int64('duration', () => 1000),
    { name: 'cpu_usage', data: ids.map(() => 500), type: 'DOUBLE' },
  ]
  return writeTrace(tasks, fragments, { rowGroupSize })
}

/**
 * Wall time and peak RSS from GNU time (`/usr/bin/time`): Bun's resourceUsage() reports the
 * largest child so far, not this one, so a light run after a heavy one would read heavy.
 */
async function measure(dir: string): Promise<{ s: number; mb: number }> {
  const cmd = ['/usr/bin/time', '-f', '%e %M', bin, 'replay', dir, '--dry-run', '--speed', 'max']
  const proc = Bun.spawn(cmd, { stdout: 'ignore', stderr: 'pipe' })
  const stderr = await new Response(proc.stderr).text()
  if ((await proc.exited) !== 0) throw new Error(`replay of ${dir} failed: ${stderr}`)
  const [s, kb] = stderr.trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number]
  return { s, mb: kb / 1024 }
}

console.log('| rows | row groups | wall, median of 3 | peak RSS, median of 3 | wall per 1,000 rows |')
console.log('| --- | --- | --- | --- | --- |')
for (const n of [5_000, 10_000, 20_000]) {
  for (const rowGroupSize of [1, n]) {
    const dir = trace(n, rowGroupSize)
    const runs = [await measure(dir), await measure(dir), await measure(dir)]
    const median = (f: (r: { s: number; mb: number }) => number) => runs.map(f).sort((a, b) => a - b)[1]!
    const s = median((r) => r.s)
    console.log(
      `| ${n} | ${n / rowGroupSize} | ${s.toFixed(2)} s | ${median((r) => r.mb).toFixed(0)} MB | ${((s / n) * 1000 * 1000).toFixed(0)} ms |`,
    )
  }
}
