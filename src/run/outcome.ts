import { Lateness } from '../core/lateness.ts'
import { formatDuration } from '../core/text.ts'
import { EXIT_CODES, type Reason, ReplayError } from '../errors.ts'
import type { Counts, Role } from '../types.ts'
import type { Done, Failed, WorkerMessage } from './protocol.ts'

/**
 * How a run ended, from what the two workers reported: the reason (errors.ts gives its exit
 * code), the counts, lateness, and the one summary line. Pure: the caller logs and exits.
 */
export interface ReplaySummary {
  exitCode: number
  reason: Reason
  /** Per stream of the format, in its order. */
  counts: Partial<Record<Role, Counts>>
  wallMs: number
  lateness: Lateness
  /** The replayed window (epoch ms). */
  window: { from: number; to: number }
  /** The summary line, or the error line with the summary in it. */
  line: string
  /** Whether `line` reports a failure (an error line) or the outcome (an info line). */
  failed: boolean
  /** The failing worker's stack, for --verbose. */
  stack?: string
  /** Idle trace time skipped by --max-gap, ms. */
  skippedMs: number
  /** The instant the first messages were due (epoch ms): shards started with --start-at agree on it. */
  startedAt: number
}

/** What the run knew besides the workers' last messages. */
export interface RunFacts {
  /** The format's streams, in the order the summary lists them. */
  streams: readonly Role[]
  /** The instant the first messages were due (epoch ms on the shared clock). */
  startedAt: number
  speed: number
  /** The output acknowledges apart from writing: the line counts both. */
  acknowledges: boolean
  wallMs: number
  window: { from: number; to: number }
  skippedMs: number
  /** `--max-gap` was given: the line says how much idle time it skipped. */
  maxGap: boolean
  maxLagMs?: number
  signal?: 'SIGINT' | 'SIGTERM'
}

/** The failure to report when several workers failed: bad input first, then broker trouble, then anything else. */
export function firstFailure(messages: WorkerMessage[]): Failed | undefined {
  const rank = (m: Failed) => (m.reason === 'bad-input' ? 0 : m.reason.startsWith('broker') ? 1 : 2)
  return (messages.filter((m) => m.type === 'error') as Failed[]).sort((a, b) => rank(a) - rank(b))[0]
}

/** A worker's failure as an error to throw. */
export function toError(message: Failed): ReplayError {
  const error = new ReplayError(message.reason, message.message)
  if (message.stack) error.stack = message.stack
  return error
}

/**
 * Concludes a run from the workers' last messages (tasks first). Bad input is thrown (it is found
 * before anything is sent); any other failure after the release (a lost broker, an unwritable
 * stdout, a bug) becomes a summary that still says what was sent.
 */
export function conclude(results: WorkerMessage[], facts: RunFacts): ReplaySummary {
  const counts: Partial<Record<Role, Counts>> = {}
  for (const role of facts.streams) counts[role] = { sent: 0, acked: 0 }
  const lateness = new Lateness()
  for (const m of results as (Done | Failed)[]) {
    for (const [role, c] of Object.entries(m.counts ?? {}) as [Role, Counts][]) {
      counts[role]!.sent += c.sent
      counts[role]!.acked += c.acked
    }
    if (m.type === 'done' && m.lateness.count > 0) lateness.merge(m.lateness)
  }
  let line = summaryLine(counts, facts.wallMs, facts.speed, lateness, facts.acknowledges, facts.signal)
  if (facts.maxGap) line += `; skipped ${formatDuration(facts.skippedMs)} of idle trace time (--max-gap)`
  const summary = (reason: Reason, text = line, failed = false): ReplaySummary => ({
    exitCode: EXIT_CODES[reason],
    reason,
    counts,
    wallMs: facts.wallMs,
    lateness,
    window: facts.window,
    line: text,
    failed,
    skippedMs: facts.skippedMs,
    startedAt: facts.startedAt,
  })
  if (results.some((m) => m.type === 'done' && m.stdoutClosed)) return summary('stdout-closed')
  const failure = firstFailure(results)
  if (failure) {
    if (failure.reason === 'bad-input') throw toError(failure)
    const what = failure.reason === 'internal' ? `internal error: ${failure.message}` : failure.message
    return { ...summary(failure.reason, `${what}; ${line}`, true), stack: failure.stack }
  }
  const lagging = results.findIndex((m) => (m as Done).lagExceeded !== undefined)
  if (lagging >= 0) {
    const lagged = results[lagging] as Done
    const behind = lagged.lagExceeded!
    const why = `${Object.keys(lagged.counts).join(' and ')} fell ${fmtMs(behind)} behind schedule (--max-lag ${fmtMs(facts.maxLagMs!)}): stopped`
    return summary('max-lag', `${why}; ${line}`, true)
  }
  if (facts.signal) return summary(facts.signal === 'SIGINT' ? 'sigint' : 'sigterm')
  const unacked = facts.streams.some((r) => counts[r]!.acked < counts[r]!.sent)
  return summary(unacked ? 'unacknowledged' : 'completed')
}

const fmtMs = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0)) + ' ms'

/** The run's one summary line: per topic sent (and acknowledged), wall time, rate, lateness. */
export function summaryLine(
  counts: Partial<Record<Role, Counts>>,
  wallMs: number,
  speed: number,
  lateness: Lateness,
  acknowledges: boolean,
  signal?: string,
): string {
  const streams = Object.entries(counts) as [Role, Counts][]
  const total = streams.reduce((n, [, c]) => n + c.sent, 0)
  const rate = wallMs > 0 ? Math.round((total / wallMs) * 1000) : 0
  const what = acknowledges
    ? streams.map(([role, c]) => `${c.sent} ${role} sent, ${c.acked} acknowledged`).join('; ')
    : `sent ${listed(streams.map(([role, c]) => `${c.sent} ${role}`))}`
  const parts = [`${signal ? `stopped by ${signal}: ` : ''}${what} in ${(wallMs / 1000).toFixed(2)} s (${rate} msg/s)`]
  if (speed !== Infinity && lateness.count > 0) {
    const q = (p: number) => fmtMs(lateness.quantile(p))
    parts.push(`lateness p50 ${q(0.5)}, p99 ${q(0.99)}, max ${fmtMs(lateness.max)}`)
  }
  return parts.join('; ')
}

/** `a and b`, `a, b and c`. */
export const listed = (items: string[]) =>
  items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items.at(-1)}` : (items[0] ?? 'nothing')
