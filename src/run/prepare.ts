import { retime } from '../core/cycles.ts'
import {
  type DcMockTrace,
  HeartbeatStream,
  heartbeatGrid,
  largestTaskMessage,
  openDtIds,
  PowerStream,
  PYTHON_INT_DIGITS,
  PYTHON_TIMES,
  placePower,
  TaskMessageStream,
  TopologyStream,
} from '../core/dc-mock-streams.ts'
import { openDtId } from '../core/dc-mock-wire.ts'
import { formatTime } from '../core/format.ts'
import { compressor, findGaps, mergeAscending } from '../core/gaps.ts'
import { shardOf } from '../core/shard.ts'
import { type EventStream, FragmentStream, mergeStreams, TaskStream } from '../core/stream.ts'
import { resolveWindow } from '../core/window.ts'
import { keyBytes } from '../core/wire.ts'
import { badInput } from '../errors.ts'
import type { IdKey } from '../trace/columns.ts'
import { demoTrace } from '../trace/demo.ts'
import { openParquetFile } from '../trace/file.ts'
import { loadConsumption, loadFragments, loadTasks } from '../trace/load.ts'
import { type Fragments, keepTasks, type Tasks } from '../trace/model.ts'
import { deriveDurations, lastEventTime, traceStart } from '../trace/timeline.ts'
import type { Role, Shard, StreamSpec, Window } from '../types.ts'
import type { Ready, StreamEnds } from './protocol.ts'

/** What a worker reports once its streams are built, before the release. */
export interface Prepared {
  stream: EventStream
  window: Window
  /** Per stream: the latest event time in the window (for progress percentages). */
  ends: StreamEnds
  /** Fragments skipped because their task is missing. */
  orphans: number
  durationDerived: boolean
  /** With --max-gap: the compressed clock, and how much trace time it skips in the window. */
  compress?: (t: number) => number
  skippedMs: number
  largest: Ready['largest']
  notes: string[]
}

/** The event times of a stream, in order (it is consumed). */
function* timesOf(stream: EventStream): Generator<number> {
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

/**
 * Loads what a worker's streams need, checks it, and builds them, merged in time order. Each
 * worker validates the files it reads, and the tasks file is read by both, so a bad trace is
 * reported before anything is sent whichever worker finds it. Fragments are read when a stream
 * holds them (fragments, dc-mock's task messages), when it needs the trace's end (dc-mock's
 * power and topology worker: heartbeats and topology run to it), and when tasks depend on them
 * (v2 durations, a what-if host, --max-gap). `kafka`: also measure the largest message.
 * `wallClock` stamps topology messages (`verify` builds them at the epoch, see withoutWallTime).
 */
export async function prepare(
  roles: Role[],
  spec: StreamSpec,
  kafka = false,
  wallClock: () => number = Date.now,
): Promise<Prepared> {
  if (roles.length === 0) return IDLE
  const dcMock = spec.format === 'dc-mock'
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
      if (dcMock && control && roles.some((r) => r === 'workload' || r === 'topology')) {
        wholeEnd = await wholeTraceEnd(tasks, spec.trace.fragments, spec)
      }
      ;({ tasks, leftOut } = keepTasks(tasks, inShard(tasks, spec.format, spec.shard)))
    }
    const holdsFragments = roles.some((r) => r !== 'tasks')
    if (holdsFragments || tasks.durationDerived || spec.maxGapMs !== undefined || spec.host) {
      // dc-mock's power and topology worker needs only the trace's end: fragment times, not usage.
      const timesOnly = !roles.includes('fragments') && !roles.includes('workload') && !spec.host
      const policy = { strict: spec.strict, cpuCount: dcMock, timesOnly, excluded: leftOut }
      fragments = await loadFragments(openParquetFile(spec.trace.fragments), tasks, policy)
    }
  }
  if (fragments && tasks.durationDerived) deriveDurations(tasks, fragments)
  if (fragments && spec.host) retime(tasks, fragments, spec.host)
  const window = resolveWindow(spec.from, spec.to, start)
  // Each a walk over the columns: once here, for every stream below.
  const lastTask = lastEventTime(tasks)
  const lastFragment = fragments ? lastEventTime(tasks, fragments) : -Infinity
  const traceEnd = wholeEnd ?? Math.max(lastTask, lastFragment)
  const notes: string[] = []
  const largest: Ready['largest'] = {}
  const ends: StreamEnds = {}
  const streams: EventStream[] = []
  // Every dc-mock stream loads the fragments (the power and topology worker for the trace's end).
  const dc = dcMock && fragments ? dcMockTrace(tasks, fragments, spec, notes) : undefined
  for (const role of roles) {
    switch (role) {
      case 'tasks':
        streams.push(new TaskStream(tasks, window))
        ends.tasks = lastTask
        break
      case 'fragments':
        streams.push(new FragmentStream(tasks, fragments!, window))
        ends.fragments = lastFragment
        break
      case 'workload': {
        const every = control ? spec.dcMock!.heartbeatMs : 0
        const grid = heartbeatGrid(start, traceEnd, every)
        if (grid.last > PYTHON_TIMES.to) {
          throw badInput(`the trace ends at ${formatTime(traceEnd)}: heartbeats up to it would leave years 1-9999`)
        }
        streams.push(mergeStreams([new HeartbeatStream(grid, every, window), new TaskMessageStream(dc!, window)]))
        ends.workload = Math.max(lastTask, grid.last)
        if (kafka) {
          const big = largestTaskMessage(dc!, window)
          if (big) largest.workload = big
        }
        break
      }
      case 'power': {
        const file = spec.dcMock!.consumption
        if (!file || !first) break
        const consumption = await loadConsumption(openParquetFile(file))
        const power = placePower(consumption, start, spec.dcMock!.powerOffsetMs)
        if ('badRow' in power) {
          const rel = consumption.relative[power.badRow]
          throw badInput(
            `${file}: column "timestamp" row ${power.badRow}: the row's time (the first task's ${formatTime(start)} + ` +
              `${rel} ms + an offset of ${spec.dcMock!.powerOffsetMs} ms) is outside years 1-9999, which OpenDT's times cannot leave`,
          )
        }
        const stream = new PowerStream(power, window)
        // The rows are in time order through `order`: its ends are the first and last times.
        const firstPower = power.time[power.order[0]!]!
        const lastPower = power.time[power.order.at(-1)!]!
        if (consumption.rows === 0) notes.push(`${file} has no rows: no power messages`)
        else if (stream.time === Infinity) {
          notes.push(
            `no row of ${file} falls in the window (its times run ${formatTime(firstPower)} .. ${formatTime(lastPower)}): no power messages`,
          )
        }
        streams.push(stream)
        ends.power = consumption.rows === 0 ? -Infinity : lastPower
        break
      }
      case 'topology': {
        const body = spec.dcMock!.topologyJson
        if (body === undefined || !control) break
        const stream = new TopologyStream(
          Buffer.from(body),
          spec.dcMock!.topologyIntervalMs,
          traceEnd,
          window,
          wallClock,
        )
        streams.push(stream)
        ends.topology = Math.max(traceEnd, window.from)
        largest.topology = { key: 'datacenter', bytes: body.length + 64 }
        break
      }
    }
  }
  for (const role of roles) ends[role] = Math.min(window.to, ends[role] ?? window.from)
  const stream = streams.length > 0 ? mergeStreams(streams) : EMPTY
  const gaps =
    spec.maxGapMs === undefined
      ? undefined
      : findGaps(
          mergeAscending(
            timesOf(new TaskStream(tasks, window)),
            timesOf(new FragmentStream(tasks, fragments!, window)),
          ),
          window.from,
          spec.maxGapMs,
        )
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
  }
}

