import { parseDuration } from '../../core/flag-values.ts'
import { ReplayError } from '../../errors.ts'
import { openParquetFile } from '../../trace/file.ts'
import { loadConsumption } from '../../trace/load.ts'
import type { Fragments, Tasks } from '../../trace/model.ts'
import { lastEventTime, traceStart } from '../../trace/timeline.ts'
import { readTopologyFile, topologyMessageBody } from '../../trace/topology.ts'
import type { FormatInspection } from '../format.ts'
import { DC_MOCK_TOPICS, DEFAULT_HEARTBEAT, DEFAULT_TOPOLOGY_INTERVAL } from './defaults.ts'
import { type DcMockFiles, dcMockFiles } from './files.ts'
import { heartbeatGrid } from './side-streams.ts'
import { largestTaskMessage, openDtIds } from './streams.ts'

/** What `replay --format dc-mock` would send, with its defaults (defaults.ts: a heartbeat a minute, the topology every 30 s). */
export interface DcMockView {
  /** By topic, as dc-mock names them (defaults.ts): dc.workload, dc.power, dc.topology. */
  messages: Record<string, number>
  tasks: number
  /** Tasks whose id OpenDT cannot read as an integer: skipped. */
  skippedIds: number
  heartbeats: number
  /** The largest workload message: its task and its size, bytes. */
  largest: { task: string; bytes: number } | null
  /** The files found (null: none, so no such stream) and the power offset, ms. */
  consumption: string | null
  topology: string | null
  /** Why `replay --format dc-mock` would refuse the topology file (null: it would not). */
  topologyProblem: string | null
  powerOffsetMs: number
}

const HEARTBEAT_MS = parseDuration('--heartbeat', DEFAULT_HEARTBEAT)
const TOPOLOGY_MS = parseDuration('--topology-interval', DEFAULT_TOPOLOGY_INTERVAL)
const { workload: WORKLOAD, power: POWER, topology: TOPOLOGY } = DC_MOCK_TOPICS

export async function dcMockView(tasks: Tasks, fragments: Fragments, files: DcMockFiles): Promise<DcMockView> {
  const { ids, skipped } = openDtIds(tasks)
  const start = traceStart(tasks)
  const end = Math.max(lastEventTime(tasks), lastEventTime(tasks, fragments))
  const grid = heartbeatGrid(start, end, HEARTBEAT_MS)
  const heartbeats = Math.round((grid.last - grid.first) / HEARTBEAT_MS) + 1
  const big = largestTaskMessage({ tasks, fragments, ids, skipped })
  // Both files are read as a replay would, so a bad one is reported here too.
  const power = files.consumption ? (await loadConsumption(openParquetFile(files.consumption))).rows : 0
  // A topology OpenDT would refuse is reported, not fatal: inspect also takes OpenDC topologies for capacity.
  let topologyProblem: string | null = null
  if (files.topology) {
    try {
      topologyMessageBody(files.topology, readTopologyFile('--topology', files.topology))
    } catch (error) {
      if (!(error instanceof ReplayError)) throw error
      topologyProblem = error.message
    }
  }
  const topology = files.topology && !topologyProblem ? Math.floor((end - start) / TOPOLOGY_MS) + 1 : 0
  return {
    messages: { [WORKLOAD]: tasks.count - skipped + heartbeats, [POWER]: power, [TOPOLOGY]: topology },
    tasks: tasks.count - skipped,
    skippedIds: skipped,
    heartbeats,
    largest: big ? { task: big.key, bytes: big.bytes } : null,
    consumption: files.consumption ?? null,
    topology: files.topology ?? null,
    topologyProblem,
    powerOffsetMs: files.powerOffsetMs,
  }
}

/**
 * dc-mock's section of `inspect`'s report: its files found beside the trace (inspect's
 * `--topology`, which gives the capacity, is also the topology it would send), what it would send.
 */
export const inspection: FormatInspection = {
  key: 'dcMock',
  resolve({ args, trace, read }): DcMockFiles {
    const found = dcMockFiles(trace, args.trace_dir as string | undefined, read)
    return { ...found, topology: (args.topology as string | undefined) ?? found.topology }
  },
  view: ({ tasks, fragments }, files) => dcMockView(tasks, fragments, files as DcMockFiles),
  lines: (view) => dcMockLines(view as DcMockView),
}

/** The report's lines about the dc-mock format. */
export function dcMockLines(v: DcMockView): string[] {
  const m = v.messages
  return [
    `dc-mock messages           ${WORKLOAD} ${m[WORKLOAD]} (${v.tasks} tasks, ${v.heartbeats} heartbeats), ` +
      `${POWER} ${m[POWER]}, ${TOPOLOGY} ${m[TOPOLOGY]}` +
      (v.skippedIds > 0 ? `; ${v.skippedIds} tasks skipped (id not an integer)` : ''),
    `dc-mock largest message    ${v.largest ? `task ${v.largest.task}, ${v.largest.bytes} bytes` : 'none'}`,
    `dc-mock files              power ${v.consumption ?? 'none (no power stream)'}` +
      `${v.consumption ? ` (offset ${v.powerOffsetMs} ms)` : ''}; topology ${v.topology ?? 'none (no topology stream)'}` +
      (v.topologyProblem ? ` (replay would refuse it: ${v.topologyProblem})` : ''),
  ]
}
