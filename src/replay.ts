import type { ConsolaInstance } from 'consola'
import { createShared, release, setState, sharedClock, State } from './barrier.ts'
import { ExitCode, ReplayError } from './errors.ts'
import { Lateness } from './lateness.ts'
import type { Role, StreamSpec } from './prepare.ts'
import { formatTime } from './encode.ts'
import type { WorkerInit, WorkerMessage } from './worker.ts'

export interface ReplayOptions {
  spec: StreamSpec
  /** Trace seconds per wall second; Infinity for `--speed max`. */
  speed: number
  topics: Record<Role, string>
}

/** The edges replay() drives: workers, signals, the log. Passed in so tests can stand in for them. */
export interface ReplayEdges {
  log: ConsolaInstance
  spawn(role: Role): Worker
  /** Subscribes to SIGINT/SIGTERM; returns an unsubscribe function. */
  onSignal(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void
}

export interface ReplaySummary {
  exitCode: number
  sent: Record<Role, number>
  wallMs: number
  lateness: Lateness
}

const ROLES: Role[] = ['tasks', 'fragments']
const START_LEAD_MS = 5

/** Waits for the next message (or crash) of a worker. */
function nextMessage(worker: Worker): Promise<WorkerMessage> {
  return new Promise((resolve) => {
    const cleanup = () => {
      worker.removeEventListener('message', onMessage)
      worker.removeEventListener('error', onError)
    }
    const onMessage = (event: MessageEvent<WorkerMessage>) => (cleanup(), resolve(event.data))
    const onError = (event: ErrorEvent) => (cleanup(), resolve({ type: 'error', kind: 'internal', message: event.message }))
    worker.addEventListener('message', onMessage)
    worker.addEventListener('error', onError)
  })
}

function toError(message: Extract<WorkerMessage, { type: 'error' }>): ReplayError {
  const error = new ReplayError(message.kind, message.message)
  if (message.stack) error.stack = message.stack
  return error
}

/**
 * Replays both streams: each worker loads and validates what it needs; only when both are ready
 * does the main thread release them together. A bad trace is reported (the tasks worker's error
 * first, so the message does not depend on which worker was faster) and nothing is sent.
 */
export async function replay(options: ReplayOptions, edges: ReplayEdges): Promise<ReplaySummary> {
  const { log } = edges
  const shared = createShared()
  const workers = ROLES.map((role) => edges.spawn(role))
  const terminate = () => workers.forEach((w) => w.terminate())
  try {
    const readies = workers.map((w) => nextMessage(w))
    workers.forEach((w, i) => {
      const role = ROLES[i]!
      const init: WorkerInit = { role, spec: options.spec, speed: options.speed, topic: options.topics[role], shared }
      w.postMessage(init)
    })
    const outcomes = await Promise.all(readies)
    for (const outcome of outcomes) {
      if (outcome.type === 'error') {
        setState(shared, State.aborted)
        throw toError(outcome)
      }
    }
    const ready = outcomes[1] as Extract<WorkerMessage, { type: 'ready' }>
    if (ready.orphans > 0) {
      log.warn(`skipped ${ready.orphans} fragments whose task is not in the tasks file (--strict makes this an error)`)
    }
    if (ready.durationDerived) log.info('tasks file has no duration column (schema v2): durations are the sums of fragment durations')
    const to = ready.to === Infinity ? 'end' : formatTime(ready.to)
    log.info(`replaying ${formatTime(ready.from)} to ${to} at ${options.speed === Infinity ? 'max speed' : `speed ${options.speed}`}`)

    const dones = workers.map((w) => nextMessage(w))
    let signal: 'SIGINT' | 'SIGTERM' | undefined
    const unsubscribe = edges.onSignal((s) => {
      signal ??= s
      setState(shared, State.stopping)
    })
    // The first messages are due a little after the release, so both workers are awake and
    // running when they are due rather than still waking from the barrier.
    const start = sharedClock() + START_LEAD_MS
    release(shared, start)
    // If one stream's reader goes away, the other stops too.
    const results = await Promise.all(
      dones.map((p) =>
        p.then((m) => {
          if (m.type !== 'done' || m.stdoutClosed) setState(shared, State.stopping)
          return m
        }),
      ),
    )
    const wallMs = sharedClock() - start
    unsubscribe()
    for (const m of results) if (m.type === 'error') throw toError(m)
    const done = results as Extract<WorkerMessage, { type: 'done' }>[]
    const lateness = new Lateness()
    const sent = { tasks: done[0]!.sent, fragments: done[1]!.sent }
    if (done.some((d) => d.stdoutClosed)) return { exitCode: ExitCode.stdoutClosed, sent, wallMs, lateness }
    for (const d of done) if (d.lateness.count > 0) lateness.merge(d.lateness)
    const exitCode = signal === 'SIGINT' ? ExitCode.sigint : signal === 'SIGTERM' ? ExitCode.sigterm : ExitCode.ok
    log.info(summaryLine(sent, wallMs, options.speed, lateness, signal))
    return { exitCode, sent, wallMs, lateness }
  } finally {
    terminate()
  }
}

const fmtMs = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0)) + ' ms'

export function summaryLine(
  sent: Record<Role, number>,
  wallMs: number,
  speed: number,
  lateness: Lateness,
  signal?: string,
): string {
  const total = sent.tasks + sent.fragments
  const rate = wallMs > 0 ? Math.round((total / wallMs) * 1000) : 0
  const parts = [
    `${signal ? `stopped by ${signal}: ` : ''}sent ${sent.tasks} tasks and ${sent.fragments} fragments in ${(wallMs / 1000).toFixed(2)} s (${rate} msg/s)`,
  ]
  if (speed !== Infinity && lateness.count > 0) {
    parts.push(`lateness p50 ${fmtMs(lateness.quantile(0.5))}, p99 ${fmtMs(lateness.quantile(0.99))}, max ${fmtMs(lateness.max)}`)
  }
  return parts.join('; ')
}
