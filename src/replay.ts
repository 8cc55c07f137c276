import type { ConsolaInstance } from 'consola'
import { createShared, release, setState, sharedClock, State } from './barrier.ts'
import { writeCheckpoint, type Checkpoint } from './checkpoint.ts'
import { formatTime } from './encode.ts'
import { ExitCode, ReplayError } from './errors.ts'
import { prepareTopics } from './kafka/admin.ts'
import { Lateness } from './lateness.ts'
import type { Role, StreamSpec } from './prepare.ts'
import { formatDuration, ProgressDisplay, type StreamState } from './progress.ts'
import type { Counts, Output, WorkerInit, WorkerMessage } from './worker.ts'

export interface ReplayOptions {
  spec: StreamSpec
  /** Trace seconds per wall second; Infinity for `--speed max`. */
  speed: number
  topics: Record<Role, string>
  output: Output
  verbose: boolean
  /** `--max-lag`: stop (exit 4) when a stream falls further behind its schedule, ms. */
  maxLagMs?: number
  /** Plain progress lines when stderr is not a terminal, every this many ms. */
  statsIntervalMs: number
  /** Only errors and the summary. */
  quiet: boolean
  /** `--checkpoint`: where progress is recorded, and where this run starts from. */
  checkpoint?: { path: string; start: Checkpoint }
}

/** The edges replay() drives: workers, signals, the log. Passed in so tests can stand in for them. */
export interface ReplayEdges {
  log: ConsolaInstance
  spawn(role: Role): Worker
  /** Subscribes to SIGINT/SIGTERM; returns an unsubscribe function. */
  onSignal(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void
  /** Where live progress lines go (stderr), and whether it is a terminal. */
  stderr: { write(text: string): void; isTTY: boolean }
}

/** Why the run ended, for --summary-json. */
export type Reason = 'completed' | 'sigint' | 'sigterm' | 'stdout-closed' | 'broker-lost' | 'unacknowledged' | 'max-lag'

export interface ReplaySummary {
  exitCode: number
  reason: Reason
  counts: Record<Role, Counts>
  wallMs: number
  lateness: Lateness
  /** The replayed window (epoch ms). */
  window: { from: number; to: number }
  /** The error line, when the run ended with one. */
  error?: string
  /** Idle trace time skipped by --max-gap, ms. */
  skippedMs: number
}

const ROLES: Role[] = ['tasks', 'fragments']
/** The first messages are due this long after the release, so both workers are awake by then. */
const START_LEAD_MS = 5

type Ready = Extract<WorkerMessage, { type: 'ready' }>
type Done = Extract<WorkerMessage, { type: 'done' }>
type Failed = Extract<WorkerMessage, { type: 'error' }>
type Progress = Extract<WorkerMessage, { type: 'progress' } | { type: 'counts' }>

/** Waits for the next message (or crash) of a worker; progress messages go to `onProgress`. */
function nextMessage(worker: Worker, onProgress: (m: Progress) => void = () => {}): Promise<WorkerMessage> {
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
    const onError = (event: ErrorEvent) => (cleanup(), resolve({ type: 'error', kind: 'internal', message: event.message }))
    worker.addEventListener('message', onMessage)
    worker.addEventListener('error', onError)
  })
}

function toError(message: Failed): ReplayError {
  const error = new ReplayError(message.kind, message.message)
  if (message.stack) error.stack = message.stack
  return error
}

/**
 * Replays both streams. Each worker loads and validates what it needs (and connects its producer)
 * while the main thread prepares the Kafka topics; only when all of that succeeded are both
 * workers released together. A bad trace is reported before a broker problem, and the tasks
 * worker's error before the fragments worker's, so the message does not depend on timing.
 */
