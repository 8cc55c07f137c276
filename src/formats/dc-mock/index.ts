import { parseDuration } from '../../core/flag-values.ts'
import { type EventStream, mergeStreams } from '../../core/stream.ts'
import { formatTime, PYTHON_TIMES } from '../../core/text.ts'
import { quote } from '../../echo.ts'
import { badInput } from '../../errors.ts'
import { openParquetFile } from '../../trace/file.ts'
import { loadConsumption } from '../../trace/load.ts'
import type { Fragments, Tasks } from '../../trace/model.ts'
import { lastEventTime, traceStart } from '../../trace/timeline.ts'
import { readTopologyFile, topologyMessageBody } from '../../trace/topology.ts'
import type { Role, StreamSpec } from '../../types.ts'
import type { FormatDefinition, LoadedTrace, ResolveContext } from '../format.ts'
import { DC_MOCK_TOPICS, DEFAULT_HEARTBEAT, DEFAULT_TOPOLOGY_INTERVAL } from './defaults.ts'
import { dcMockFiles } from './files.ts'
import { inspection } from './inspect.ts'
import {
  HEARTBEAT_KEY,
  HeartbeatStream,
  heartbeatGrid,
  PowerStream,
  placePower,
  TOPOLOGY_KEY,
  TopologyStream,
} from './side-streams.ts'
import { type DcMockTrace, largestTaskMessage, openDtIds, PYTHON_INT_DIGITS, TaskMessageStream } from './streams.ts'
import { openDtId, readTaskDemand, wallTimeNamed, withoutWallTime } from './wire.ts'

/**
 * What OpenDT's dc-mock service sends today: dc.workload (each task with all its fragments, and
 * heartbeats), dc.power (consumption.parquet's rows) and dc.topology (topology.json, every 30 s of
 * trace time). One worker paces dc.workload (its task messages hold the trace), the other the two
 * light streams. streams.ts and wire.ts build and spell the messages.
 */

/** What `--format dc-mock` adds to a trace: heartbeats, power, topology. Plain data: it crosses to the workers. */
export interface DcMockSpec {
  /** `--heartbeat`: trace time between heartbeats, ms; 0 turns them off. */
  heartbeatMs: number
  /** consumption.parquet, if there is one: the power stream. */
  consumption?: string
  /** Added to every power row's time (workload.yaml's `timestamps.consumption_offset_ms`, or `--power-offset`). */
  powerOffsetMs: number
  /** topology.json, if there is one, checked and compacted (trace/topology.ts topologyJson): the topology stream. */
  topologyJson?: string
  /** `--topology-interval`: trace time between topology messages, ms. */
  topologyIntervalMs: number
}

const specOf = (spec: StreamSpec) => spec.formatOptions as DcMockSpec

/**
 * dc-mock's extra inputs: power, topology and the power offset come from the flags, else from the
 * trace folder (consumption.parquet, topology.json, workload.yaml) when they are there. The
 * topology is read and checked here, so a bad one fails before the workers start.
 */
