import { describe, expect, it } from 'bun:test'
import { EXIT_CODES, ReplayError } from '../../src/errors.ts'
import { conclude, type RunFacts } from '../../src/run/outcome.ts'
import type { Done, Failed, WorkerMessage } from '../../src/run/protocol.ts'
import type { Counts, Role } from '../../src/types.ts'

const facts: RunFacts = {
  streams: ['tasks', 'fragments'],
  startedAt: 0,
  speed: Infinity,
  acknowledges: true,
  wallMs: 2000,
  window: { from: 0, to: Infinity },
  skippedMs: 0,
  maxGap: false,
}
/** A worker's counts: the first worker writes tasks, the second fragments. */
let role: Role = 'tasks'
const done = (sent: number, acked = sent, rest: Partial<Done> = {}): Done => ({
  type: 'done',
  counts: { [role]: { sent, acked } },
  stdoutClosed: false,
  lateness: { counts: new Float64Array(0), count: 0, max: 0, sum: 0 },
  ...rest,
})
const failed = (reason: Failed['reason'], message: string, counts?: Counts): Failed => ({
  type: 'error',
  reason,
  message,
  counts: counts && { fragments: counts },
})
/** done() for the first worker's stream (tasks), then the second's (fragments). */
const pair = (a: () => Done, b: () => Done | Failed): WorkerMessage[] => {
  role = 'tasks'
  const first = a()
  role = 'fragments'
  return [first, b()]
}

describe("the run's conclusion", () => {
  it.each([
    [
      'completed',
      pair(
        () => done(10),
        () => done(90),
      ),
      {},
      '10 tasks sent, 10 acknowledged; 90 fragments sent, 90 acknowledged in 2.00 s (50 msg/s)',
    ],
    [
      'unacknowledged',
      pair(
        () => done(10, 9),
        () => done(90),
      ),
      {},
      '10 tasks sent, 9 acknowledged; 90 fragments sent, 90 acknowledged in 2.00 s (50 msg/s)',
    ],
    [
      'sigint',
      pair(
        () => done(1),
        () => done(2),
      ),
      { signal: 'SIGINT' },
      'stopped by SIGINT: 1 tasks sent, 1 acknowledged; 2 fragments sent, 2 acknowledged in 2.00 s (2 msg/s)',
    ],
    [
      'sigterm',
      pair(
        () => done(1),
        () => done(2),
      ),
      { signal: 'SIGTERM' },
      'stopped by SIGTERM: 1 tasks sent, 1 acknowledged; 2 fragments sent, 2 acknowledged in 2.00 s (2 msg/s)',
    ],
    [
      'stdout-closed',
      pair(
        () => done(0, 0, { stdoutClosed: true }),
        () => done(4),
      ),
      { acknowledges: false },
      'sent 0 tasks and 4 fragments in 2.00 s (2 msg/s)',
    ],
    [
      'broker-lost',
      pair(
        () => done(5),
        () => failed('broker-lost', 'lost Kafka at k:9092: Connection refused', { sent: 7, acked: 6 }),
      ),
      {},
      'lost Kafka at k:9092: Connection refused; 5 tasks sent, 5 acknowledged; 7 fragments sent, 6 acknowledged in 2.00 s (6 msg/s)',
    ],
    [
      'max-lag',
      pair(
        () => done(5),
        () => done(3, 3, { lagExceeded: 1234 }),
      ),
      { maxLagMs: 1000, acknowledges: false },
      'fragments fell 1234 ms behind schedule (--max-lag 1000 ms): stopped; sent 5 tasks and 3 fragments in 2.00 s (4 msg/s)',
    ],
  ] as [string, WorkerMessage[], Partial<RunFacts>, string][])('%s', (reason, results, extra, line) => {
    const summary = conclude(results, { ...facts, ...extra })
    expect([summary.reason, summary.exitCode, summary.line]).toEqual([
      reason,
      EXIT_CODES[reason as keyof typeof EXIT_CODES],
      line,
    ])
    expect(summary.failed).toBe(reason === 'broker-lost' || reason === 'max-lag')
  })

  it('bad input is thrown, before any other failure', () => {
    const results = [failed('internal', 'boom'), failed('bad-input', 'x.parquet: column "id" row 3: null')]
    expect(() => conclude(results, facts)).toThrow(new ReplayError('bad-input', 'x.parquet: column "id" row 3: null'))
  })

  it.each([
    ['output-error', 'cannot write to stdout: ENOSPC: no space left on device, write', 6, ''],
    ['internal', 'boom', 1, 'internal error: '],
  ] as const)('a %s after the release still says what was sent', (reason, message, code, prefix) => {
    const summary = conclude(
      pair(
        () => done(5),
        () => failed(reason, message, { sent: 3, acked: 3 }),
      ),
      { ...facts, acknowledges: false },
    )
    expect([summary.reason, summary.exitCode, summary.failed, summary.line]).toEqual([
      reason,
      code,
      true,
      `${prefix}${message}; sent 5 tasks and 3 fragments in 2.00 s (4 msg/s)`,
    ])
  })

  it('--max-gap adds what it skipped to the line', () => {
    expect(
      conclude(
        pair(
          () => done(1),
          () => done(1),
        ),
        { ...facts, acknowledges: false, maxGap: true, skippedMs: 71_000 },
      ).line,
    ).toBe('sent 1 tasks and 1 fragments in 2.00 s (1 msg/s); skipped 1m 11s of idle trace time (--max-gap)')
  })
})