export async function replay(options: ReplayOptions, edges: ReplayEdges): Promise<ReplaySummary> {
  const { log } = edges
  const shared = createShared()
  const workers = ROLES.map((role) => edges.spawn(role))
  try {
    const readies = workers.map((w) => nextMessage(w))
    workers.forEach((w, i) => {
      const role = ROLES[i]!
      const init: WorkerInit = {
        role,
        spec: options.spec,
        speed: options.speed,
        topic: options.topics[role],
        output: options.output,
        verbose: options.verbose,
        maxLagMs: options.maxLagMs,
        skip: options.checkpoint?.start.streams[role].acked ?? 0,
        shared,
      }
      w.postMessage(init)
    })
    const topics =
      options.output.kind === 'kafka'
        ? prepareTopics(options.output.config, ROLES.map((r) => options.topics[r]), log).then(
            (ready) => ready,
            (error: unknown) => error as Error,
          )
        : Promise.resolve(undefined)
    const outcomes = await Promise.all(readies)
    const failed = (outcomes.filter((o) => o.type === 'error') as Failed[]).sort((a, b) => rank(a) - rank(b))
    if (failed[0]) {
      setState(shared, State.aborted)
      throw toError(failed[0])
    }
    const prepared = await topics
    if (prepared instanceof Error) {
      setState(shared, State.aborted)
      throw prepared
    }
    const ready = outcomes[1] as Ready
    if (ready.orphans > 0) {
      log.warn(`skipped ${ready.orphans} fragments whose task is not in the tasks file (--strict makes this an error)`)
    }
    if (ready.durationDerived) log.info('tasks file has no duration column (schema v2): durations are the sums of fragment durations')
    const to = ready.to === Infinity ? 'end' : formatTime(ready.to)
    const where = options.output.kind === 'kafka' ? ` into ${options.topics.tasks} and ${options.topics.fragments} at ${options.output.config.brokers.join(',')}` : ''
    log.info(`replaying ${formatTime(ready.from)} to ${to} at ${options.speed === Infinity ? 'max speed' : `speed ${options.speed}`}${where}`)

    const states = Object.fromEntries(
      ROLES.map((role, i) => {
        const r = outcomes[i] as Ready
        return [role, { sent: 0, acked: 0, eventTime: Number.NaN, lateness: 0, from: r.from, end: r.end }]
      }),
    ) as Record<Role, StreamState>
    const record = checkpointRecorder(options.checkpoint)
    const finished = workers.map((w, i) =>
      nextMessage(w, (p) => {
        const role = ROLES[i]!
        if (p.type === 'counts') return record(role, p)
        Object.assign(states[role], { sent: p.sent, acked: p.acked, eventTime: p.eventTime, lateness: p.lateness })
      }),
    )
    let signal: 'SIGINT' | 'SIGTERM' | undefined
    const unsubscribe = edges.onSignal((s) => {
      signal ??= s
      setState(shared, State.stopping)
    })
    const released = sharedClock()
    const start = released + START_LEAD_MS
    // From the window start; a resumed run from its earliest message left, so it starts at once.
    const resumed = options.checkpoint && ROLES.some((r) => options.checkpoint!.start.streams[r].acked > 0)
    const earliest = Math.min(...(outcomes as Ready[]).map((r) => r.next))
    const origin = resumed && earliest !== Infinity ? earliest : ready.from
    release(shared, start, origin, prepared?.maxMessageBytes ?? 0)
    const display = options.quiet
      ? undefined
      : new ProgressDisplay(
          {
            write: (text) => edges.stderr.write(text),
            tty: edges.stderr.isTTY,
            intervalMs: options.statsIntervalMs,
            log: (line) => log.info(line),
            speed: options.speed,
            kafka: options.output.kind === 'kafka',
            now: sharedClock,
          },
          states,
        )
    // When one stream fails or its reader goes away, the other stops too.
    const results = await Promise.all(
      finished.map((p) =>
        p.then((m) => {
          if (m.type !== 'done' || m.stdoutClosed) setState(shared, State.stopping)
          return m
        }),
      ),
    )
    const wallMs = sharedClock() - released
    display?.stop()
    unsubscribe()
    return conclude(options, log, results, wallMs, { from: ready.from, to: ready.to }, ready.skippedMs, signal)
  } finally {
    workers.forEach((w) => w.terminate())
  }
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

/** Bad input first, then broker trouble, then anything else. */
const rank = (m: Failed) => (m.kind === 'bad-input' ? 0 : m.kind === 'broker' ? 1 : 2)

function conclude(
  options: ReplayOptions,
  log: ConsolaInstance,
  results: WorkerMessage[],
  wallMs: number,
  window: { from: number; to: number },
  skippedMs: number,
  signal?: 'SIGINT' | 'SIGTERM',
): ReplaySummary {
  const counts = {} as Record<Role, Counts>
  const lateness = new Lateness()
  ROLES.forEach((role, i) => {
    const m = results[i] as Done | Failed
    counts[role] = { sent: m.sent ?? 0, acked: m.acked ?? 0 }
    if (m.type === 'done' && m.lateness.count > 0) lateness.merge(m.lateness)
  })
  const summary = (exitCode: number, reason: Reason, error?: string): ReplaySummary => ({ exitCode, reason, counts, wallMs, lateness, window, error, skippedMs })
  if (results.some((m) => m.type === 'done' && m.stdoutClosed)) return summary(ExitCode.stdoutClosed, 'stdout-closed')

  const failed = (results.filter((m) => m.type === 'error') as Failed[]).sort((a, b) => rank(a) - rank(b))[0]
  const kafka = options.output.kind === 'kafka'
  let line = summaryLine(counts, wallMs, options.speed, lateness, kafka, signal)
  if (options.spec.maxGapMs !== undefined) line += `; skipped ${formatDuration(skippedMs)} of idle trace time (--max-gap)`
  if (failed) {
    if (failed.kind !== 'broker') throw toError(failed)
    const error = `${failed.message}; ${line}`
    log.error(error)
    return summary(ExitCode.broker, 'broker-lost', error)
  }
  const lagging = ROLES.findIndex((_, i) => (results[i] as Done).lagExceeded !== undefined)
  if (lagging >= 0) {
    const behind = (results[lagging] as Done).lagExceeded!
    const error = `${ROLES[lagging]} fell ${fmtMs(behind)} behind schedule (--max-lag ${fmtMs(options.maxLagMs!)}): stopped; ${line}`
    log.error(error)
    return summary(ExitCode.maxLag, 'max-lag', error)
  }
  always(log, () => log.info(line))
  if (signal) return summary(signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm, signal === 'SIGINT' ? 'sigint' : 'sigterm')
  const unacked = ROLES.some((r) => counts[r].acked < counts[r].sent)
  return unacked ? summary(ExitCode.broker, 'unacknowledged') : summary(ExitCode.ok, 'completed')
}

/** The summary is shown even under --quiet (which only lets errors through otherwise). */
function always(log: ConsolaInstance, fn: () => void): void {
  const level = log.level
  log.level = Math.max(level, 3)
  fn()
  log.level = level
}

const fmtMs = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0)) + ' ms'

/** The run's one summary line: per topic sent (and acknowledged), wall time, rate, lateness. */
export function summaryLine(
  counts: Record<Role, Counts>,
  wallMs: number,
  speed: number,
  lateness: Lateness,
  kafka: boolean,
  signal?: string,
): string {
  const total = counts.tasks.sent + counts.fragments.sent
  const rate = wallMs > 0 ? Math.round((total / wallMs) * 1000) : 0
  const stream = (role: Role) =>
    kafka ? `${counts[role].sent} ${role} sent, ${counts[role].acked} acknowledged` : `${counts[role].sent} ${role}`
  const what = kafka ? `${stream('tasks')}; ${stream('fragments')}` : `sent ${stream('tasks')} and ${stream('fragments')}`
  const parts = [`${signal ? `stopped by ${signal}: ` : ''}${what} in ${(wallMs / 1000).toFixed(2)} s (${rate} msg/s)`]
  if (speed !== Infinity && lateness.count > 0) {
    parts.push(`lateness p50 ${fmtMs(lateness.quantile(0.5))}, p99 ${fmtMs(lateness.quantile(0.99))}, max ${fmtMs(lateness.max)}`)
  }
  return parts.join('; ')
}
