import type { ConsolaInstance } from 'consola'
import { formatDuration, formatTime } from '../core/text.ts'
import type { FormatDefinition } from '../formats/format.ts'
import { demandSeries } from '../live/demand.ts'
import { outputOf } from '../outputs/index.ts'
import type { Largest, OutputDefinition } from '../outputs/output.ts'
import type { Counts, ReplayOptions, Role } from '../types.ts'
import { writeCheckpoint } from './checkpoint.ts'
import { SharedControl, sharedClock } from './control.ts'
import { LiveFigures } from './figures.ts'
import { ReplayMonitor } from './monitor.ts'
import { conclude, firstFailure, type ReplaySummary, type RunFacts, toError } from './outcome.ts'
import { ProgressDisplay } from './progress.ts'
import type { CountsUpdate, Ready, StreamCounts, WorkerInit, WorkerMessage } from './protocol.ts'

/** The edges replay() drives: workers, signals, the log. Passed in so tests can stand in for them. */
export interface ReplayEdges {
  log: ConsolaInstance
  spawn(slot: 0 | 1): Worker
  /** Subscribes to SIGINT/SIGTERM; returns an unsubscribe function. */
  onSignal(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void
  /** Where live progress lines go (stderr), and whether it is a terminal. */
  stderr: { write(text: string): void; isTTY: boolean }
}

/** The first messages are due this long after the release, so both workers are awake by then. */
const START_LEAD_MS = 5

/** Waits for the next message (or crash) of a worker; its counts messages go to `onCounts`. */
function nextMessage(worker: Worker, onCounts: (m: CountsUpdate) => void = () => {}): Promise<WorkerMessage> {
  return new Promise((resolve) => {
    const cleanup = () => {
      worker.removeEventListener('message', onMessage)
      worker.removeEventListener('error', onError)
    }
    const onMessage = (event: MessageEvent<WorkerMessage>) => {
      if (event.data.type === 'counts') return onCounts(event.data)
      cleanup()
      resolve(event.data)
    }
    const onError = (event: ErrorEvent) => {
      cleanup()
      resolve({ type: 'error', reason: 'internal', message: event.message })
    }
    worker.addEventListener('message', onMessage)
    worker.addEventListener('error', onError)
  })
}

/**
 * Which streams each of the two workers writes: the format says (formats/<name>/ workers). At
 * --speed max to stdout the second writes every stream, merged in time order, and the first loads
 * nothing (core/stream.ts MergedStream says why).
 */
export function workerRoles(format: FormatDefinition, merged: boolean): [Role[], Role[]] {
  if (merged) return [[], [...format.streams]]
  return [[...format.workers[0]], [...format.workers[1]]]
}

/** The two workers' streams for these options. */
function rolesOf(options: ReplayOptions, format: FormatDefinition): [Role[], Role[]] {
  const merged = outputOf(options.output).oneStream && options.speed === Infinity
  return workerRoles(format, merged)
}

/**
 * The run's monitor (run/monitor.ts) over fresh shared figures: what the progress line, the live
 * view and the report read. `version`: the binary's, for /status and /metrics.
 */
export function replayMonitor(
  options: ReplayOptions,
  format: FormatDefinition,
  version: string,
  now: () => number = sharedClock,
): ReplayMonitor {
  const output = outputOf(options.output)
  const roles = rolesOf(options, format)
  const shard = options.spec.shard
  const brokers = (output.summary(options.output.config) as { brokers?: string[] }).brokers ?? null
  return new ReplayMonitor(
    {
      version,
      format: options.spec.format,
      output: output.name,
      streams: format.streams,
      topics: options.topics,
      speed: options.speed,
      shard: shard ? `${shard.index}/${shard.count}` : null,
      brokers,
      stallAfterMs: options.stallAfterMs,
      stallReason: output.stallReason(options.output.config),
      compressed: options.spec.maxGapMs !== undefined,
      activeSlots: ([0, 1] as const).filter((slot) => roles[slot].length > 0),
    },
    new LiveFigures(format.streams),
    now,
  )
}

/**
 * Replays the format's streams with two workers, in three phases: ready (each worker loads and
 * checks what it needs and connects its output, while this thread prepares the output's topics),
 * release (both workers at once, on one clock), and finish (until both end, with progress,
 * checkpoints and signals). A bad trace is reported before a broker problem, and the first
 * worker's error before the second's, so the message does not depend on timing.
 */
export async function replay(
  options: ReplayOptions,
  format: FormatDefinition,
  edges: ReplayEdges,
  monitor: ReplayMonitor,
): Promise<ReplaySummary> {
  const control = SharedControl.create()
  const streams = format.streams
  const output = outputOf(options.output)
  const roles = rolesOf(options, format)
  const workers = ([0, 1] as const).map((slot) => edges.spawn(slot))
  // From the start: a signal while the workers load aborts them (nothing was sent), after the
  // release it stops them.
  let signal: 'SIGINT' | 'SIGTERM' | undefined
  let releasedYet = false
  const unsubscribe = edges.onSignal((s) => {
    signal ??= s
    monitor.interrupted(s)
    if (releasedYet) control.stop()
    else control.abort()
  })
  try {
    const { readied, limits } = await ready(workers, roles, options, format, output, edges.log, control, monitor)
    // The view of the window of a worker with streams (every such worker resolves it alike): the
    // second, unless it has none (a format of one stream, paced).
    const first = readied[roles[1].length > 0 ? 1 : 0]!
    announce(edges.log, options, format, output, readied, first)
    const ends = readied.flatMap((r) => Object.values(r.ends).filter((t): t is number => t !== undefined))
    monitor.loaded({ from: first.from, to: first.to }, ends.length > 0 ? Math.max(...ends) : first.from)
    const demand = readied.find((r) => r.demand)?.demand
    if (demand) monitor.setDemand(demandSeries(demand, options.capacity ?? null))
    const record = checkpointRecorder(options.checkpoint) // one for both: the file holds every stream
    const facts = (wallMs: number, startedAt: number): RunFacts => ({
      streams,
      startedAt,
      speed: options.speed,
      acknowledges: output.acknowledges,
      wallMs,
      window: { from: first.from, to: first.to },
      skippedMs: first.skippedMs,
      maxGap: options.spec.maxGapMs !== undefined,
      maxLagMs: options.maxLagMs,
      signal,
    })
    // Stopped while loading: the workers were aborted, nothing was sent.
    if (signal) return conclude([], facts(0, sharedClock()))
    const finishing = workers.map((w) => nextMessage(w, (m) => record(m.counts)))
    // From the window start; a resumed run from its earliest message left, so it starts at once.
    const released = sharedClock()
    const resumed = options.checkpoint && streams.some((r) => (options.checkpoint!.start.streams[r]?.acked ?? 0) > 0)
    const earliest = Math.min(...readied.map((r) => r.next))
    const origin = resumed && earliest !== Infinity ? earliest : first.from
    const start = startInstant(options.startAt, released, edges.log)
    releasedYet = true
    control.release(start, origin, limits)
    monitor.released(start, origin)
    const display = options.quiet ? undefined : progressDisplay(options, output, edges, monitor)
    // When one stream fails or its reader goes away, the other stops too.
    const results = await Promise.all(
      finishing.map((p) =>
        p.then((m) => {
          if (m.type !== 'done' || m.stdoutClosed) control.stop()
          return m
        }),
      ),
    )
    // Never negative: a run stopped while it waited for --start-at took no time.
    const wallMs = Math.max(0, sharedClock() - (start - START_LEAD_MS))
    display?.stop()
    return conclude(results, facts(wallMs, start))
  } finally {
    unsubscribe()
    for (const w of workers) w.terminate()
  }
}

/**
 * When the first messages are due: just after the release, or at `--start-at`, so that shards on
 * several machines start on one clock (their skew is then their clocks' skew). The workers wait
 * for it on the shared clock, as they wait for any due message.
 */
function startInstant(startAt: number | undefined, released: number, log: ConsolaInstance): number {
  const soonest = released + START_LEAD_MS
  if (startAt === undefined) return soonest
  if (startAt >= soonest) {
    log.info(`starting at ${new Date(startAt).toISOString()} (--start-at), in ${formatDuration(startAt - released)}`)
    return startAt
  }
  log.warn(
    `--start-at ${new Date(startAt).toISOString()} passed ${Math.round(released - startAt)} ms ago: starting now`,
  )
  return soonest
}

/** Phase one: start both workers and the topics; fail (aborting the workers) or return what they report. */
async function ready(
  workers: Worker[],
  roles: [Role[], Role[]],
  options: ReplayOptions,
  format: FormatDefinition,
  output: OutputDefinition,
  log: ConsolaInstance,
  control: SharedControl,
  monitor: ReplayMonitor,
): Promise<{ readied: Ready[]; limits: [number, number] }> {
  const readies = workers.map((w) => nextMessage(w))
  workers.forEach((w, i) => {
    const slot = i as 0 | 1
    const init: WorkerInit = {
      slot,
      roles: roles[slot],
      spec: options.spec,
      speed: options.speed,
      topics: options.topics,
      output: options.output,
      verbose: options.verbose,
      maxLagMs: options.maxLagMs,
      // A worker's streams are acknowledged as one merged prefix (one send in flight).
      skip: roles[slot].reduce((n, r) => n + (options.checkpoint?.start.streams[r]?.acked ?? 0), 0),
      shared: control.buffer,
      // Each worker that loads the fragments' usages computes it (the first one's is drawn).
      demand: options.http !== undefined || options.report !== undefined,
      figures: monitor.figuresBuffer,
      streams: [...format.streams],
    }
    w.postMessage(init)
  })
  const all = Promise.all(readies)
  const topics = output.prepare
    ? output
        .prepare(
          options.output.config,
          format.streams.map((r) => options.topics[r]!),
          log,
          all.then((outcomes) =>
            firstFailure(outcomes) ? undefined : largestPerTopic(outcomes as Ready[], options, format),
          ),
        )
        .then(
          (ready) => ready,
          (error: unknown) => error as Error,
        )
    : Promise.resolve(undefined)
  const outcomes = await all
  const failed = firstFailure(outcomes)
  if (failed) {
    control.abort()
    throw toError(failed)
  }
  const prepared = await topics
  if (prepared instanceof Error) {
    control.abort()
    throw prepared
  }
  const limit = (slot: 0 | 1) => Math.min(...roles[slot].map((r) => prepared?.get(options.topics[r]!) ?? Infinity))
  return { readied: outcomes as Ready[], limits: [limit(0), limit(1)] }
}

/** The largest message each worker measured, by topic. */
function largestPerTopic(readied: Ready[], options: ReplayOptions, format: FormatDefinition): Map<string, Largest> {
  const out = new Map<string, Largest>()
  for (const r of readied) {
    for (const [role, big] of Object.entries(r.largest) as [Role, { key: string; bytes: number }][]) {
      const what = format.describeLargest?.(role, big.key) ?? `the ${role} message`
      out.set(options.topics[role]!, { what, bytes: big.bytes })
    }
  }
  return out
}

/** What is about to be replayed, and what the workers noticed on the way (one line each). */
function announce(
  log: ConsolaInstance,
  options: ReplayOptions,
  format: FormatDefinition,
  output: OutputDefinition,
  readied: Ready[],
  ready: Ready,
): void {
  const orphans = Math.max(...readied.map((r) => r.orphans))
  // Every shard reads the whole fragments file: shard 0 alone reports its orphans.
  if (orphans > 0 && (options.spec.shard?.index ?? 0) === 0) {
    log.warn(`skipped ${orphans} fragments whose task is not in the tasks file (--strict makes this an error)`)
  }
  for (const note of new Set(readied.flatMap((r) => r.notes))) log.warn(note)
  if (ready.durationDerived) {
    log.info('tasks file has no duration column (schema v2): durations are the sums of fragment durations')
  }
  const to = ready.to === Infinity ? 'end' : formatTime(ready.to)
  const topics = format.streams.map((r) => options.topics[r]!)
  const where = output.where(options.output.config, topics)
  const pace = options.speed === Infinity ? 'max speed' : `speed ${options.speed}`
  log.info(`replaying ${formatTime(ready.from)} to ${to} at ${pace}${where}`)
}

function progressDisplay(
  options: ReplayOptions,
  output: OutputDefinition,
  edges: ReplayEdges,
  monitor: ReplayMonitor,
): ProgressDisplay {
  return new ProgressDisplay({
    write: (text) => edges.stderr.write(text),
    tty: edges.stderr.isTTY,
    intervalMs: options.statsIntervalMs,
    log: (line) => edges.log.info(line),
    acknowledges: output.acknowledges,
    status: () => monitor.status(),
  })
}

/** Writes the checkpoint after each batch sent or acknowledged: the start's counts plus this run's. */
function checkpointRecorder(checkpoint: ReplayOptions['checkpoint']): (counts: StreamCounts) => void {
  if (!checkpoint) return () => {}
  const base = checkpoint.start.streams
  const now = structuredClone(base)
  return (counts) => {
    for (const [role, c] of Object.entries(counts) as [Role, Counts][]) {
      const acked = base[role]?.acked ?? 0
      now[role] = { sent: acked + c.sent, acked: acked + c.acked }
    }
    writeCheckpoint(checkpoint.path, { ...checkpoint.start, streams: now, updated: new Date().toISOString() })
  }
}
