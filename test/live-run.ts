/**
 * A made-up replay of the SURF week, as a LiveSource would report it, for the live page's tests and
 * the screenshot script: exact figures that the page must show digit for digit, counts large
 * enough to need grouping, and a demand curve and history long enough to draw.
 */
import type { DemandSeries, LiveHistory, LivePoint, LiveState, LiveStatus } from '../src/live/status.ts'

const FROM = Date.parse('2022-10-06T22:00:00Z') / 1000
const TO = Date.parse('2022-10-13T22:00:00Z') / 1000
const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')

/** Where the fake run stands: what differs between its frames. */
export interface Stage {
  state: LiveState
  /** Acknowledged per topic (tasks, fragments); sent is acknowledged plus `inFlight`. */
  acknowledged: [number, number]
  inFlight: [number, number]
  /** The acknowledged position, Unix seconds. */
  position: number
  elapsedSeconds: number
}

export const STAGES = {
  running: {
    state: 'running',
    acknowledged: [3921, 1162043],
    inFlight: [2, 317],
    position: FROM + 302_400,
    elapsedSeconds: 1008,
  },
  stalled: {
    state: 'stalled',
    acknowledged: [3927, 1163360],
    inFlight: [11, 2048],
    position: FROM + 302_880,
    elapsedSeconds: 1031,
  },
  done: { state: 'done', acknowledged: [7850, 2323475], inFlight: [0, 0], position: TO, elapsedSeconds: 2016 },
} satisfies Record<string, Stage>

/** The run's status at `stage`; `command: 'verify'` adds each topic's check. */
export function fakeStatus(stage: Stage, command: 'replay' | 'verify' = 'replay'): LiveStatus {
  const fraction = (stage.position - FROM) / (TO - FROM)
  const ended = stage.state === 'done'
  const stalled = stage.state === 'stalled'
  const topics = (['tasks', 'fragments'] as const).map((stream, i) => ({
    stream,
    topic: `surf-${stream}`,
    sent: stage.acknowledged[i]! + stage.inFlight[i]!,
    acknowledged: stage.acknowledged[i]!,
    bytesAcknowledged: stage.acknowledged[i]! * (i === 0 ? 187 : 61),
    ratePerSecond: stalled || ended ? 0 : i === 0 ? 3.9 : 1152.7,
    ...(command === 'verify'
      ? {
          check: {
            expected: i === 0 ? 7850 : 2323475,
            matched: stage.acknowledged[i]! - 3,
            missing: 1,
            duplicated: 2,
            changed: 1,
            foreign: i,
          },
        }
      : {}),
  }))
  return {
    command,
    version: '0.1.0',
    state: stage.state,
    stalled: stalled
      ? { reason: 'no acknowledgement from 127.0.0.1:9092', since: '2026-05-12T09:16:40Z', seconds: 17 }
      : null,
    error: null,
    now: iso(Date.parse('2026-05-12T09:00:00Z') / 1000 + stage.elapsedSeconds),
    settings: {
      format: 'tasks-fragments',
      output: 'kafka',
      topics: { tasks: 'surf-tasks', fragments: 'surf-fragments' },
      speed: 300,
      window: { from: iso(FROM), to: null },
      shard: '1/2',
      brokers: ['127.0.0.1:9092', 'kafka-2:9092'],
      stallAfterSeconds: 30,
    },
    startedAt: '2026-05-12T09:00:00Z',
    elapsedSeconds: stage.elapsedSeconds,
    trace: {
      from: iso(FROM),
      to: iso(TO),
      acknowledged: iso(stage.position),
      acknowledgedSeconds: stage.position,
      fraction,
      etaSeconds: stalled ? null : ended ? 0 : 1008,
    },
    topics,
    lateness: {
      messages: 1165964,
      p50Ms: 0.4,
      p99Ms: stalled ? 14800 : 2.7,
      maxMs: stalled ? 17000 : 41.2,
      currentMs: stalled ? 17000 : 0,
    },
    retries: stalled ? 3 : 0,
    errors: 0,
    secondsSinceLastAcknowledgement: stalled ? 17 : 0,
    summary: ended ? { messages: { tasks: 7850, fragments: 2323475 }, lateness: { p99Ms: 14800 } } : null,
  }
}

/** `count` points, one every quarter second, acknowledging steadily up to `stage`. */
export function fakePoints(stage: Stage, count: number, from = 0): LivePoint[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k
    const share = (i + 1) / (from + count)
    return {
      t: i / 4,
      position: FROM + Math.round((stage.position - FROM) * share),
      acknowledged: stage.acknowledged.map((n) => Math.round(n * share)),
      p50Ms: 0.3 + 0.2 * Math.sin(i / 40),
      p99Ms: 2 + Math.abs(Math.sin(i / 25)) * 3,
      maxMs: 8 + 6 * Math.abs(Math.sin(i / 60)),
      currentMs: 0,
    }
  })
}

/** The week's demand in 2,016 buckets of five minutes, against SURF's capacity. */
export function fakeDemand(received = false): DemandSeries {
  const t = Array.from({ length: 2016 }, (_, i) => FROM + i * 300)
  const day = (i: number) => Math.sin((i / 288) * 2 * Math.PI)
  const mean = t.map((_, i) => Math.round(2_500_000 + 700_000 * day(i) + 150_000 * Math.sin(i / 9)))
  const max = mean.map((m, i) => m + Math.round(400_000 + 200_000 * Math.sin(i / 5)))
  return {
    t,
    mean,
    max,
    capacity: { mhz: 4_800_000, source: 'topology.json: 277 hosts' },
    ...(received ? { received: mean.map((m, i) => (i < 1000 ? m : 0)) } : {}),
  }
}

export function fakeHistory(stage: Stage, points = 1200): LiveHistory {
  return { points: fakePoints(stage, points), demand: fakeDemand() }
}
