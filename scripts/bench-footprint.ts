#!/usr/bin/env bun
/**
 * Footprint benchmark (issue 12): a trace and its tenfold copy, replayed whole at --speed max to
 * /dev/null and through a slow reader, beside DuckDB doing the same work. Prints figures; run
 * after `bun run build` and `python3 scripts/make_surf_10x.py` (duckdb from PyPI):
 *
 *   bun scripts/bench-footprint.ts [TRACE_DIR] [TEN_X_DIR]   (default ../shared/data/surf, /tmp/surf-10x)
 *
 * Wall time is from spawn to exit; peak RSS is the child's (rusage). The slow reader is
 * scripts/slow_reader.py (64 KiB, then 0.5 ms of sleep), and the bytes it got are printed. Bytes per fragment held while replaying: the typed arrays
 * a loaded trace holds (from the loader itself), and the peak RSS that each extra fragment adds
 * between the two traces.
 */
import { join, resolve } from 'node:path'
import { openParquetFile } from '../src/trace/file.ts'
import { loadFragments, loadTasks } from '../src/trace/load.ts'

const root = resolve(import.meta.dir, '..')
const bin = join(root, 'dist', 'opendt-replay')
const surf = resolve(process.argv[2] ?? join(root, '..', 'shared', 'data', 'surf'))
const tenX = resolve(process.argv[3] ?? '/tmp/surf-10x')
const RUNS = 3

interface Measure {
  wallMs: number
  rssMB: number
  bytes?: number
}

async function measure(cmd: string[], slowReader = false): Promise<Measure> {
  const t0 = performance.now()
  const proc = Bun.spawn(cmd, { stdout: slowReader ? 'pipe' : 'ignore', stderr: 'ignore' })
  let bytes: number | undefined
  if (slowReader) {
    const reader = Bun.spawn(['python3', join(root, 'scripts', 'slow_reader.py')], {
      stdin: proc.stdout,
      stderr: 'pipe',
    })
    await reader.exited
    bytes = Number((await new Response(reader.stderr).text()).trim())
  }
  const code = await proc.exited
  const wallMs = performance.now() - t0
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited ${code}`)
  return { wallMs, rssMB: Number(proc.resourceUsage()!.maxRSS) / 1024 / 1024, bytes }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const cell = (ms: Measure[]) =>
  ms.length === 1
    ? `${seconds(ms[0]!.wallMs)}, ${ms[0]!.rssMB.toFixed(0)} MB`
    : `${seconds(median(ms.map((m) => m.wallMs)))}, ${median(ms.map((m) => m.rssMB)).toFixed(0)} MB (median of ${ms.length}; max ${Math.max(...ms.map((m) => m.rssMB)).toFixed(0)} MB)`

/** Fragments in a trace, and the bytes its loaded fragment columns hold. */
async function held(dir: string): Promise<{ fragments: number; bytes: number; types: string }> {
  const tasks = await loadTasks(openParquetFile(join(dir, 'tasks.parquet')))
  const f = await loadFragments(openParquetFile(join(dir, 'fragments.parquet')), tasks, { strict: false })
  return {
    fragments: f.count,
    bytes: f.duration.byteLength + f.cpuUsage.byteLength,
    types: `${f.duration.constructor.name} durations, ${f.cpuUsage.constructor.name} usage`,
  }
}

console.log(`${navigator.hardwareConcurrency} cores; bun ${Bun.version}\n`)
console.log('| trace | fragments | to /dev/null | through the slow reader | DuckDB (scripts/duckdb_reference.py) |')
console.log('| --- | --- | --- | --- | --- |')
const peaks: { fragments: number; rssMB: number }[] = []
for (const dir of [surf, tenX]) {
  const replay = [bin, 'replay', dir, '--dry-run', '--speed', 'max']
  const quick: Measure[] = []
  for (let i = 0; i < RUNS; i++) quick.push(await measure(replay))
  const slow = await measure(replay, true)
  const duck = await measure(['python3', join(root, 'scripts', 'duckdb_reference.py'), dir, '/dev/null'])
  const { fragments, bytes, types } = await held(dir)
  peaks.push({ fragments, rssMB: median(quick.map((m) => m.rssMB)) })
  console.log(
    `| ${dir} | ${fragments} | ${cell(quick)} | ${cell([slow])}, ${slow.bytes} bytes read | ${cell([duck])} |`,
  )
  console.log(`|   held | ${(bytes / fragments).toFixed(2)} bytes per fragment (${types}) | | | |`)
}
const [small, big] = peaks as [(typeof peaks)[0], (typeof peaks)[0]]
const perFragment = ((big.rssMB - small.rssMB) * 1024 * 1024) / (big.fragments - small.fragments)
console.log(`\npeak RSS added per extra fragment (median peaks): ${perFragment.toFixed(1)} bytes`)
