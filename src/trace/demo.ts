import { formatId } from './columns.ts'
import { type Fragments, groupByTask, type Tasks, taskColumns } from './model.ts'
import type { TaskField } from './schema.ts'

/**
 * The built-in demo trace: four tasks over about 95 s of trace time (under 10 s at the default
 * speed), one without fragments, fragments of different lengths, so a first run on a fresh
 * machine shows both streams, pacing and the output format without any file. Ids are spelled
 * `task-N`, which OpenDT reads as the integer N, so `--format dc-mock` sends them too.
 */
const START = Date.UTC(2022, 9, 6, 22, 0, 0)

const S = 1000
const TASKS: readonly ({ id: string } & Record<TaskField, number>)[] = [
  { id: 'task-1', submit: START, duration: 60 * S, cpuCount: 4, cpuCapacity: 8400, memCapacity: 16_000 },
  { id: 'task-2', submit: START + 10 * S, duration: 60 * S, cpuCount: 2, cpuCapacity: 4200, memCapacity: 8_000 },
  { id: 'task-3', submit: START + 30 * S, duration: 45 * S, cpuCount: 1, cpuCapacity: 2100, memCapacity: 4_000 },
  { id: 'task-4', submit: START + 45 * S, duration: 50 * S, cpuCount: 8, cpuCapacity: 16_800, memCapacity: 32_000 },
]

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
    idJson: TASKS.map((t) => formatId(t.id)),
    index: new Map(TASKS.map((t, i) => [t.id, i])),
    idsAreStrings: true,
    ...taskColumns((field) => Float64Array.from(TASKS, (t) => t[field])),
    durationDerived: false,
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
