import { retime } from '../core/cycles.ts'
import { type Demand, demand } from '../core/demand.ts'
import { formatDuration, formatTime } from '../core/text.ts'
import type { FormatDefinition } from '../formats/format.ts'
import { demoTrace } from '../trace/demo.ts'
import { openParquetFile } from '../trace/file.ts'
import { loadFragments, loadTasks, readFooter } from '../trace/load.ts'
import { topLevelColumns } from '../trace/schema.ts'
import { forEachFragmentTime, lastEventTime, traceStart, walkFragments } from '../trace/timeline.ts'
import type { Host, InspectOptions, TraceSpec } from '../types.ts'

/**
 * What `opendt-replay inspect` reports about a trace before anything is sent; after these, each
 * format's own section (formats/<name>/ inspect) under its key.
 */
export type Inspection = TraceInspection & { [section: string]: unknown }

/** The report on the trace itself. */
export interface TraceInspection {
  schema: { version: string; evidence: string }
  files: Record<'tasks' | 'fragments', { path: string; rows: number; rowGroups: number; columns: string[] }>
  tasksWithoutFragments: number
  fragmentsWithoutTask: number
  span: Record<'tasks' | 'fragments', { first: string; last: string } | null>
  busiestSecond: Record<'tasks' | 'fragments', { second: string; messages: number } | null>
  durationMismatches: { tasks: number; examples: { id: string; duration: number; fragmentSum: number }[] }
  replay: { speed: number | 'max'; wallSeconds: number }
  /** CPU demand over the timeline (core/demand.ts), on the what-if host when there is one. */
  demand: {
    host: { cpus: number; mhz: number } | null
    totalCycles: string
    topTasks: { id: string | number; cycles: number }[]
    mhz: { mean: number; p50: number; p99: number; peak: number }
    peakAt: string
    capacity: {
      mhz: number
      source: string
      peakUtilization: number
      meanUtilization: number
      minutesOverCapacity: number
    } | null
  }
}

async function fileFacts(path: string) {
  // loadTasks/loadFragments have already checked the file: reading its footer again cannot fail anew.
  const source = openParquetFile(path)
  try {
    const { metadata, groupRows } = readFooter(source)
    const columns = [...topLevelColumns(metadata.schema).keys()]
    return { path, rows: Number(metadata.num_rows), rowGroups: groupRows.length, columns }
  } finally {
    source.close?.()
  }
}

/**
 * OpenDC's workload schema versions differ in these columns: v2 tasks have no duration, and from v4
 * on fragments have no cpu_count. The version is read from them (what the files say, not a label).
 */
function schemaVersion(tasks: string[], fragments: string[]) {
  if (!tasks.includes('duration')) return { version: 'v2', evidence: 'tasks have no duration column' }
  if (fragments.includes('cpu_count'))
    return { version: 'v3', evidence: 'tasks have duration; fragments have cpu_count' }
  return { version: 'v4+', evidence: 'tasks have duration; fragments have no cpu_count' }
}

/** Per-second counts: the busiest second and its count. */
function busiest(forEachTime: (visit: (time: number) => void) => void): { second: string; messages: number } | null {
  const counts = new Map<number, number>()
  let best = -1
  let bestCount = 0
  forEachTime((t) => {
    const second = Math.floor(t / 1000)
    const c = (counts.get(second) ?? 0) + 1
    counts.set(second, c)
    if (c > bestCount || (c === bestCount && second < best)) {
      best = second
      bestCount = c
    }
  })
  return bestCount === 0 ? null : { second: formatTime(best * 1000), messages: bestCount }
}

/**
 * The report, and the demand behind it (for the SVG). `formats`: those whose section it gives
 * (each with `inspect`), after the trace's; the fragments' own cpu_count is read when one of
 * their streams reads it.
 */
export async function inspect(
  options: InspectOptions,
  formats: readonly FormatDefinition[],
): Promise<{ report: Inspection; demand: Demand }> {
  const { trace, speed } = options
  const reported = formats.filter((f) => f.inspect)
  const cpuCount = reported.some((f) => Object.values(f.reads).some((r) => r.fragments?.includes('cpu_count')))
  const tasks = await loadTasks(openParquetFile(trace.tasks))
  const fragments = await loadFragments(openParquetFile(trace.fragments), tasks, { strict: false, cpuCount })
  // Before retiming: each format's view is of the trace as it would send it without a what-if host.
  const sections: Record<string, unknown> = {}
  for (const f of reported)
    sections[f.inspect!.key] = await f.inspect!.view({ tasks, fragments }, options.formats[f.name])
  const files = { tasks: await fileFacts(trace.tasks), fragments: await fileFacts(trace.fragments) }
  let withoutFragments = 0
  let mismatches = 0
  const examples: Inspection['durationMismatches']['examples'] = []
  for (let t = 0; t < tasks.count; t++) {
    const from = fragments.offsets[t]!
    const to = fragments.offsets[t + 1]!
    if (from === to) withoutFragments++
    if (tasks.durationDerived || from === to) continue
    const sum = walkFragments(tasks, fragments, t) - tasks.submit[t]!
    if (sum !== tasks.duration[t]) {
      mismatches++
      if (examples.length < 3)
        examples.push({ id: JSON.parse(tasks.idJson[t]!), duration: tasks.duration[t]!, fragmentSum: sum })
    }
  }
  // Mismatches are the file's; everything from here on is about the replay, on the what-if host if any.
  if (options.host) retime(tasks, fragments, options.host)
  const start = traceStart(tasks)
  const lastTask = lastEventTime(tasks)
  const lastFragment = lastEventTime(tasks, fragments)
  let firstFragment = Infinity
  forEachFragmentTime(tasks, fragments, (t) => {
    if (t < firstFragment) firstFragment = t
  })
  const end = Math.max(lastTask, lastFragment)
  const d = demand(tasks, fragments, options.capacity?.mhz)
  const report: Inspection = {
    schema: schemaVersion(files.tasks.columns, files.fragments.columns),
    files,
    tasksWithoutFragments: withoutFragments,
    fragmentsWithoutTask: fragments.orphans,
    span: {
      tasks: { first: formatTime(start), last: formatTime(lastTask) },
      fragments:
        fragments.count > 0
          ? { first: formatTime(Math.round(firstFragment)), last: formatTime(Math.round(lastFragment)) }
          : null,
    },
    busiestSecond: {
      tasks: busiest((visit) => {
        for (const t of tasks.submit) visit(t)
      }),
      fragments: busiest((visit) => forEachFragmentTime(tasks, fragments, visit)),
    },
    durationMismatches: { tasks: mismatches, examples },
    replay: {
      speed: speed === Infinity ? 'max' : speed,
      wallSeconds: speed === Infinity ? 0 : (end - start) / speed / 1000,
    },
    demand: {
      host: options.host ? { cpus: options.host.cpus, mhz: options.host.mhz } : null,
      totalCycles: d.totalCycles,
      topTasks: d.topTasks,
      mhz: { mean: d.mean, p50: d.p50, p99: d.p99, peak: d.peak },
      peakAt: formatTime(Math.round(d.peakAt)),
      capacity:
        options.capacity && d.capacity
          ? {
              mhz: d.capacity.mhz,
              source: options.capacity.source,
              peakUtilization: d.capacity.peakUtilization,
              meanUtilization: d.capacity.meanUtilization,
              minutesOverCapacity: d.capacity.minutesOver,
            }
          : null,
    },
    ...sections,
  }
  return { report, demand: d }
}

