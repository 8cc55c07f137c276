import { Lateness } from '../src/core/lateness.ts'
import type { LatenessHistogram, LiveStatus, LiveTopic } from '../src/live/status.ts'
import type { MonitorSettings } from '../src/run/monitor.ts'

/**
 * Fixed live statuses for the tests of the live view's edges (/metrics first): every figure a
 * literal, so that what an edge shows can be asserted exactly.
 */

const TOPICS: LiveTopic[] = [
  { stream: 'tasks', topic: 'tasks', sent: 1200, acknowledged: 1187, bytesAcknowledged: 245_301, ratePerSecond: 98.5 },
  {
    stream: 'fragments',
    topic: 'fragments',
    sent: 48_000,
    acknowledged: 47_950,
    bytesAcknowledged: 6_233_500,
    ratePerSecond: 3996,
  },
]

/** A replay of the seed's format, running: two topics, an acknowledged position, a lateness. */
export function replayStatus(): LiveStatus {
  return {
    command: 'replay',
    version: '0.1.0',
    state: 'running',
    stalled: null,
    error: null,
    now: '2026-12-07T12:00:10.000Z',
    settings: {
      format: 'tasks-fragments',
      output: 'kafka',
      topics: { tasks: 'tasks', fragments: 'fragments' },
      speed: 300,
      window: { from: '2022-10-06T22:00:00.000Z', to: null },
      shard: null,
      brokers: ['127.0.0.1:9092'],
      stallAfterSeconds: 30,
    },
    startedAt: '2026-12-07T12:00:00.000Z',
    elapsedSeconds: 10,
    trace: {
      from: '2022-10-06T22:00:00.000Z',
      to: '2022-10-13T22:00:00.000Z',
      acknowledged: '2022-10-06T22:50:00.500Z',
      acknowledgedSeconds: 1_665_096_600.5,
      fraction: 0.25,
      etaSeconds: 30,
    },
    topics: TOPICS.map((t) => ({ ...t })),
    lateness: { messages: 7, p50Ms: 0.5, p99Ms: 100_000, maxMs: 100_000, currentMs: 12.5 },
    retries: 3,
    errors: 1,
    secondsSinceLastAcknowledgement: 0.25,
    summary: null,
  }
}

/** verify --follow before its first record: the check per topic, no position yet. */
export function verifyStatus(): LiveStatus {
  const status = replayStatus()
  return {
    ...status,
    command: 'verify',
    state: 'waiting',
    trace: { ...status.trace, acknowledged: null, acknowledgedSeconds: null, fraction: 0, etaSeconds: null },
    topics: status.topics.map((t, i) => ({
      ...t,
      check: { expected: 1200 + i, matched: 1180 + i, missing: 20, duplicated: 2, changed: 1, foreign: 4 + i },
    })),
    secondsSinceLastAcknowledgement: null,
  }
}

/**
 * Seven lateness figures that land on the edges of /metrics' buckets: 0 (core bucket 0), 0.45 ms,
 * 0.5 ms (whose core bucket ends above 0.5 ms, so it counts from le=0.001 up), 2 ms, 29 s,
 * 30 s (counted in +Inf only), 100 s; their sum, 159,002.95 ms.
 */
export function latenessHistogram(): LatenessHistogram {
  const lateness = new Lateness()
  const figures = [0, 0.45, 0.5, 2, 29_000, 30_000, 100_000]
  for (const ms of figures) lateness.add(ms)
  return { counts: lateness.counts, count: lateness.count, sumMs: 159_002.95, maxMs: lateness.max }
}

/** A replay monitor's settings (run/monitor.ts): the seed's two streams into Kafka at speed 10. */
export function monitorSettings(over: Partial<MonitorSettings> = {}): MonitorSettings {
  return {
    version: '0.1.0',
    format: 'tasks-fragments',
    output: 'kafka',
    streams: ['tasks', 'fragments'],
    topics: { tasks: 'tasks', fragments: 'fragments' },
    speed: 10,
    shard: null,
    brokers: ['127.0.0.1:9092'],
    stallAfterMs: 30_000,
    stallReason: 'no acknowledgement from 127.0.0.1:9092',
    compressed: false,
    activeSlots: [0, 1],
    ...over,
  }
}
