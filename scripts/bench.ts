#!/usr/bin/env bun
/**
 * Benchmarks that print figures (not timed tests). Run after `bun run build`:
 *
 *   bun scripts/bench.ts [TRACE_DIR]          (default ../shared/data/surf)
 *
 * 1. Whole trace, --speed max, dry-run to /dev/null: wall time and peak RSS, 5 runs; the same
 *    with --format dc-mock (three topics, task messages holding their fragments).
 * 2. The same work as one DuckDB query (scripts/duckdb_reference.py), when `duckdb` is importable.
 * 3. Pacing measured from outside the process: --speed 1000 over the first 6 h of trace, each
 *    chunk timestamped as it arrives on the stdout pipe (parsed only after the run, so the reader
 *    stays quick). Lateness of line i = arrival_i - (T0 + offset_i), where offset_i =
 *    (event time - window start) / speed and T0 is the earliest arrival_i - offset_i: the run's
 *    best line defines zero, so the figure is how far lines fall behind the schedule.
 */
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dir, '..')
const bin = join(root, 'dist', 'opendt-replay')
const trace = resolve(process.argv[2] ?? join(root, '..', 'shared', 'data', 'surf'))
const RUNS = 5

interface Measure {
  wallMs: number
  rssMB: number
}

async function measure(cmd: string[]): Promise<Measure> {
  const t0 = performance.now()
  const proc = Bun.spawn(cmd, { stdout: 'ignore', stderr: 'ignore' })
  const code = await proc.exited
  const wallMs = performance.now() - t0
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited ${code}`)
  return { wallMs, rssMB: Number(proc.resourceUsage()!.maxRSS) / 1024 / 1024 }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const seconds = (ms: number) => (ms / 1000).toFixed(2)
function row(name: string, ms: Measure[]): string {
  const walls = ms.map((m) => m.wallMs)
  const rss = ms.map((m) => m.rssMB)
  return `| ${name} | ${seconds(median(walls))} s (${seconds(Math.min(...walls))}-${seconds(Math.max(...walls))}) | ${median(rss).toFixed(0)} MB (max ${Math.max(...rss).toFixed(0)}) |`
}

console.log(`trace: ${trace}; ${navigator.hardwareConcurrency} cores; bun ${Bun.version}\n`)
console.log(`| whole trace to /dev/null, --speed max | wall, median (min-max) | peak RSS, median (max) |`)
console.log('| --- | --- | --- |')
const ours: Measure[] = []
for (let i = 0; i < RUNS; i++) ours.push(await measure([bin, 'replay', trace, '--dry-run', '--speed', 'max']))
console.log(row(`opendt-replay, ${RUNS} runs`, ours))
const dcMock: Measure[] = []
for (let i = 0; i < RUNS; i++) {
  dcMock.push(await measure([bin, 'replay', trace, '--format', 'dc-mock', '--dry-run', '--speed', 'max']))
}
console.log(row(`opendt-replay --format dc-mock, ${RUNS} runs`, dcMock))

if (Bun.spawnSync(['python3', '-c', 'import duckdb']).exitCode === 0) {
  const duck: Measure[] = []
  for (let i = 0; i < 3; i++)
    duck.push(await measure(['python3', join(root, 'scripts', 'duckdb_reference.py'), trace, '/dev/null']))
  console.log(row('DuckDB query (scripts/duckdb_reference.py), 3 runs', duck))
} else {
  console.log('| DuckDB | not measured: `pip install duckdb` first | |')
}

const SPEED = 1000
const TO = '6h'
const proc = Bun.spawn([bin, 'replay', trace, '--dry-run', '--speed', String(SPEED), '--to', TO], {
  stdout: 'pipe',
  stderr: 'ignore',
})
const chunks: [number, Uint8Array][] = []
for await (const chunk of proc.stdout) chunks.push([performance.now(), chunk])
await proc.exited
const arrivals: number[] = []
const events: number[] = []
const decoder = new TextDecoder()
let rest = ''
for (const [now, chunk] of chunks) {
  const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n')
  rest = lines.pop()!
  for (const line of lines) {
    arrivals.push(now)
    events.push(Date.parse(/"submission_time":"([^"]+)"/.exec(line)![1]!))
  }
}
const origin = Math.min(...events)
let t0 = Infinity
for (let i = 0; i < arrivals.length; i++) t0 = Math.min(t0, arrivals[i]! - (events[i]! - origin) / SPEED)
const late = arrivals.map((a, i) => a - (t0 + (events[i]! - origin) / SPEED)).sort((a, b) => a - b)
const q = (p: number) => late[Math.min(late.length - 1, Math.ceil(p * late.length) - 1)]!
console.log(`\n| pacing on the stdout pipe, --speed ${SPEED} --to ${TO} | lines | p50 | p99 | max |`)
console.log('| --- | --- | --- | --- | --- |')
console.log(
  `| lateness behind schedule | ${late.length} | ${q(0.5).toFixed(2)} ms | ${q(0.99).toFixed(2)} ms | ${late.at(-1)!.toFixed(2)} ms |`,
)
