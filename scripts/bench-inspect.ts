#!/usr/bin/env bun
/**
 * `inspect` on SURF (prints figures; not a timed test). Run after `bun run build`:
 *
 *   bun scripts/bench-inspect.ts
 *
 * 5 runs each of the plain report, and of the report with the demand against SURF's topology and
 * the SVG written: wall time and peak RSS as /usr/bin/time reports them.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dir, '..')
const bin = join(root, 'dist', 'opendt-replay')
const surf = join(root, '..', 'shared', 'data', 'surf')
const svg = join(mkdtempSync(join(tmpdir(), 'bench-inspect-')), 'surf.svg')

async function measure(args: string[]): Promise<[number, number]> {
  const proc = Bun.spawn(['/usr/bin/time', '-f', '%e %M', bin, 'inspect', surf, ...args], {
    stdout: 'ignore',
    stderr: 'pipe',
  })
  const stderr = await new Response(proc.stderr).text()
  if ((await proc.exited) !== 0) throw new Error(`inspect failed: ${stderr}`)
  const [s, kb] = stderr.trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number]
  return [s, kb / 1024]
}

console.log('| inspect on SURF, 5 runs | wall, median (min-max) | peak RSS, median |')
console.log('| --- | --- | --- |')
for (const [label, args] of [
  ['report (with the demand figures)', []],
  ['with --topology and --svg', ['--topology', join(surf, 'topology.json'), '--svg', svg]],
] as const) {
  const runs: [number, number][] = []
  for (let i = 0; i < 5; i++) runs.push(await measure([...args]))
  const walls = runs.map((r) => r[0]).sort((a, b) => a - b)
  const rss = runs.map((r) => r[1]).sort((a, b) => a - b)
  console.log(
    `| ${label} | ${walls[2]!.toFixed(2)} s (${walls[0]!.toFixed(2)}-${walls[4]!.toFixed(2)}) | ${rss[2]!.toFixed(0)} MB |`,
  )
}
