#!/usr/bin/env bun
/**
 * How long `/metrics` takes to write its text (src/live/metrics.ts), for a replay status with
 * three topics (dc-mock's) and a lateness histogram of 356,978 messages spread over every bucket
 * from 1 µs to 30 s, sharded, and for a verify status with the same topics checked:
 *
 *   bun scripts/bench-metrics.ts [CALLS]
 *
 * CALLS (default 20,000) timed calls after 2,000 warm-up ones, each timed alone; prints the median,
 * p99 and max per call, and the text's size. The goal (issue 27): well under 10 ms.
 */
import { Lateness } from '../src/core/lateness.ts'
import { metricsText } from '../src/live/metrics.ts'
import type { LatenessHistogram, LiveStatus, LiveTopic } from '../src/live/status.ts'

const calls = Number(process.argv[2] ?? 20_000)

const lateness = new Lateness()
for (let i = 0; i < 356_978; i++) lateness.add(10 ** (-3 + (7.5 * i) / 356_978)) // 1 µs .. 30 s, log-spread
const histogram: LatenessHistogram = {
  counts: lateness.counts,
  count: lateness.count,
  sumMs: 123_456_789,
  maxMs: lateness.max,
}

const topic = (stream: string, check: boolean): LiveTopic => ({
  stream,
  topic: `dc.${stream}`,
  sent: 356_978,
  acknowledged: 356_900,
  bytesAcknowledged: 987_654_321,
  ratePerSecond: 1234.5,
  ...(check
    ? { check: { expected: 356_978, matched: 356_800, missing: 78, duplicated: 3, changed: 1, foreign: 2 } }
    : {}),
})

const status = (command: LiveStatus['command']): LiveStatus => ({
  command,
  version: '0.1.0',
  state: 'running',
  stalled: null,
  error: null,
  now: '2026-12-07T12:00:00.000Z',
  settings: {
    format: 'dc-mock',
    output: 'kafka',
    topics: { workload: 'dc.workload', power: 'dc.power', topology: 'dc.topology' },
    speed: 300,
    window: { from: '2022-10-06T22:00:00.000Z', to: null },
    shard: '0/2',
    brokers: ['127.0.0.1:9092'],
    stallAfterSeconds: 30,
  },
  startedAt: '2026-12-07T11:00:00.000Z',
  elapsedSeconds: 3600,
  trace: {
    from: '2022-10-06T22:00:00.000Z',
    to: '2022-10-13T22:00:00.000Z',
    acknowledged: '2022-10-10T10:00:00.000Z',
    acknowledgedSeconds: 1_665_396_000,
    fraction: 0.5,
    etaSeconds: 3600,
  },
  topics: ['workload', 'power', 'topology'].map((s) => topic(s, command === 'verify')),
  lateness: { messages: 356_978, p50Ms: 5.6, p99Ms: 29_000, maxMs: 30_000, currentMs: 0 },
  retries: 2,
  errors: 0,
  secondsSinceLastAcknowledgement: 0.05,
  summary: null,
})

console.log(`| /metrics text, ${calls} calls | median | p99 | max | size |`)
console.log('| --- | --- | --- | --- | --- |')
for (const command of ['replay', 'verify'] as const) {
  const s = status(command)
  let text = ''
  for (let i = 0; i < 2000; i++) text = metricsText(s, histogram, { shard: '0/2' })
  const times = new Float64Array(calls)
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now()
    metricsText(s, histogram, { shard: '0/2' })
    times[i] = performance.now() - t0
  }
  times.sort()
  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`
  const at = (q: number) => times[Math.min(calls - 1, Math.floor(q * calls))]!
  console.log(
    `| ${command}, 3 topics, sharded | ${us(at(0.5))} | ${us(at(0.99))} | ${us(times[calls - 1]!)} | ${text.length} bytes |`,
  )
}
