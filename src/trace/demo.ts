import { formatId } from './columns.ts'
import { type Fragments, groupByTask, type Tasks } from './model.ts'

/**
 * The built-in demo trace: four tasks over about 95 s of trace time (under 10 s at the default
 * speed), one without fragments, fragments of different lengths, so a first run on a fresh
 * machine shows both streams, pacing and the output format without any file. Ids are spelled
 * `task-N`, which OpenDT reads as the integer N, so `--format dc-mock` sends them too.
 */
const START = Date.UTC(2022, 9, 6, 22, 0, 0)

const TASKS = [
  // id, submit offset s, duration ms, cpu_count, cpu_capacity MHz, mem_capacity MB
  ['task-1', 0, 60_000, 4, 8400, 16_000],
  ['task-2', 10, 60_000, 2, 4200, 8_000],
  ['task-3', 30, 45_000, 1, 2100, 4_000],
  ['task-4', 45, 50_000, 8, 16_800, 32_000],
] as const

const FRAGMENTS = [
  // task row, duration ms, cpu_usage MHz
  ...[1500, 3200.5, 2900, 4100].map((u) => [0, 15_000, u] as const),
  ...[1100, 1250.75, 900].map((u) => [1, 20_000, u] as const),
  ...[8000, 12_000, 16_800, 9600, 4400.25].map((u) => [3, 10_000, u] as const),
]

export function demoTrace(): { tasks: Tasks; fragments: Fragments } {
  const n = TASKS.length
  const tasks: Tasks = {
    path: 'demo',
    count: n,
    idJson: TASKS.map((t) => formatId(t[0])),
    index: new Map(TASKS.map((t, i) => [t[0], i])),
    idsAreStrings: true,
    submit: Float64Array.from(TASKS, (t) => START + t[1] * 1000),
    duration: Float64Array.from(TASKS, (t) => t[2]),
    durationDerived: false,
    cpuCount: Float64Array.from(TASKS, (t) => t[3]),
    cpuCapacity: Float64Array.from(TASKS, (t) => t[4]),
    memCapacity: Float64Array.from(TASKS, (t) => t[5]),
  }
  const fragments = groupByTask(
    'demo',
    n,
    Int32Array.from(FRAGMENTS, (f) => f[0]),
    Float64Array.from(FRAGMENTS, (f) => f[1]),
    Float64Array.from(FRAGMENTS, (f) => f[2]),
  )
  return { tasks, fragments }
}
