import { retime } from '../core/cycles.ts'
import { compressor, findGaps, mergeAscending } from '../core/gaps.ts'
import { type EventStream, FragmentStream, MergedStream, TaskStream } from '../core/stream.ts'
import { resolveWindow } from '../core/window.ts'
import { demoTrace } from '../trace/demo.ts'
import { openParquetFile } from '../trace/file.ts'
import { loadFragments, loadTasks } from '../trace/load.ts'
import type { Fragments, Tasks } from '../trace/model.ts'
import { deriveDurations, lastEventTime, traceStart } from '../trace/timeline.ts'
import type { Role, StreamSpec, Window } from '../types.ts'

/** What a worker reports once its stream is built, before the release. */
export interface Prepared {
  stream: EventStream
  window: Window
  /** Latest event time of this stream in the window (for progress percentages). */
  end: number
  /** Fragments skipped because their task is missing (fragments worker only). */
  orphans: number
  durationDerived: boolean
  /** With --max-gap: the compressed clock, and how much trace time it skips in the window. */
  compress?: (t: number) => number
  skippedMs: number
}

/** The event times of a stream, in order (it is consumed). */
function* timesOf(stream: EventStream): Generator<number> {
  while (stream.time !== Infinity) {
    yield stream.time
    stream.advance()
  }
}

/**
 * Loads what one stream needs, checks it, and builds the stream. Each worker validates the files
 * it reads, and the tasks file is read by both, so a bad trace is reported before anything is
 * sent whichever worker finds it. The tasks worker reads fragments only when tasks depend on
 * them (v2 durations, a what-if host, --max-gap). `merged`: the fragments worker's stream holds
 * the tasks too (--speed max to stdout, core/stream.ts MergedStream).
 */
export async function prepare(role: Role, spec: StreamSpec, merged = false): Promise<Prepared> {
  let tasks: Tasks
  let fragments: Fragments | undefined
  if (spec.trace.demo) {
    ;({ tasks, fragments } = demoTrace())
  } else {
    tasks = await loadTasks(openParquetFile(spec.trace.tasks))
    // --max-gap needs both streams' times in both workers, so both derive the same clock; a
    // task's duration comes from its fragments in v2 traces and on a what-if host.
    if (role === 'fragments' || tasks.durationDerived || spec.maxGapMs !== undefined || spec.host) {
      fragments = await loadFragments(openParquetFile(spec.trace.fragments), tasks, { strict: spec.strict })
    }
  }
  if (fragments && tasks.durationDerived) deriveDurations(tasks, fragments)
  if (fragments && spec.host) retime(tasks, fragments, spec.host)
  const window = resolveWindow(spec.from, spec.to, traceStart(tasks))
  const fragmentStream = () => new FragmentStream(tasks, fragments!, window)
  const stream =
    role === 'tasks'
      ? new TaskStream(tasks, window)
      : merged
        ? new MergedStream(new TaskStream(tasks, window), fragmentStream())
        : fragmentStream()
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
    end: Math.min(
      window.to,
      role === 'tasks'
        ? lastEventTime(tasks)
        : Math.max(lastEventTime(tasks, fragments), merged ? lastEventTime(tasks) : -Infinity),
    ),
    orphans: role === 'fragments' ? fragments!.orphans : 0,
    durationDerived: tasks.durationDerived,
  }
}