/**
 * The trace as dc-mock's task messages read it: ids as integers (others skipped, or an error under
 * --strict; two that read as one integer are an error), times that Python's datetime can hold.
 */
function dcMockTrace(tasks: Tasks, fragments: Fragments, spec: StreamSpec, notes: string[]): DcMockTrace {
  const { ids, skipped, firstBad, clash, tooLong } = openDtIds(tasks)
  if (tooLong !== undefined) {
    const digits = ids[tooLong]!.toString('latin1').replace('-', '').length
    throw badInput(
      `${tasks.path}: column "id" row ${tooLong}: task id of ${digits} digits: OpenDT reads ids as integers, ` +
        `and Python reads integers of at most ${PYTHON_INT_DIGITS} digits`,
    )
  }
  if (firstBad !== undefined) {
    const what = `column "id" row ${firstBad}: task id ${tasks.idJson[firstBad]} is not an integer`
    if (spec.strict) throw badInput(`${tasks.path}: ${what} (OpenDT reads task ids as integers; --strict)`)
    notes.push(
      `skipped ${skipped} tasks whose id is not an integer, as OpenDT does (first: ${tasks.path} ${what}; --strict makes this an error)`,
    )
  }
  if (clash) {
    const [row, first] = clash
    throw badInput(
      `${tasks.path}: column "id" row ${row}: task id ${tasks.idJson[row]} is ${ids[row]} to OpenDT, as is ` +
        `${tasks.idJson[first]} at row ${first}: their messages could not be told apart`,
    )
  }
  const late = tasks.submit.findIndex((t) => !(t >= PYTHON_TIMES.from && t <= PYTHON_TIMES.to))
  if (late >= 0) {
    throw badInput(
      `${tasks.path}: column "submission_time" row ${late}: ${formatTime(tasks.submit[late]!)} is outside ` +
        "years 1-9999, which OpenDT's times cannot leave",
    )
  }
  return { tasks, fragments, ids, skipped }
}

/** Which tasks fall in the shard: Kafka's murmur2 of the key each format gives a task (core/shard.ts). */
function inShard(tasks: Tasks, format: StreamSpec['format'], shard: Shard): Uint8Array {
  const keep = new Uint8Array(tasks.count)
  for (let t = 0; t < tasks.count; t++) {
    const json = tasks.idJson[t]!
    // The seed keys a task {"id":ID}; dc-mock by the id's integer text. A task without one is
    // skipped anyway: shard 0 keeps it, so that it is the one to count (or, under --strict, refuse) it.
    const key = format === 'dc-mock' ? openDtId(json) : undefined
    const bytes = format === 'dc-mock' ? (key === undefined ? undefined : Buffer.from(key)) : keyBytes(json)
    keep[t] = (bytes === undefined ? 0 : shardOf(bytes, shard.count)) === shard.index ? 1 : 0
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
