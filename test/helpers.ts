import { afterAll } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { formatId } from '../src/trace/columns.ts'
import { type Fragments, groupByTask, type Tasks } from '../src/trace/model.ts'

export const ROOT = resolve(import.meta.dir, '..')
export const FIXTURES = join(ROOT, 'test', 'fixtures')
export const SURF = resolve(ROOT, '..', 'shared', 'data', 'surf')
export const BINARY = join(ROOT, 'dist', 'opendt-replay')

/** The real trace must be there: a missing fixture is a failure, never a skipped test. */
export function requireSurf(): string {
  if (!existsSync(join(SURF, 'fragments.parquet')))
    throw new Error(`SURF trace not found at ${SURF} (../shared/data/surf)`)
  return SURF
}

export function requireBinary(): string {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`bun run build\` first (bun run test does)`)
  return BINARY
}

/**
 * Temporary folders for one test file, all removed after its tests. Call it at the file's top
 * level (bun registers the hook for that file); `tempDir('opendt-cp-')` then makes a fresh folder
 * in the temp dir (TMPDIR, which scripts/test.ts points at a folder of its own and checks empty).
 */
export function temporaryFolders(): (prefix: string) => string {
  const made: string[] = []
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
  return (prefix) => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    made.push(dir)
    return dir
  }
}

export interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs a command; its environment is ours plus `env`, or only `env` when `clean`. */
export async function run(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; clean?: boolean } = {},
): Promise<Run> {
  const proc = Bun.spawn(args, {
    cwd: options.cwd ?? ROOT,
    stdout: 'pipe',
    stderr: 'pipe',
    env: options.clean ? options.env : { ...process.env, ...options.env },
  })
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  return { code, stdout, stderr }
}

/** A task row for in-memory traces: [id, submit ms, duration ms]. */
export type TaskRow = [id: string | number, submit: number, duration: number]

export function makeTasks(rows: TaskRow[], durationDerived = false): Tasks {
  return {
    path: 'mem',
    count: rows.length,
    idJson: rows.map((r) => formatId(r[0])),
    index: new Map(rows.map((r, i) => [typeof r[0] === 'number' ? BigInt(r[0]) : r[0], i])),
    idsAreStrings: typeof rows[0]?.[0] === 'string',
    submit: Float64Array.from(rows, (r) => r[1]),
    duration: Float64Array.from(rows, (r) => r[2]),
    durationDerived,
    cpuCount: Float64Array.from(rows, () => 1),
    cpuCapacity: Float64Array.from(rows, () => 1000),
    memCapacity: Float64Array.from(rows, () => 64),
  }
}

/** Fragments in file order as [task row or -1, duration]. */
export function makeFragments(taskCount: number, rows: [number, number][]): Fragments {
  return groupByTask(
    'mem',
    taskCount,
    Int32Array.from(rows, (r) => r[0]),
    Float64Array.from(rows, (r) => r[1]),
    Float64Array.from(rows, (_, i) => 100 + i),
  )
}
