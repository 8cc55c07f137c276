import { describe, expect, it } from 'bun:test'
import type { LiveFrame, LivePoint } from '../../src/live/status.ts'
import { LiveFigures } from '../../src/run/figures.ts'
import { MAX_POINTS, ReplayMonitor, thin } from '../../src/run/monitor.ts'
import { monitorSettings } from '../live-status.ts'

const T = Date.UTC(2022, 9, 6, 22)
const W = Date.UTC(2026, 11, 7, 12)
const settings = monitorSettings({ topics: { tasks: 't', fragments: 'f' }, shard: '0/2', brokers: ['k:9092'] })
const point = (t: number, p99: number | null, current = 0): LivePoint => ({
  t,
  position: t,
  acknowledged: [t, 2 * t],
  p50Ms: p99,
  p99Ms: p99,
  maxMs: p99,
  currentMs: current,
})

function run() {
  const clock = { now: W }
  const figures = new LiveFigures(settings.streams)
  const monitor = new ReplayMonitor(settings, figures, () => clock.now)
  monitor.loaded({ from: T, to: Infinity }, T + 3_600_000)
  return { clock, figures, monitor }
}

describe('the replay monitor', () => {
  it('thins two neighbours into one: the later totals, the worse lateness', () => {
    expect(thin([point(1, 2), point(2, null, 5), point(3, 1), point(4, 7), point(5, 3)])).toEqual([
      { ...point(2, 2), currentMs: 5 },
      point(4, 7),
      point(5, 3),
    ])
    expect(MAX_POINTS).toBe(5_000)
  })

  it("a point's lateness is of the messages since the previous one, capped at the run's max", () => {
    const { clock, figures, monitor } = run()
    monitor.released(W, T)
    const lateness = figures.lateness(1)
    for (let i = 0; i < 99; i++) lateness.add(2)
    lateness.add(100)
    clock.now = W + 1000
    monitor.end({ failed: false, error: null, summary: null, interrupted: false })
    const [first] = monitor.history().points
    // 2 ms falls in the bucket up to 2.016 ms (core/lateness.ts: 64 per power of two).
    expect([first!.p50Ms, first!.p99Ms, first!.maxMs]).toEqual([2.016, 2.016, 100])
    expect(monitor.latenessHistogram()).toMatchObject({ count: 100, sumMs: 298, maxMs: 100 })
  })

  it('once ended, the status carries the summary and its figures; the last frame says so', () => {
    const { clock, figures, monitor } = run()
    const frames: LiveFrame[] = []
    monitor.subscribe((f) => frames.push(f))
    monitor.released(W, T)
    figures.record(0, { tasks: { sent: 4, acked: 3, eventTime: T, ackedTime: T, bytesAcked: 30 } }, T, W + 10)
    clock.now = W + 2000
    const summary = {
      topics: {
        tasks: { topic: 't', sent: 4, acknowledged: 4 },
        fragments: { topic: 'f', sent: 12, acknowledged: 12 },
      },
      lateness: { messages: 16, p50Ms: 0.5, p99Ms: 1.25, maxMs: 2 },
      wallSeconds: 1.999,
    }
    monitor.interrupted('SIGINT')
    monitor.end({ failed: false, error: null, summary, interrupted: true })
    const s = monitor.status()
    expect([s.state, s.stalled, s.summary, s.elapsedSeconds, s.trace.etaSeconds]).toEqual([
      'interrupted',
      null,
      summary,
      1.999,
      null,
    ])
    expect(s.topics.map((t) => [t.stream, t.sent, t.acknowledged])).toEqual([
      ['tasks', 4, 4],
      ['fragments', 12, 12],
    ])
    expect(s.lateness).toEqual({ messages: 16, p50Ms: 0.5, p99Ms: 1.25, maxMs: 2, currentMs: 0 })
    expect(frames.at(-1)!.status.state).toBe('interrupted')
    expect(frames.at(-1)!.points.length).toBe(1)
    monitor.end({ failed: true, error: 'late', summary: null, interrupted: false })
    expect(monitor.status().state).toBe('interrupted') // the first end stands
  })

  it("done: the position is the window's end, though the paced clock stopped short of it", () => {
    const { clock, figures, monitor } = run()
    monitor.released(W, T)
    const everything = { sent: 2, acked: 2, eventTime: T + 1000, ackedTime: T + 1000, bytesAcked: 20 }
    figures.record(0, { tasks: everything }, Infinity, W + 1)
    figures.record(1, { fragments: everything }, Infinity, W + 1)
    // At 10x, 0.5 s after the release the schedule stands at T + 5 s, an hour before the end.
    clock.now = W + 500
    expect([monitor.status().trace.acknowledged, monitor.status().trace.fraction]).toEqual([
      '2022-10-06T22:00:05.000Z',
      0.001,
    ])
    monitor.end({ failed: false, error: null, summary: null, interrupted: false })
    const t = monitor.status().trace
    expect([t.acknowledged, t.acknowledgedSeconds, t.fraction, t.etaSeconds]).toEqual([
      '2022-10-06T23:00:00.000Z',
      T / 1000 + 3600,
      1,
      0,
    ])
  })

  it('a failure before the release: failed, with the error line', () => {
    const { monitor } = run()
    monitor.end({ failed: true, error: 'cannot reach Kafka at k:9092 within 1 s', summary: null, interrupted: false })
    const s = monitor.status()
    expect([s.state, s.error, s.startedAt, s.trace.acknowledged]).toEqual([
      'failed',
      'cannot reach Kafka at k:9092 within 1 s',
      null,
      null,
    ])
    expect(monitor.history().points).toEqual([])
  })

  it('a shard with no message in the window: its window is empty, and every time is a valid one', () => {
    const clock = { now: W }
    const figures = new LiveFigures(settings.streams)
    const monitor = new ReplayMonitor(settings, figures, () => clock.now)
    monitor.loaded({ from: T, to: Infinity }, -Infinity)
    monitor.released(W, T)
    figures.record(
      0,
      { tasks: { sent: 0, acked: 0, eventTime: Number.NaN, ackedTime: Number.NaN, bytesAcked: 0 } },
      Infinity,
      W,
    )
    figures.record(
      1,
      { fragments: { sent: 0, acked: 0, eventTime: Number.NaN, ackedTime: Number.NaN, bytesAcked: 0 } },
      Infinity,
      W,
    )
    monitor.end({ failed: false, error: null, summary: null, interrupted: false })
    const s = monitor.status()
    expect([s.state, s.trace.from, s.trace.to, s.trace.acknowledged, s.trace.fraction]).toEqual([
      'done',
      '2022-10-06T22:00:00.000Z',
      '2022-10-06T22:00:00.000Z',
      '2022-10-06T22:00:00.000Z',
      1,
    ])
  })
})
