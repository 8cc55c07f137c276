#!/usr/bin/env bun
/**
 * Builds the executable: one file (bun build --compile) holding the CLI and the worker (the
 * worker must be an entrypoint of its own, or the build succeeds and the binary fails), minified,
 * as ESM bytecode (--bytecode needs --format=esm; it halves start-up).
 *
 *   bun scripts/build.ts             dist/opendt-replay for this machine
 *   bun scripts/build.ts --release   dist/release/opendt-replay-<os>-<arch>[.exe] for every
 *                                    target below, and dist/release/SHA256SUMS
 *
 * Cross-compiling makes Bun fetch each target's runtime from the npm registry into its own cache
 * (~/.bun/install/cache), outside the repo. The version, the git commit and the Bun version are
 * stamped in at build time (--version prints them; nothing is read from files at run time).
 *
 * The dependency patches (patches/) are bundled in, each checked; the build fails if a patch's
 * target is another version or file, or if the bundler never loaded it.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { basename, join } from 'node:path'
import pkg from '../package.json' with { type: 'json' }
import { checkPatchTargets } from '../patches/index.ts'
import { bundlePlugin } from '../patches/plugin.ts'

/** Release targets: Bun's target name and the artifact's suffix. */
export const TARGETS = [
  ['bun-linux-x64', 'linux-x64'],
  ['bun-linux-x64-baseline', 'linux-x64-baseline'], // CPUs without AVX2
  ['bun-linux-arm64', 'linux-arm64'],
  ['bun-darwin-x64', 'darwin-x64'],
  ['bun-darwin-arm64', 'darwin-arm64'],
  ['bun-windows-x64', 'windows-x64.exe'],
] as const

function gitCommit(): string {
  const head = Bun.spawnSync(['git', 'rev-parse', '--short=12', 'HEAD'], { stderr: 'ignore' })
  if (head.exitCode !== 0) return 'unknown'
  const dirty =
    Bun.spawnSync(['git', 'status', '--porcelain', '--untracked-files=no'], { stderr: 'ignore' })
      .stdout.toString()
      .trim() !== ''
  return head.stdout.toString().trim() + (dirty ? '-dirty' : '')
}

async function build(outfile: string, target?: string): Promise<void> {
  checkPatchTargets(join(import.meta.dir, '..', 'node_modules'))
  const patches = bundlePlugin()
  const result = await Bun.build({
    entrypoints: ['src/main.ts', 'src/run/worker.ts'],
    compile: target ? { target: target as Bun.Build.CompileTarget, outfile } : { outfile },
    minify: true,
    bytecode: true,
    format: 'esm',
    plugins: [patches.plugin],
    define: {
      BUILD_VERSION: JSON.stringify(pkg.version),
      BUILD_COMMIT: JSON.stringify(gitCommit()),
      BUILD_BUN: JSON.stringify(Bun.version),
    },
  })
  if (!result.success) {
    for (const log of result.logs) console.error(log)
    throw new Error(`build of ${outfile} failed`)
  }
  const missed = patches.missed().map((p) => `${p.package}/${p.file}`)
  if (missed.length > 0) throw new Error(`patches not applied: the bundler never loaded ${missed.join(', ')}`)
}

if (import.meta.main) {
  if (process.argv.includes('--release')) {
    const dir = join('dist', 'release')
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const sums: string[] = []
    for (const [target, suffix] of TARGETS) {
      const outfile = join(dir, `opendt-replay-${suffix}`)
      await build(outfile, target)
      const hash = new Bun.CryptoHasher('sha256').update(await Bun.file(outfile).arrayBuffer()).digest('hex')
      sums.push(`${hash}  ${basename(outfile)}`)
      console.error(`built ${outfile}`)
    }
    await Bun.write(join(dir, 'SHA256SUMS'), sums.join('\n') + '\n')
    console.error(`wrote ${join(dir, 'SHA256SUMS')}`)
  } else {
    await build(join('dist', 'opendt-replay'))
    console.error('built dist/opendt-replay')
  }
}