/**
 * The whole trace's demand as `inspect` computes it, on the what-if host when there is one: what
 * a live view draws (verify's, a replay's), loaded apart from the run's own columns.
 */
export async function traceDemand(trace: TraceSpec, host?: Host): Promise<Demand> {
  const { tasks, fragments } = trace.demo ? demoTrace() : await loadTrace(trace)
  if (host) retime(tasks, fragments, host)
  return demand(tasks, fragments)
}

async function loadTrace(trace: { tasks: string; fragments: string }) {
  const tasks = await loadTasks(openParquetFile(trace.tasks))
  return { tasks, fragments: await loadFragments(openParquetFile(trace.fragments), tasks, { strict: false }) }
}

/** The human-readable report: the trace's lines, then each format's section's (`formats` as inspect() was given them). */
export function formatInspection(i: Inspection, formats: readonly FormatDefinition[]): string {
  const file = (f: Inspection['files']['tasks']) =>
    `${f.path}: ${f.rows} rows in ${f.rowGroups} row group${f.rowGroups === 1 ? '' : 's'}; ` +
    `columns ${f.columns.join(', ')}`
  const span = (s: Inspection['span']['tasks']) => (s ? `${s.first} .. ${s.last}` : 'none')
  const busy = (b: Inspection['busiestSecond']['tasks']) => (b ? `${b.messages} at ${b.second}` : 'none')
  const m = i.durationMismatches
  const replayTime = i.replay.speed === 'max' ? 'as fast as possible' : formatDuration(i.replay.wallSeconds * 1000)
  const examples = m.examples.map((e) => `${e.id}: ${e.duration} vs ${e.fragmentSum}`).join(', ')
  return [
    `schema                     ${i.schema.version} (${i.schema.evidence})`,
    `tasks file                 ${file(i.files.tasks)}`,
    `fragments file             ${file(i.files.fragments)}`,
    `tasks without fragments    ${i.tasksWithoutFragments}`,
    `fragments without a task   ${i.fragmentsWithoutTask}`,
    `tasks span                 ${span(i.span.tasks)}`,
    `fragments span             ${span(i.span.fragments)}`,
    `busiest second             tasks ${busy(i.busiestSecond.tasks)}; fragments ${busy(i.busiestSecond.fragments)}`,
    `duration mismatches        ${m.tasks} tasks whose fragment durations do not add up to their duration` +
      (examples ? ` (e.g. ${examples})` : ''),
    `replay at speed ${String(i.replay.speed).padEnd(10)} ${replayTime}`,
    ...demandLines(i.demand),
    ...formats.flatMap((f) => (f.inspect && f.inspect.key in i ? f.inspect.lines(i[f.inspect.key]) : [])),
  ].join('\n')
}

const mhz = (x: number) => `${Math.round(x).toLocaleString('en-US')} MHz`
const percent = (x: number) => `${(x * 100).toFixed(1)} %`

function demandLines(d: Inspection['demand']): string[] {
  const lines = [
    d.host
      ? `what-if host               ${d.host.cpus} x ${d.host.mhz} MHz: every task retimed to its cycles`
      : undefined,
    `total cycles               ${d.totalCycles}`,
    `most demanding tasks       ${d.topTasks.map((t) => `${t.id} (${t.cycles.toExponential(3)} cycles)`).join(', ')}`,
    `CPU demand                 mean ${mhz(d.mhz.mean)}, p50 ${mhz(d.mhz.p50)}, p99 ${mhz(d.mhz.p99)}, ` +
      `peak ${mhz(d.mhz.peak)} at ${d.peakAt}`,
  ]
  const c = d.capacity
  if (c) {
    lines.push(
      `capacity                   ${mhz(c.mhz)} (${c.source}): peak utilization ${percent(c.peakUtilization)}, ` +
        `mean ${percent(c.meanUtilization)}, over capacity ${c.minutesOverCapacity.toFixed(1)} min`,
    )
  }
  return lines.filter((l) => l !== undefined)
}
