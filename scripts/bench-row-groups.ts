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
 *
 * Then, when pyarrow is importable, 20,000 one-row groups written by pyarrow (statistics and page
 * index: a larger footer per group, scripts/row_groups_pyarrow.py), replayed beside the same work
 * as one DuckDB query (scripts/duckdb_reference.py, when duckdb is importable), 3 runs each.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
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
  return writeTrace((prefix) => mkdtempSync(join(tmpdir(), prefix)), tasks, fragments, { rowGroupSize })
}

/**
 * Wall time and peak RSS from GNU time (`/usr/bin/time`): Bun's resourceUsage() reports the
 * largest child so far, not this one, so a light run after a heavy one would read heavy.
 */
async function measure(
  dir: string,
  command = [bin, 'replay', dir, '--dry-run', '--speed', 'max'],
): Promise<{ s: number; mb: number }> {
  const cmd = ['/usr/bin/time', '-f', '%e %M', ...command]
  const proc = Bun.spawn(cmd, { stdout: 'ignore', stderr: 'pipe' })
  const stderr = await new Response(proc.stderr).text()
  if ((await proc.exited) !== 0) throw new Error(`${command.join(' ')} failed: ${stderr}`)
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

const root = resolve(import.meta.dir, '..')
const python = process.env.PYTHON ?? 'python3'
const importable = (module: string) => Bun.spawnSync([python, '-c', `import ${module}`]).exitCode === 0
const row = (what: string, runs: { s: number; mb: number }[]) => {
  const sorted = (f: (r: { s: number; mb: number }) => number) => runs.map(f).sort((a, b) => a - b)
  const s = sorted((r) => r.s)
  return `| ${what} | ${s[1]!.toFixed(2)} s (${s[0]!.toFixed(2)}-${s[2]!.toFixed(2)}) | ${sorted((r) => r.mb)[1]!.toFixed(0)} MB |`
}
console.log('')
if (!importable('pyarrow')) {
  console.log('pyarrow not importable: the pyarrow-written file is not measured (PYTHON=... to choose the interpreter)')
} else {
  const dir = mkdtempSync(join(tmpdir(), 'row-groups-pyarrow-'))
  const made = Bun.spawnSync([python, join(root, 'scripts', 'row_groups_pyarrow.py'), '20000', dir])
  if (made.exitCode !== 0) throw new Error(made.stderr.toString())
  console.log('20,000 tasks of one fragment, one row per row group, written by pyarrow (statistics, page index):')
  console.log('')
  console.log('| 3 runs each | wall, median (min-max) | peak RSS, median |')
  console.log('| --- | --- | --- |')
  const ours = [await measure(dir), await measure(dir), await measure(dir)]
  console.log(row('opendt-replay replay --dry-run --speed max', ours))
  if (importable('duckdb')) {
    const query = [python, join(root, 'scripts', 'duckdb_reference.py'), dir, '/dev/null']
    const duck = [await measure(dir, query), await measure(dir, query), await measure(dir, query)]
    console.log(row('DuckDB, the same work as one query (scripts/duckdb_reference.py)', duck))
  } else console.log('| DuckDB | not measured: duckdb not importable | |')
}
