import type { ConsolaInstance } from 'consola'
import { formatTime } from '../core/format.ts'
import { prepareTopics } from '../kafka/admin.ts'
import { type Counts, type ReplayOptions, ROLES, type Role } from '../types.ts'
import { writeCheckpoint } from './checkpoint.ts'
import { SharedControl, sharedClock } from './control.ts'
import { conclude, firstFailure, type ReplaySummary, toError } from './outcome.ts'
import { ProgressDisplay, type StreamState } from './progress.ts'
import type { CountsUpdate, ProgressUpdate, Ready, WorkerInit, WorkerMessage } from './protocol.ts'

/** The edges replay() drives: workers, signals, the log. Passed in so tests can stand in for them. */
export interface ReplayEdges {
  log: ConsolaInstance
  spawn(role: Role): Worker
  /** Subscribes to SIGINT/SIGTERM; returns an unsubscribe function. */
  onSignal(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void
  /** Where live progress lines go (stderr), and whether it is a terminal. */
  stderr: { write(text: string): void; isTTY: boolean }
}

/** The first messages are due this long after the release, so both workers are awake by then. */
const START_LEAD_MS = 5

/** Waits for the next message (or crash) of a worker; progress messages go to `onProgress`. */
function nextMessage(
  worker: Worker,
  onProgress: (m: ProgressUpdate | CountsUpdate) => void = () => {},
): Promise<WorkerMessage> {
  return new Promise((resolve) => {
    const cleanup = () => {
      worker.removeEventListener('message', onMessage)
      worker.removeEventListener('error', onError)
    }
    const onMessage = (event: MessageEvent<WorkerMessage>) => {
      if (event.data.type === 'progress' || event.data.type === 'counts') return onProgress(event.data)
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
 * Replays both streams, in three phases: ready (each worker loads and checks what it needs and
 * connects its producer, while this thread prepares the Kafka topics), release (both workers at
 * once, on one clock), and finish (until both end, with progress, checkpoints and signals). A bad
 * trace is reported before a broker problem, and the tasks worker's error before the fragments
 * worker's, so the message does not depend on timing.
 */
export async function replay(options: ReplayOptions, edges: ReplayEdges): Promise<ReplaySummary> {
  const control = SharedControl.create()
  const workers = ROLES.map((role) => edges.spawn(role))
  try {
    const { readied, maxMessageBytes } = await ready(workers, options, edges.log, control)
    const first = readied[1]! // the fragments worker's view of the window (both resolve it alike)
    announce(edges.log, options, first)
    const states = Object.fromEntries(
      ROLES.map((role, i) => {
        const r = readied[i]!
        return [role, { sent: 0, acked: 0, eventTime: Number.NaN, lateness: 0, from: r.from, end: r.end }]
      }),
    ) as Record<Role, StreamState>
    const record = checkpointRecorder(options.checkpoint) // one for both: the file holds both streams
    const finishing = workers.map((w, i) => nextMessage(w, progressInto(states, ROLES[i]!, record)))
    let signal: 'SIGINT' | 'SIGTERM' | undefined
    const unsubscribe = edges.onSignal((s) => {
      signal ??= s
      control.stop()
    })
    // From the window start; a resumed run from its earliest message left, so it starts at once.
    const released = sharedClock()
    const resumed = options.checkpoint && ROLES.some((r) => options.checkpoint!.start.streams[r].acked > 0)
    const earliest = Math.min(...readied.map((r) => r.next))
    const origin = resumed && earliest !== Infinity ? earliest : first.from
    control.release(released + START_LEAD_MS, origin, maxMessageBytes)
    const display = options.quiet ? undefined : progressDisplay(options, edges, states)
    // When one stream fails or its reader goes away, the other stops too.
    const results = await Promise.all(
      finishing.map((p) =>
        p.then((m) => {
          if (m.type !== 'done' || m.stdoutClosed) control.stop()
          return m
        }),
      ),
    )
    const wallMs = sharedClock() - released
    display?.stop()
    unsubscribe()
    return conclude(results, {
      speed: options.speed,
      kafka: options.output.kind === 'kafka',
      wallMs,
      window: { from: first.from, to: first.to },
      skippedMs: first.skippedMs,
      maxGap: options.spec.maxGapMs !== undefined,
      maxLagMs: options.maxLagMs,
      signal,
    })
  } finally {
    for (const w of workers) w.terminate()
  }
}

/** Phase one: start both workers and the topics; fail (aborting the workers) or return what they report. */
async function ready(
  workers: Worker[],
  options: ReplayOptions,
  log: ConsolaInstance,
  control: SharedControl,
): Promise<{ readied: Ready[]; maxMessageBytes: number }> {
  const readies = workers.map((w) => nextMessage(w))
  workers.forEach((w, i) => {
    const role = ROLES[i]!
    const init: WorkerInit = {
      role,
      spec: options.spec,
      speed: options.speed,
      topic: options.topics[role],
      topics: options.topics,
      output: options.output,
      verbose: options.verbose,
      maxLagMs: options.maxLagMs,
      skip: options.checkpoint?.start.streams[role].acked ?? 0,
      shared: control.buffer,
    }
    w.postMessage(init)
  })
  const topics =
    options.output.kind === 'kafka'
      ? prepareTopics(
          options.output.config,
          ROLES.map((r) => options.topics[r]),
          log,
        ).then(
          (ready) => ready,
          (error: unknown) => error as Error,
        )
      : Promise.resolve(undefined)
  const outcomes = await Promise.all(readies)
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
  return { readied: outcomes as Ready[], maxMessageBytes: prepared?.maxMessageBytes ?? 0 }
}

/** What is about to be replayed, and what the workers noticed on the way (one line each). */
function announce(log: ConsolaInstance, options: ReplayOptions, ready: Ready): void {
  if (ready.orphans > 0) {
    log.warn(`skipped ${ready.orphans} fragments whose task is not in the tasks file (--strict makes this an error)`)
  }
  if (ready.durationDerived) {
    log.info('tasks file has no duration column (schema v2): durations are the sums of fragment durations')
  }
  const to = ready.to === Infinity ? 'end' : formatTime(ready.to)
  const where =
    options.output.kind === 'kafka'
      ? ` into ${options.topics.tasks} and ${options.topics.fragments} at ${options.output.config.brokers.join(',')}`
      : ''
  const pace = options.speed === Infinity ? 'max speed' : `speed ${options.speed}`
  log.info(`replaying ${formatTime(ready.from)} to ${to} at ${pace}${where}`)
}

/** A worker's progress into the display's state, and its counts into the checkpoint. */
function progressInto(
  states: Record<Role, StreamState>,
  role: Role,
  record: (role: Role, counts: Counts) => void,
): (p: ProgressUpdate | CountsUpdate) => void {
  return (p) => {
    if (p.type === 'counts') return record(role, p)
    if (!p.byRole) {
      Object.assign(states[role], { sent: p.sent, acked: p.acked, eventTime: p.eventTime, lateness: p.lateness })
      return
    }
    // One worker writes both streams (--speed max to stdout): it reports each.
    for (const r of ROLES) {
      const b = p.byRole[r]
      Object.assign(states[r], { sent: b.sent, acked: b.sent, eventTime: b.eventTime, lateness: 0 })
    }
  }
}

function progressDisplay(
  options: ReplayOptions,
  edges: ReplayEdges,
  states: Record<Role, StreamState>,
): ProgressDisplay {
  return new ProgressDisplay(
    {
      write: (text) => edges.stderr.write(text),
      tty: edges.stderr.isTTY,
      intervalMs: options.statsIntervalMs,
      log: (line) => edges.log.info(line),
      speed: options.speed,
      kafka: options.output.kind === 'kafka',
      now: sharedClock,
    },
    states,
  )
}

/** Writes the checkpoint after each batch sent or acknowledged: the start's counts plus this run's. */
function checkpointRecorder(checkpoint: ReplayOptions['checkpoint']): (role: Role, counts: Counts) => void {
  if (!checkpoint) return () => {}
  const base = checkpoint.start.streams
  const now = structuredClone(base)
  return (role, counts) => {
    now[role] = { sent: base[role].acked + counts.sent, acked: base[role].acked + counts.acked }
    writeCheckpoint(checkpoint.path, { ...checkpoint.start, streams: now, updated: new Date().toISOString() })
  }
}
