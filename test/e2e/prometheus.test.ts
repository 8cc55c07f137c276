import { afterAll, beforeAll, expect, it } from 'bun:test'
import { METRICS_CONTENT_TYPE, metricsText } from '../../src/live/metrics.ts'
import type { LiveStatus } from '../../src/live/status.ts'
import { latenessHistogram, replayStatus } from '../live-status.ts'
import { type Prometheus, type Sample, startPrometheus } from '../prometheus.ts'

/**
 * /metrics as a real Prometheus server reads it: two shards of a replay (a fixed status each,
 * served by Bun.serve as live/server.ts serves metricsText), scraped every second, then asked
 * through its query API. Prometheus parses the text; the values must come back exact.
 */

/** Shard 1/2 acknowledged other counts than shard 0/2, so that a sum shows both. */
const shard1: LiveStatus = {
  ...replayStatus(),
  topics: replayStatus().topics.map((t) => ({ ...t, acknowledged: t.acknowledged + 1000 })),
}
const shards: [string, LiveStatus][] = [
  ['0/2', replayStatus()],
  ['1/2', shard1],
]

const servers = shards.map(([shard, status]) =>
  Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request) =>
      new URL(request.url).pathname === '/metrics'
        ? new Response(metricsText(status, latenessHistogram(), { shard }), {
            headers: { 'content-type': METRICS_CONTENT_TYPE },
          })
        : new Response('not found', { status: 404 }),
  }),
)
const targets = servers.map((s) => `127.0.0.1:${s.port}`)
const servedFrom = Date.now()
let prometheus: Prometheus | undefined

beforeAll(async () => {
  prometheus = await startPrometheus(targets)
  for (const target of targets) await prometheus.scrapedAfter(target, servedFrom)
}, 120_000)

afterAll(async () => {
  await prometheus?.stop()
  for (const s of servers) s.stop(true)
}, 30_000)

/** A query's series as `labels value` lines, sorted, for an exact comparison. */
async function series(expr: string): Promise<string[]> {
  const spell = (s: Sample) =>
    `${Object.entries(s.metric)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')} ${s.value}`
  return (await prometheus!.query(expr)).map(spell).sort()
}

it('Prometheus scrapes the acknowledged totals per topic and shard, exactly', async () => {
  const [a, b] = targets
  const name = '__name__=opendt_replay_messages_acknowledged_total'
  expect(await series('opendt_replay_messages_acknowledged_total')).toEqual(
    [
      `${name} instance=${a} job=opendt shard=0/2 stream=fragments topic=fragments 47950`,
      `${name} instance=${a} job=opendt shard=0/2 stream=tasks topic=tasks 1187`,
      `${name} instance=${b} job=opendt shard=1/2 stream=fragments topic=fragments 48950`,
      `${name} instance=${b} job=opendt shard=1/2 stream=tasks topic=tasks 2187`,
    ].sort(),
  )
})

it('sums a sharded replay across its shards by topic', async () => {
  expect(await series('sum by (topic) (opendt_replay_messages_acknowledged_total)')).toEqual([
    'topic=fragments 96900',
    'topic=tasks 3374',
  ])
})

it('reads the histogram, the trace time and the state as written', async () => {
  expect(await series('sum(opendt_replay_lateness_seconds_count)')).toEqual([' 14'])
  expect(await series('sum by (le) (opendt_replay_lateness_seconds_bucket{le=~"0.001|30|\\\\+Inf"})')).toEqual([
    'le=+Inf 14',
    'le=0.001 6',
    'le=30 10',
  ])
  expect(await series('max(opendt_replay_trace_time_seconds)')).toEqual([' 1665096600.5'])
  expect(await series('count(opendt_replay_state == 1) by (state)')).toEqual(['state=running 2'])
})
