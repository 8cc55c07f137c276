import { describe, expect, it } from 'bun:test'
import { readdirSync, realpathSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ROOT } from '../helpers.ts'

/**
 * No file over 1 MB is tracked outside the test fixtures: a wheel, a trace or a build output
 * committed by accident stays in every clone for good. In a git checkout the files are what
 * `git ls-files` lists; outside one (an exported archive, or git missing) every file under the
 * root counts, except the folders .gitignore names (node_modules/, dist/): the check still runs.
 */
const LIMIT = 1_000_000
const EXEMPT = 'test/fixtures/'

/** One line per file over the limit, naming it and its size. */
function oversized(files: { path: string; size: number }[]): string[] {
  return files
    .filter((f) => f.size > LIMIT && !f.path.startsWith(EXEMPT))
    .map(
      (f) =>
        `${f.path} is ${f.size.toLocaleString('en-US')} bytes: a tracked file outside ${EXEMPT} may hold at most ${LIMIT.toLocaleString('en-US')}`,
    )
}

/** The tracked paths, relative to the root: git's list, or the tree without its ignored folders. */
function trackedPaths(): { paths: string[]; source: string } {
  const top = Bun.spawnSync(['git', 'rev-parse', '--show-toplevel'], { cwd: ROOT, stderr: 'ignore' })
  if (top.exitCode === 0 && realpathSync(top.stdout.toString().trim()) === realpathSync(ROOT)) {
    const listed = Bun.spawnSync(['git', 'ls-files', '-z'], { cwd: ROOT })
    if (listed.exitCode !== 0) throw new Error(`git ls-files failed in ${ROOT}`)
    return { paths: listed.stdout.toString().split('\0').filter(Boolean), source: 'git ls-files' }
  }
  const ignored = new Set(['.git', 'node_modules', 'dist'])
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      ignored.has(e.name) ? [] : e.isDirectory() ? walk(join(dir, e.name)) : [relative(ROOT, join(dir, e.name))],
    )
  return { paths: walk(ROOT), source: 'the folder tree' }
}

describe('tracked files', () => {
  it('names each file over 1 MB outside the test fixtures, with its size', () => {
    expect(
      oversized([
        { path: 'duckdb-2.0.1-cp311-cp311-manylinux_2_28_x86_64.whl', size: 24_925_733 },
        { path: 'docs/surf-demand.svg', size: 728_586 },
        { path: 'docs/exactly.bin', size: LIMIT },
        { path: 'docs/one-more.bin', size: LIMIT + 1 },
        { path: 'test/fixtures/big/fragments.parquet', size: 5_000_000 },
      ]),
    ).toEqual([
      'duckdb-2.0.1-cp311-cp311-manylinux_2_28_x86_64.whl is 24,925,733 bytes: a tracked file outside test/fixtures/ may hold at most 1,000,000',
      'docs/one-more.bin is 1,000,001 bytes: a tracked file outside test/fixtures/ may hold at most 1,000,000',
    ])
  })

  it('none over 1 MB in this repository', () => {
    const { paths, source } = trackedPaths()
    expect([source, paths.length > 0]).toEqual([source, true])
    // A tracked file deleted in the work tree is not there to measure.
    const files = paths.flatMap((path) => {
      const stat = statSync(join(ROOT, path), { throwIfNoEntry: false })
      return stat?.isFile() ? [{ path, size: stat.size }] : []
    })
    expect(oversized(files)).toEqual([])
  })
})
