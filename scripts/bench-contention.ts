#!/usr/bin/env bun
/**
 * The replay beside other processes that want the CPU (prints figures; not a timed test). Run
 * after `bun run build`:
 *
 *   bun scripts/bench-contention.ts [BINARY]       (default dist/opendt-replay)
 *
 * The whole SURF trace at --speed max to /dev/null, 5 runs alone, then 5 runs while two busy
 * loops (one per core of this machine) spin beside it; each loop stops by itself after 120 s.
 * Wall time from spawn to exit, and the child's CPU time.
 */
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dir, '..')
const bin = resolve(process.argv[2] ?? join(root, 'dist', 'opendt-replay'))
const surf = join(root, '..', 'shared', 'data', 'surf')

async function once(): Promise<{ wall: number; cpu: number }> {
  const t0 = performance.now()
  const proc = Bun.spawn([bin, 'replay', surf, '--dry-run', '--speed', 'max'], { stdout: 'ignore', stderr: 'ignore' })
  if ((await proc.exited) !== 0) throw new Error('replay failed')
  const usage = proc.resourceUsage()!
  return { wall: (performance.now() - t0) / 1000, cpu: Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 }
}

async function series(label: string): Promise<string> {
  const runs: { wall: number; cpu: number }[] = []
  for (let i = 0; i < 5; i++) runs.push(await once())
  const walls = runs.map((r) => r.wall).sort((a, b) => a - b)
  const cpu = runs.map((r) => r.cpu).sort((a, b) => a - b)[2]!
  return `| ${label} | ${walls[2]!.toFixed(2)} s (${walls[0]!.toFixed(2)}-${walls[4]!.toFixed(2)}) | ${cpu.toFixed(2)} s |`
}

console.log(`binary: ${bin}`)
console.log('| SURF --speed max to /dev/null, 5 runs | wall, median (min-max) | CPU time, median |')
console.log('| --- | --- | --- |')
console.log(await series('alone'))
const hogs = [0, 1].map(() =>
  Bun.spawn([process.execPath, '-e', 'const end = Date.now() + 120_000; while (Date.now() < end) {}'], {
    stdout: 'ignore',
  }),
)
try {
  console.log(await series('beside two busy loops'))
} finally {
  for (const hog of hogs) hog.kill()
}
