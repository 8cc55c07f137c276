import { retime } from '../core/cycles.ts'
import { type Demand, demand } from '../core/demand.ts'
import { compressor, findGaps, mergeAscending } from '../core/gaps.ts'
import { FragmentOrder, TaskOrder } from '../core/order.ts'
import { shardOf } from '../core/shard.ts'
import { type EventStream, mergeStreams } from '../core/stream.ts'
import { resolveWindow } from '../core/window.ts'
import type { IdKey } from '../trace/columns.ts'
import { demoTrace } from '../trace/demo.ts'
import { openParquetFile } from '../trace/file.ts'
import { loadFragments, loadTasks } from '../trace/load.ts'
import { type Fragments, keepTasks, type Tasks } from '../trace/model.ts'
import { deriveDurations, lastEventTime, traceStart } from '../trace/timeline.ts'
import type { Role, Shard, StreamSpec, Window } from '../types.ts'
import type { BuildContext, FormatDefinition, FragmentColumn, LargestMessages, TraceEvents } from './format.ts'

/** What a worker reports once its streams are built, before the release. */
export interface Prepared {
  stream: EventStream
  window: Window
  /** Per stream: the latest event time in the window (for progress percentages). */
  ends: Partial<Record<Role, number>>
  /** Fragments skipped because their task is missing. */
  orphans: number
  durationDerived: boolean
  /** With --max-gap: the compressed clock, and how much trace time it skips in the window. */
  compress?: (t: number) => number
  skippedMs: number
  largest: LargestMessages
  notes: string[]
  /** Asked for (a live view) and the fragments' usages loaded: the CPU demand, as inspect computes it. */
  demand?: Demand
}

/** The event times of a cursor, in order (it is consumed). */
function* timesOf(stream: { readonly time: number; advance(): void }): Generator<number> {
  while (stream.time !== Infinity) {
    yield stream.time
    stream.advance()
  }
}

/** A stream with nothing in it. */
const EMPTY: EventStream = {
  role: 'tasks',
  time: Infinity,
  keyBytes: () => null,
  keyJson: () => Buffer.alloc(0),
  writeValue: () => {},
  advance: () => {},
}

/**
 * A worker without streams (the first, at --speed max to stdout, where the second writes them
 * all) loads nothing: the second reads and checks the whole trace.
 */
const IDLE: Prepared = {
  stream: EMPTY,
  window: { from: -Infinity, to: Infinity },
  ends: {},
  orphans: 0,
  durationDerived: false,
  skippedMs: 0,
  largest: {},
  notes: [],
}

/** What the streams of `roles` read from the trace together (their format's `reads`). */
function readsOf(
  format: FormatDefinition,
  roles: readonly Role[],
): { columns: Set<FragmentColumn>; toTraceEnd: boolean } {
  const reads = roles.map((role) => format.reads[role] ?? {})
  return {
    columns: new Set(reads.flatMap((r) => r.fragments ?? [])),
    toTraceEnd: reads.some((r) => r.toTraceEnd === true),
  }
}

/**
 * Loads what a worker's streams of `format` read, checks it, and builds them, merged in time order. Each
 * worker validates the files it reads, and the tasks file is read by both, so a bad trace is
 * reported before anything is sent whichever worker finds it. Fragments are read when a stream
 * reads their columns or runs to the trace's end (the format's `reads`), and when tasks depend on
 * them (v2 durations, a what-if host, --max-gap over the format's fragments). `measureLargest`:
 * also measure the largest message. `wallClock` stamps wall-clock fields (dc-mock's topology;
 * `verify` builds them at the epoch).
 */
