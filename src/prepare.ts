import { resolveTime, type TimeRef } from './options.ts'
import { FragmentStream, TaskStream, type EventStream, type Window } from './stream.ts'
import { demoTrace } from './trace/demo.ts'
import { openParquetFile } from './trace/file.ts'
import { loadFragments, loadTasks } from './trace/load.ts'
import { deriveDurations, lastEventTime, traceStart, type Fragments, type Tasks } from './trace/model.ts'

export type Role = 'tasks' | 'fragments'

/** Which trace to replay: the two files, or the built-in demo. */
export type TraceSpec = { demo: true } | { demo: false; tasks: string; fragments: string }

/** What a worker needs to build its stream; plain data, posted from the main thread. */
export interface StreamSpec {
  trace: TraceSpec
  from?: TimeRef
  to?: TimeRef
  strict: boolean
}

/** What a worker reports once its stream is built, before the release. */
export interface Prepared {
  stream: EventStream
  /** Window start: the event time that is due at the release instant. */
  origin: number
  traceStart: number
  window: Window
  /** Latest event time of this stream in the window (for progress percentages). */
  end: number
  /** Fragments skipped because their task is missing (fragments worker only). */
  orphans: number
  durationDerived: boolean
}

/**
 * Loads what one stream needs, checks it, and builds the stream. Each worker validates the files
 * it reads, and the tasks file is read by both, so a bad trace is reported before anything is
 * sent whichever worker finds it. The tasks worker reads fragments only for v2 traces
 * (durations derived from them).
 */
export async function prepare(role: Role, spec: StreamSpec): Promise<Prepared> {
  let tasks: Tasks
  let fragments: Fragments | undefined
  if (spec.trace.demo) {
    ;({ tasks, fragments } = demoTrace())
  } else {
    tasks = await loadTasks(openParquetFile(spec.trace.tasks))
    if (role === 'fragments' || tasks.durationDerived) {
      fragments = await loadFragments(openParquetFile(spec.trace.fragments), tasks, { strict: spec.strict })
    }
  }
  if (fragments && tasks.durationDerived) deriveDurations(tasks, fragments)
  const start = traceStart(tasks)
  const window = { from: resolveTime(spec.from, start, start), to: resolveTime(spec.to, start, Infinity) }
  const stream = role === 'tasks' ? new TaskStream(tasks, window) : new FragmentStream(tasks, fragments!, window)
  return {
    stream,
    origin: window.from,
    traceStart: start,
    window,
    end: Math.min(window.to, lastEventTime(tasks, role === 'tasks' ? undefined : fragments)),
    orphans: role === 'fragments' ? fragments!.orphans : 0,
    durationDerived: tasks.durationDerived,
  }
}
