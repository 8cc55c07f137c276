import type { LiveState, LiveStatus } from './status.ts'

/**
 * `/healthz`: healthy while a run starts, waits, runs or has ended on its own or on request;
 * unhealthy once it has been stalled for `--stall-after` or more, or has failed. A short stall
 * (a broker's leader election) is still healthy: the threshold is the user's.
 */

/** What `/healthz` answers: its HTTP status, and a small JSON body. */
export interface Health {
  ok: boolean
  status: 200 | 503
  body: { state: LiveState; stalled: LiveStatus['stalled']; error: string | null }
}

export function healthOf(status: LiveStatus): Health {
  const stalledTooLong =
    status.state === 'stalled' && (status.stalled?.seconds ?? 0) >= status.settings.stallAfterSeconds
  const ok = !stalledTooLong && status.state !== 'failed'
  return { ok, status: ok ? 200 : 503, body: { state: status.state, stalled: status.stalled, error: status.error } }
}
