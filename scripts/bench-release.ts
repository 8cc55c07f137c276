#!/usr/bin/env bun
/**
 * Release artifact sizes and the start-up time of `--help` (after `bun run build:release`):
 *
 *   bun scripts/bench-release.ts
 *
 * Start-up: 50 runs of dist/release/opendt-replay-linux-x64 --help after 5 warm-up runs, wall time
 * from spawn to exit as Bun.spawnSync sees it (which adds its own ~1 ms).
 */
import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

const dir = join(resolve(import.meta.dir, '..'), 'dist', 'release')
console.log('| artifact | size |')
console.log('| --- | --- |')
for (const name of readdirSync(dir).sort()) {
  if (name === 'SHA256SUMS') continue
  console.log(`| ${name} | ${(statSync(join(dir, name)).size / 1e6).toFixed(1)} MB |`)
}
const bin = join(dir, 'opendt-replay-linux-x64')
const times: number[] = []
for (let i = 0; i < 55; i++) {
  const t0 = performance.now()
  const p = Bun.spawnSync([bin, '--help'], { stdout: 'ignore', stderr: 'ignore' })
  if (p.exitCode !== 0) throw new Error('--help failed')
  if (i >= 5) times.push(performance.now() - t0)
}
times.sort((a, b) => a - b)
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1)
console.log(`\n| linux-x64 \`--help\`, 50 runs | median | p90 | min |`)
console.log('| --- | --- | --- | --- |')
console.log(`| start-up to exit | ${at(0.5)} ms | ${at(0.9)} ms | ${times[0]!.toFixed(1)} ms |`)