export async function prepare(
  format: FormatDefinition,
  roles: Role[],
  spec: StreamSpec,
  measureLargest = false,
  wallClock: () => number = Date.now,
  withDemand = false,
): Promise<Prepared> {
  if (roles.length === 0) return IDLE
  const { columns, toTraceEnd } = readsOf(format, roles)
  const gapsOverFragments = spec.maxGapMs !== undefined && format.activity.includes('fragments')
  // A shard sends the streams without a task key (heartbeats, power, topology) only if it is
  // shard 0, or heartbeats and topology from every shard with --shard-control all.
  const first = !spec.shard || spec.shard.index === 0
  const control = first || spec.shard?.control === 'all'
  let tasks: Tasks
  let fragments: Fragments | undefined
  let wholeEnd: number | undefined
  let start: number
  if (spec.trace.demo) {
    ;({ tasks, fragments } = demoTrace())
    start = traceStart(tasks)
  } else {
    tasks = await loadTasks(openParquetFile(spec.trace.tasks))
    // Every shard times its window and heartbeats from the whole trace, so all of them agree.
    start = traceStart(tasks)
    let leftOut: ReadonlySet<IdKey> | undefined
    if (spec.shard) {
      if (toTraceEnd && control) wholeEnd = await wholeTraceEnd(tasks, spec.trace.fragments, spec)
      ;({ tasks, leftOut } = keepTasks(tasks, inShard(tasks, format, spec.shard)))
    }
    if (columns.size > 0 || toTraceEnd || gapsOverFragments || tasks.durationDerived || spec.host) {
      // Times only (ids and durations) unless a stream reads more, or a what-if host retimes by usage.
      const timesOnly = !columns.has('cpu_usage') && !columns.has('cpu_count') && !spec.host
      const policy = { strict: spec.strict, cpuCount: columns.has('cpu_count'), timesOnly, excluded: leftOut }
      fragments = await loadFragments(openParquetFile(spec.trace.fragments), tasks, policy)
    }
  }
  if (fragments && tasks.durationDerived) deriveDurations(tasks, fragments)
  if (fragments && spec.host) retime(tasks, fragments, spec.host)
  const window = resolveWindow(spec.from, spec.to, start)
  // Each a walk over the columns: once here, for every stream the format builds.
  const lastTask = lastEventTime(tasks)
  const lastFragment = fragments ? lastEventTime(tasks, fragments) : -Infinity
  const context: BuildContext = {
    spec,
    tasks,
    fragments,
    window,
    start,
    traceEnd: wholeEnd ?? Math.max(lastTask, lastFragment),
    lastTask,
    lastFragment,
    first,
    control,
    measureLargest,
    wallClock,
    streams: [],
    ends: {},
    largest: {},
    notes: [],
  }
  await format.build(roles, context)
  const { streams, ends, largest, notes } = context
  for (const role of roles) ends[role] = Math.min(window.to, ends[role] ?? window.from)
  const stream = streams.length > 0 ? mergeStreams(streams) : EMPTY
  const gaps =
    spec.maxGapMs === undefined
      ? undefined
      : findGaps(activityTimes(format, tasks, fragments, window), window.from, spec.maxGapMs)
  return {
    compress: gaps && compressor(gaps),
    skippedMs: gaps?.total ?? 0,
    stream,
    window,
    ends,
    orphans: fragments?.orphans ?? 0,
    durationDerived: tasks.durationDerived,
    largest,
    notes,
    // From the columns already loaded: a live view's demand costs no second read of the trace.
    demand:
      withDemand && fragments && fragments.cpuUsage.length === fragments.duration.length
        ? demand(tasks, fragments)
        : undefined,
  }
}

/** The times of the trace's events the format's messages follow (its `activity`), in order: what `--max-gap` reads. */
function activityTimes(
  format: FormatDefinition,
  tasks: Tasks,
  fragments: Fragments | undefined,
  window: Window,
): Generator<number> {
  const of = (events: TraceEvents) =>
    events === 'tasks' ? timesOf(new TaskOrder(tasks, window)) : timesOf(new FragmentOrder(tasks, fragments!, window))
  const [first, ...rest] = format.activity.map(of)
  return rest.reduce((merged, next) => mergeAscending(merged, next), first ?? timesOf(EMPTY))
}

/** Which tasks fall in the shard: Kafka's murmur2 of the key the format gives a task (core/shard.ts). */
function inShard(tasks: Tasks, format: FormatDefinition, shard: Shard): Uint8Array {
  const keep = new Uint8Array(tasks.count)
  for (let t = 0; t < tasks.count; t++) {
    // A task without a key is skipped anyway: shard 0 keeps it, so that it is the one to count
    // (or, under --strict, refuse) it.
    const key = format.taskKey(tasks.idJson[t]!)
    keep[t] = (key === undefined ? 0 : shardOf(key, shard.count)) === shard.index ? 1 : 0
  }
  return keep
}

/** The whole trace's end (its last task or fragment), which every shard's heartbeats and topology run to. */
async function wholeTraceEnd(tasks: Tasks, fragmentsPath: string, spec: StreamSpec): Promise<number> {
  // A copy of what deriving durations or retiming changes, so the shard's own columns stay as read.
  const copy = {
    ...tasks,
    duration: tasks.duration.slice(),
    cpuCount: tasks.cpuCount.slice(),
    cpuCapacity: tasks.cpuCapacity.slice(),
  }
  const policy = { strict: spec.strict, timesOnly: !spec.host }
  const all = await loadFragments(openParquetFile(fragmentsPath), copy, policy)
  if (copy.durationDerived) deriveDurations(copy, all)
  if (spec.host) retime(copy, all, spec.host)
  return Math.max(lastEventTime(copy), lastEventTime(copy, all))
}