function resolve({ args, trace, name, read }: ResolveContext): DcMockSpec {
  const text = (flag: string) => args[flag] as string | undefined
  const duration = (flag: string, value: string) => parseDuration(name(flag), value)
  const heartbeatText = text('heartbeat') ?? DEFAULT_HEARTBEAT
  const heartbeatMs = duration('heartbeat', heartbeatText)
  if (heartbeatMs === 0 && /[1-9]/.test(heartbeatText)) {
    throw badInput(`${name('heartbeat')}: ${heartbeatText} is under 1ms (0 turns heartbeats off)`)
  }
  const topologyIntervalMs = duration('topology-interval', text('topology-interval') ?? DEFAULT_TOPOLOGY_INTERVAL)
  if (topologyIntervalMs <= 0) {
    throw badInput(`${name('topology-interval')}: must be at least 1ms, got ${quote(text('topology-interval'))}`)
  }
  const found = dcMockFiles(trace, text('trace_dir'), read)
  const topologyFile = text('topology') ?? found.topology
  const offsetText = text('power-offset')
  // An offset may move power earlier: a leading - is allowed here, unlike in other durations.
  const powerOffsetMs =
    offsetText === undefined
      ? found.powerOffsetMs
      : offsetText.startsWith('-')
        ? -duration('power-offset', offsetText.slice(1))
        : duration('power-offset', offsetText)
  return {
    heartbeatMs,
    consumption: text('consumption') ?? found.consumption,
    powerOffsetMs,
    topologyJson:
      topologyFile === undefined
        ? undefined
        : topologyMessageBody(topologyFile, readTopologyFile(name('topology'), topologyFile)),
    topologyIntervalMs,
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

/** dc-mock's streams of `roles` over the demo trace, with its default intervals and a few power rows: a paced worker's warm-up. */
function warmUp(roles: readonly Role[], { tasks, fragments }: LoadedTrace): EventStream[] {
  const start = traceStart(tasks)
  const end = Math.max(lastEventTime(tasks), lastEventTime(tasks, fragments))
  const window = { from: start, to: Infinity }
  const heartbeatMs = parseDuration('--heartbeat', DEFAULT_HEARTBEAT)
  const topologyMs = parseDuration('--topology-interval', DEFAULT_TOPOLOGY_INTERVAL)
  const rows = Float64Array.from({ length: 4 }, (_, i) => i * topologyMs)
  const power = placePower({ path: 'demo', rows: 4, relative: rows, powerDraw: rows, energyUsage: rows }, start, 0)
  const streams: Record<Role, () => EventStream[]> = {
    workload: () => [
      new HeartbeatStream(heartbeatGrid(start, end, heartbeatMs), heartbeatMs, window),
      new TaskMessageStream({ tasks, fragments, ...openDtIds(tasks) }, window),
    ],
    power: () => ('badRow' in power ? [] : [new PowerStream(power, window)]),
    topology: () => [new TopologyStream(Buffer.from('{"clusters":[]}'), topologyMs, end, window)],
  }
  return roles.flatMap((role) => streams[role]?.() ?? [])
}

export const dcMock: FormatDefinition = {
  name: 'dc-mock',
  summary: `what OpenDT's dc-mock sends (${DC_MOCK_TOPICS.workload} tasks with their fragments and heartbeats, ${DC_MOCK_TOPICS.power}, ${DC_MOCK_TOPICS.topology})`,
  streams: ['workload', 'power', 'topology'],
  topics: {
    workload: { flag: 'workload-topic', default: DC_MOCK_TOPICS.workload, holds: 'tasks and heartbeats' },
    power: { flag: 'power-topic', default: DC_MOCK_TOPICS.power, holds: 'power' },
    topology: { flag: 'topology-topic', default: DC_MOCK_TOPICS.topology, holds: 'the topology' },
  },
  flags: {
    heartbeat: {
      type: 'string',
      valueHint: 'DURATION',
      description: `dc-mock: trace time between heartbeats on the workload topic; 0 turns them off (default ${DEFAULT_HEARTBEAT})`,
    },
    consumption: {
      type: 'string',
      valueHint: 'FILE',
      description: 'dc-mock: power file (default TRACE_DIR/consumption.parquet; none there: no power stream)',
    },
    'power-offset': {
      type: 'string',
      valueHint: 'DURATION',
      description:
        "dc-mock: added to every power row's time (default: workload.yaml's timestamps.consumption_offset_ms, else 0)",
    },
    topology: {
      type: 'string',
      valueHint: 'FILE',
      description: 'dc-mock: topology file (default TRACE_DIR/topology.json; none there: no topology stream)',
    },
    'topology-interval': {
      type: 'string',
      valueHint: 'DURATION',
      description: `dc-mock: trace time between topology messages (default ${DEFAULT_TOPOLOGY_INTERVAL})`,
    },
  },
  helpGroup: 'DC-MOCK FORMAT',
  // dc.workload alone (its task messages hold the fragments); dc.power and dc.topology share a thread.
  workers: [['workload'], ['power', 'topology']],
  resolve,
  // Heartbeats (on dc.workload) and the topology run to the trace's end; power rows come from their own file.
  reads: {
    workload: { fragments: ['duration', 'cpu_count', 'cpu_usage'], toTraceEnd: true },
    power: {},
    topology: { toTraceEnd: true },
  },
  activity: ['tasks', 'fragments'],
  taskKey(idJson) {
    const key = openDtId(idJson)
    return key === undefined ? undefined : Buffer.from(key)
  },
  async build(roles, c) {
    const spec = specOf(c.spec)
    const dc = c.fragments ? dcMockTrace(c.tasks, c.fragments, c.spec, c.notes) : undefined
    for (const role of roles) {
      if (role === 'workload') {
        const every = c.control ? spec.heartbeatMs : 0
        const grid = heartbeatGrid(c.start, c.traceEnd, every)
        if (grid.last > PYTHON_TIMES.to) {
          throw badInput(`the trace ends at ${formatTime(c.traceEnd)}: heartbeats up to it would leave years 1-9999`)
        }
        c.streams.push(mergeStreams([new HeartbeatStream(grid, every, c.window), new TaskMessageStream(dc!, c.window)]))
        c.ends.workload = Math.max(c.lastTask, grid.last)
        if (c.measureLargest) {
          const big = largestTaskMessage(dc!, c.window)
          if (big) c.largest.workload = big
        }
      } else if (role === 'power') {
        const file = spec.consumption
        if (!file || !c.first) continue
        const consumption = await loadConsumption(openParquetFile(file))
        const power = placePower(consumption, c.start, spec.powerOffsetMs)
        if ('badRow' in power) {
          const rel = consumption.relative[power.badRow]
          throw badInput(
            `${file}: column "timestamp" row ${power.badRow}: the row's time (the first task's ${formatTime(c.start)} + ` +
              `${rel} ms + an offset of ${spec.powerOffsetMs} ms) is outside years 1-9999, which OpenDT's times cannot leave`,
          )
        }
        const stream = new PowerStream(power, c.window)
        // The rows are in time order through `order`: its ends are the first and last times.
        const firstPower = power.time[power.order[0]!]!
        const lastPower = power.time[power.order.at(-1)!]!
        if (consumption.rows === 0) c.notes.push(`${file} has no rows: no power messages`)
        else if (stream.time === Infinity) {
          c.notes.push(
            `no row of ${file} falls in the window (its times run ${formatTime(firstPower)} .. ${formatTime(lastPower)}): no power messages`,
          )
        }
        c.streams.push(stream)
        c.ends.power = consumption.rows === 0 ? -Infinity : lastPower
      } else if (role === 'topology') {
        const body = spec.topologyJson
        if (body === undefined || !c.control) continue
        c.streams.push(
          new TopologyStream(Buffer.from(body), spec.topologyIntervalMs, c.traceEnd, c.window, c.wallClock),
        )
        c.ends.topology = Math.max(c.traceEnd, c.window.from)
        c.largest.topology = { key: 'datacenter', bytes: body.length + 64 }
      }
    }
  },
  async identity(options, { file, hash }) {
    const spec = specOf(options.spec)
    return {
      '--format': 'dc-mock',
      '--workload-topic': options.topics.workload!,
      '--power-topic': options.topics.power!,
      '--topology-topic': options.topics.topology!,
      '--heartbeat': `${spec.heartbeatMs} ms`,
      'consumption file': spec.consumption ? await file(spec.consumption) : 'none',
      'power offset': `${spec.powerOffsetMs} ms`,
      'topology interval': `${spec.topologyIntervalMs} ms`,
      topology: spec.topologyJson ? `sha256 ${hash(spec.topologyJson)}` : 'none',
    }
  },
  // Topology messages are stamped with the sender's wall clock: compared without it.
  normalize: (role) => (role === 'topology' ? withoutWallTime : undefined),
  shownExpected: (role, value) => (role === 'topology' ? wallTimeNamed(value) : value),
  demandOf: (role) => (role === 'workload' ? readTaskDemand : undefined),
  warmUp,
  describeLargest: (role, key) => (role === 'workload' ? `task ${key}` : `the ${role} message`),
  notes(options) {
    const spec = options as DcMockSpec
    return [
      ...(spec.consumption ? [] : ['no consumption.parquet in the trace folder (nor --consumption): no power stream']),
      ...(spec.topologyJson === undefined
        ? ['no topology.json in the trace folder (nor --topology): no topology stream']
        : []),
    ]
  },
  controlKeys: [HEARTBEAT_KEY, TOPOLOGY_KEY],
  inspect: inspection,
}
