import { beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test'
import { join } from 'node:path'
import { FIXTURES, requireBinary, requireSurf, run } from '../helpers.ts'

// Every test runs the binary, many on the whole SURF week: seconds each, more on a loaded
// machine. A test that truly hangs still fails, at a minute.
setDefaultTimeout(60_000)

let bin: string
let surf: string
beforeAll(() => {
  bin = requireBinary()
  surf = requireSurf()
})

describe('opendt-replay inspect', () => {
  it('describes SURF as its README does', async () => {
    const result = await run([bin, 'inspect', surf])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    expect(result.stdout).toBe(
      [
        'schema                     v3 (tasks have duration; fragments have cpu_count)',
        `tasks file                 ${surf}/tasks.parquet: 7850 rows in 1 row group; columns id, submission_time, duration, cpu_count, cpu_capacity, mem_capacity`,
        `fragments file             ${surf}/fragments.parquet: 2323475 rows in 1 row group; columns id, duration, cpu_count, cpu_usage`,
        'tasks without fragments    1555',
        'fragments without a task   0',
        'tasks span                 2022-10-06T22:00:00Z .. 2022-10-13T21:59:54Z',
        'fragments span             2022-10-06T22:00:30Z .. 2022-10-13T22:00:00Z',
        'busiest second             tasks 122 at 2022-10-06T22:00:00Z; fragments 121 at 2022-10-06T22:00:30Z',
        'duration mismatches        6194 tasks whose fragment durations do not add up to their duration (e.g. 2133099: 27935000 vs 27930000, 2133100: 27935000 vs 27930000, 2133101: 27935000 vs 27930000)',
        'replay at speed 10         16h 48m',
        'total cycles               1524009661650000000',
        'most demanding tasks       2163915 (1.451e+16 cycles), 2163917 (1.451e+16 cycles), 2163916 (1.451e+16 cycles), 2163920 (1.451e+16 cycles), 2163919 (1.451e+16 cycles)',
        'CPU demand                 mean 2,519,857 MHz, p50 2,488,122 MHz, p99 3,823,827 MHz, peak 4,522,686 MHz at 2022-10-08T14:33:19Z',
        'dc-mock messages           dc.workload 17931 (7850 tasks, 10081 heartbeats), dc.power 20159, dc.topology 20161',
        'dc-mock largest message    task 2163915, 1037093 bytes',
        `dc-mock files              power ${surf}/consumption.parquet (offset 0 ms); topology ${surf}/topology.json`,
        '',
      ].join('\n'),
    )
  })

  it('--json, on a v4+ trace with interleaved fragments, an orphan and a task without fragments', async () => {
    const dir = join(FIXTURES, 'v5-interleaved')
    const result = await run([bin, 'inspect', dir, '--json', '--speed', '2'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({
      schema: { version: 'v4+', evidence: 'tasks have duration; fragments have no cpu_count' },
      files: {
        tasks: {
          path: join(dir, 'tasks.parquet'),
          rows: 5,
          rowGroups: 2,
          columns: [
            'id',
            'name',
            'submission_time',
            'duration',
            'cpu_count',
            'cpu_capacity',
            'mem_capacity',
            'gpu_count',
            'gpu_capacity',
            'parents',
            'children',
            'deferrable',
            'deadline',
          ],
        },
        fragments: {
          path: join(dir, 'fragments.parquet'),
          rows: 13,
          rowGroups: 5,
          columns: ['id', 'duration', 'cpu_usage', 'gpu_usage'],
        },
      },
      tasksWithoutFragments: 1,
      fragmentsWithoutTask: 1,
      span: {
        tasks: { first: '2022-10-06T22:00:00Z', last: '2022-10-06T22:00:40.001Z' },
        fragments: { first: '2022-10-06T22:00:10Z', last: '2022-10-06T22:01:10Z' },
      },
      busiestSecond: {
        tasks: { second: '2022-10-06T22:00:10Z', messages: 2 },
        fragments: { second: '2022-10-06T22:00:30Z', messages: 4 },
      },
      durationMismatches: { tasks: 0, examples: [] },
      replay: { speed: 2, wallSeconds: 35 },
      demand: {
        host: null,
        totalCycles: '356512500000',
        topTasks: [
          { id: 'e', cycles: 136500000000 },
          { id: 'b', cycles: 126005000000 },
          { id: 'c', cycles: 61007500000 },
          { id: 'a', cycles: 33000000000 },
          { id: 'd', cycles: 0 },
        ],
        mhz: { mean: 5093.035714285715, p50: 2200, p99: 11400, peak: 11400 },
        peakAt: '2022-10-06T22:00:50.001Z',
        capacity: null,
      },
      // Its ids are letters: OpenDT would skip every task (the heartbeats run to the last fragment, 22:01:10).
      dcMock: {
        messages: { 'dc.workload': 3, 'dc.power': 0, 'dc.topology': 0 },
        tasks: 0,
        skippedIds: 5,
        heartbeats: 3,
        largest: null,
        consumption: null,
        topology: null,
        topologyProblem: null,
        powerOffsetMs: 0,
      },
    })
  })

  it('a malformed trace gets the same line and exit code as replay', async () => {
    expect(await run([bin, 'inspect', 'test/fixtures/bad/duplicate'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        '[error] test/fixtures/bad/duplicate/tasks.parquet: column "id" row 3: duplicate task id "t1" (first at row 1)\n',
    })
    expect(await run([bin, 'inspect'])).toEqual({
      code: 2,
      stdout: '',
      stderr: '[error] inspect needs a trace: pass TRACE_DIR (or --tasks and --fragments)\n',
    })
  })
})
