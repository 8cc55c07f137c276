import { describe, expect, it } from 'bun:test'
import { join } from 'node:path'
import { ReplayError } from '../../src/errors.ts'
import { prepare } from '../../src/formats/prepare.ts'
import { tasksFragments } from '../../src/formats/tasks-fragments/index.ts'
import { openParquetFile } from '../../src/trace/file.ts'
import { loadFragments, loadTasks } from '../../src/trace/load.ts'
import type { Role } from '../../src/types.ts'
import { FIXTURES, temporaryFolders } from '../helpers.ts'
import { traceColumns, writeTrace } from '../parquet.ts'

const tempDir = temporaryFolders()

const bad = (name: string) => join('test', 'fixtures', 'bad', name)
const trace = (dir: string) => ({
  demo: false as const,
  tasks: join(dir, 'tasks.parquet'),
  fragments: join(dir, 'fragments.parquet'),
})

async function failure(dir: string, role: Role = 'fragments', strict = false): Promise<ReplayError> {
  try {
    await prepare(tasksFragments, [role], { trace: trace(dir), format: 'tasks-fragments', strict })
  } catch (error) {
    expect(error).toBeInstanceOf(ReplayError)
    return error as ReplayError
  }
  throw new Error(`no error for ${dir}`)
}

describe('malformed traces: one line naming file, column, row and value', () => {
  it.each([
    [
      'missing-column',
      `${bad('missing-column')}/tasks.parquet: missing required column "cpu_capacity" (columns: id, submission_time, duration, cpu_count, mem_capacity)`,
    ],
    [
      'bad-type',
      `${bad('bad-type')}/tasks.parquet: column "duration" has type BYTE_ARRAY (STRING), expected an integer`,
    ],
    ['null', `${bad('null')}/tasks.parquet: column "cpu_count" row 2: null`],
    ['nan', `${bad('nan')}/fragments.parquet: column "cpu_usage" row 3: NaN`],
    ['negative', `${bad('negative')}/fragments.parquet: column "duration" row 1: negative value -5`],
    ['duplicate', `${bad('duplicate')}/tasks.parquet: column "id" row 3: duplicate task id "t1" (first at row 1)`],
    ['empty', `${bad('empty')}/tasks.parquet: no tasks (the file has 0 rows)`],
    ['not-parquet', `${bad('not-parquet')}/tasks.parquet: not a parquet file (it does not start with PAR1; 33 bytes)`],
    ['truncated', `${bad('truncated')}/fragments.parquet: truncated parquet file (no footer; 545 bytes)`],
  ])('%s', async (name, message) => {
    const error = await failure(bad(name))
    expect(error.message).toBe(message)
    expect(error.exitCode).toBe(2)
  })

  it('a fragment whose task is missing is skipped and counted, or an error with --strict', async () => {
    const prepared = await prepare(tasksFragments, ['fragments'], {
      trace: trace(bad('orphan')),
      format: 'tasks-fragments',
      strict: false,
    })
    expect(prepared.orphans).toBe(1)
    const error = await failure(bad('orphan'), 'fragments', true)
    expect(error.message).toBe(
      `${bad('orphan')}/fragments.parquet: column "id" row 2: no task with id "t9" in ${bad('orphan')}/tasks.parquet (--strict)`,
    )
  })

  it('a missing file or a folder in its place', async () => {
    const missing = {
      demo: false as const,
      tasks: join(FIXTURES, 'nope.parquet'),
      fragments: join(FIXTURES, 'nope2.parquet'),
    }
    await expect(
      prepare(tasksFragments, ['tasks'], { trace: missing, format: 'tasks-fragments', strict: false }),
    ).rejects.toThrow(`${join(FIXTURES, 'nope.parquet')}: no such file`)
    const folder = { demo: false as const, tasks: FIXTURES, fragments: FIXTURES }
    await expect(
      prepare(tasksFragments, ['tasks'], { trace: folder, format: 'tasks-fragments', strict: false }),
    ).rejects.toThrow(`${FIXTURES}: is a directory, expected a parquet file`)
  })

  it('the tasks worker reads fragments only when it must (v2), so it checks the tasks file alone', async () => {
    const prepared = await prepare(tasksFragments, ['tasks'], {
      trace: trace(bad('nan')),
      format: 'tasks-fragments',
      strict: false,
    })
    expect(prepared.stream.time).toBe(Date.UTC(2022, 9, 6, 22))
  })

  it('a worker that needs only fragment times reads ids and durations, not usage', async () => {
    const dir = join(FIXTURES, 'v5-interleaved')
    const tasks = await loadTasks(openParquetFile(join(dir, 'tasks.parquet')))
    const fragments = (policy: { strict: boolean; timesOnly?: boolean }) =>
      loadFragments(openParquetFile(join(dir, 'fragments.parquet')), tasks, policy)
    const full = await fragments({ strict: false })
    const times = await fragments({ strict: false, timesOnly: true })
    expect([times.duration, times.offsets, times.orphans, times.cpuUsage.length]).toEqual([
      full.duration,
      full.offsets,
      full.orphans,
      0,
    ])
    expect(full.cpuUsage.length).toBe(12)
  })

  it('fragment columns are 32-bit where every value fits exactly, doubles from the first that does not', async () => {
    const load = async (duration: bigint[], usage: number[]) => {
      const { tasks, fragments } = traceColumns({
        fragments: {
          duration: { name: 'duration', data: duration, type: 'INT64' },
          cpu_usage: { name: 'cpu_usage', data: usage, type: 'DOUBLE' },
        },
      })
      const dir = writeTrace(tempDir, tasks, fragments)
      const t = await loadTasks(openParquetFile(join(dir, 'tasks.parquet')))
      return loadFragments(openParquetFile(join(dir, 'fragments.parquet')), t, { strict: false })
    }
    const narrow = await load([1000n, 1000n, 1000n], [500, 600.5, 700])
    expect([narrow.duration.constructor.name, narrow.cpuUsage.constructor.name]).toEqual(['Int32Array', 'Float32Array'])
    const wide = await load([1000n, 3_000_000_000n, 1000n], [500, 0.1, 700])
    expect([
      wide.duration.constructor.name,
      [...wide.duration],
      wide.cpuUsage.constructor.name,
      [...wide.cpuUsage],
    ]).toEqual(['Float64Array', [1000, 3_000_000_000, 1000], 'Float64Array', [500, 0.1, 700]])
  })
})
