import { describe, expect, it } from 'bun:test'
import { ByteWriter } from '../../src/core/bytes.ts'
import { demand } from '../../src/core/demand.ts'
import { tasksFragments } from '../../src/formats/tasks-fragments/index.ts'
import { writeFragmentValue } from '../../src/formats/tasks-fragments/wire.ts'
import type { LiveFrame } from '../../src/live/status.ts'
import { TopicCheck } from '../../src/verify/check.ts'
import { ExpectedTopic, hashRecord, type RecordHash } from '../../src/verify/expected.ts'
import { type LiveClock, MAX_POINTS, VerifyLive } from '../../src/verify/live.ts'
import type { VerifyReport } from '../../src/verify/report.ts'
import { makeFragments, makeTasks } from '../helpers.ts'

const T = Date.UTC(2022, 9, 6, 22)
const WALL = Date.UTC(2026, 0, 1)

/**
 * Task a at T: 60 s at 100 MHz, then 60 s at 50; b at T+90 s: 120 s at 30; c at T+150 s: 30 s at
 * 40. Their fragments are at T+60 s (a's first), T+120 s (a's second), T+180 s (c's), T+210 s
 * (b's). Demand per minute: [0, 60) 100; [60, 120) 50, and 30 more from 90 s (mean 65, max 80);
 * [120, 180) 30, and 40 more from 150 s (mean 50, max 70); [180, 210) 30 (mean 15, max 30).
 */
function trace() {
  const tasks = makeTasks([
    ['a', T, 120_000],
    ['b', T + 90_000, 120_000],
    ['c', T + 150_000, 30_000],
  ])
  const fragments = makeFragments(3, [
    [0, 60_000],
    [0, 60_000],
    [1, 120_000],
    [2, 30_000],
  ])
  fragments.cpuUsage.set([100, 50, 30, 40])
  return demand(tasks, fragments)
}

/** The fragments topic's messages, in replay order: [key, value, time]. */
const MESSAGES: [string, string, number][] = [
  ['{"id":"a"}', fragment(T + 60_000, 60_000, 100), T + 60_000],
  ['{"id":"a"}', fragment(T + 120_000, 60_000, 50), T + 120_000],
  ['{"id":"c"}', fragment(T + 180_000, 30_000, 40), T + 180_000],
  ['{"id":"b"}', fragment(T + 210_000, 120_000, 30), T + 210_000],
]

function fragment(time: number, duration: number, usage: number): string {
  const w = new ByteWriter(256)
  writeFragmentValue(w, time, duration, usage)
  return Buffer.from(w.buf.subarray(0, w.pos)).toString('latin1')
}

function expectedTopic(): ExpectedTopic {
  const topic = new ExpectedTopic('frags')
  const hash: RecordHash = { hi: 0, lo: 0, key: 0, wideKey: 0 }
  for (const [key, value, time] of MESSAGES) topic.add(time, hashRecord(Buffer.from(key), Buffer.from(value), hash))
  topic.seal()
  return topic
}

/** A clock that moves when told, and a timer that ticks when told. */
function fakeClock() {
  let now = WALL
  let tick: (() => void) | undefined
  const clock: LiveClock = {
    now: () => now,
    every(ms, fn) {
      expect(ms).toBe(250)
      tick = fn
      return () => {
        tick = undefined
      }
    },
  }
  return {
    clock,
    advance(ms: number) {
      now += ms
      tick?.()
    },
    ticking: () => tick !== undefined,
  }
}

function setUp() {
  const time = fakeClock()
  const live = new VerifyLive(
    {
      version: '1.2.3',
      format: 'tasks-fragments',
      output: 'kafka',
      topics: { tasks: 'tasks-topic', fragments: 'frags' },
      speed: 100,
      brokers: ['127.0.0.1:9092'],
      capacity: { mhz: 200, source: 'by hand' },
      demandOf: tasksFragments.demandOf,
    },
    time.clock,
  )
  const check = new TopicCheck(expectedTopic(), 5, { origin: T, speed: 100 })
  let offset = 0
  /** Reads a record that arrived `lateMs` after it was due. */
  const read = (key: string, value: string, lateMs: number) => {
    const due = WALL + offset * 1000
    check.add({
      partition: 0,
      offset: String(offset++),
      key: Buffer.from(key),
      value: Buffer.from(value),
      arrival: due + lateMs,
      due,
    })
    live.record('frags', Buffer.from(key), Buffer.from(value))
  }
  return { live, check, read, time }
}

const bytes = (i: number) => MESSAGES[i]![0].length + MESSAGES[i]![1].length

describe("verify's live source, fed by hand", () => {
  it('starting while the trace loads: no window, no topics, no position', () => {
    const { live } = setUp()
    const s = live.status()
    expect([s.command, s.version, s.state, s.stalled, s.error, s.startedAt, s.elapsedSeconds]).toEqual([
      'verify',
      '1.2.3',
      'starting',
      null,
      null,
      null,
      0,
    ])
    expect(s.settings).toEqual({
      format: 'tasks-fragments',
      output: 'kafka',
      topics: { tasks: 'tasks-topic', fragments: 'frags' },
      speed: 100,
      window: null,
      shard: null,
      brokers: ['127.0.0.1:9092'],
      stallAfterSeconds: 30,
    })
    expect(s.trace).toEqual({
      from: null,
      to: null,
      acknowledged: null,
      acknowledgedSeconds: null,
      fraction: 0,
      etaSeconds: null,
    })
    expect([s.topics, s.secondsSinceLastAcknowledgement, s.summary]).toEqual([[], null, null])
    expect(live.history()).toEqual({ points: [], demand: null })
  })

  it('running: the figures so far, the position, the rate, the lateness and the demand received', () => {
    const { live, check, read, time } = setUp()
    live.loaded({ from: T, to: Infinity }, [check], trace())
    time.advance(1000)
    read(MESSAGES[0]![0], MESSAGES[0]![1], 5)
    read('{"id":"z"}', '{"not":"ours"}', 7)
    read(MESSAGES[0]![0], MESSAGES[0]![1], 9)
    time.advance(1000)
    const s = live.status()
    expect([s.state, s.startedAt, s.elapsedSeconds, s.secondsSinceLastAcknowledgement]).toEqual([
      'running',
      new Date(WALL).toISOString(),
      2,
      1,
    ])
    expect(s.settings.window).toEqual({ from: '2022-10-06T22:00:00.000Z', to: null })
    // Everything before a's second fragment (T+120 s) is read: 60 s of the 150 s from T+60 s.
    expect(s.trace).toEqual({
      from: '2022-10-06T22:01:00.000Z',
      to: '2022-10-06T22:03:30.000Z',
      acknowledged: '2022-10-06T22:02:00.000Z',
      acknowledgedSeconds: (T + 120_000) / 1000,
      fraction: 0.4,
      etaSeconds: null,
    })
    expect(s.topics).toEqual([
      {
        stream: 'fragments',
        topic: 'frags',
        sent: 3,
        acknowledged: 3,
        bytesAcknowledged: 2 * bytes(0) + '{"id":"z"}{"not":"ours"}'.length,
        // 3 records between the ticks at 1 s and 2 s.
        ratePerSecond: 3,
        check: { expected: 4, matched: 1, missing: 3, duplicated: 1, changed: 0, foreign: 1 },
      },
    ])
    // The matched record only: 5 ms.
    expect(s.lateness).toEqual({ messages: 1, p50Ms: 5, p99Ms: 5, maxMs: 5, currentMs: 0 })
    expect(live.latenessHistogram()).toMatchObject({ count: 1, sumMs: 5, maxMs: 5 })
    expect(live.history().demand).toEqual({
      t: [T / 1000, T / 1000 + 60, T / 1000 + 120, T / 1000 + 180],
      mean: [100, 65, 50, 15],
      max: [100, 80, 70, 30],
      capacity: { mhz: 200, source: 'by hand' },
      // a's first fragment, twice (the duplicate is what the twin received too).
      received: [200, 0, 0, 0],
    })
  })

  it("the consumer's retries and errors, as its client reports them", () => {
    const { live, check, time } = setUp()
    live.loaded({ from: T, to: Infinity }, [check], trace())
    expect([live.status().retries, live.status().errors]).toEqual([0, 0])
    live.counters.retried()
    live.counters.retried()
    live.counters.failed()
    time.advance(250)
    expect([live.status().retries, live.status().errors]).toEqual([2, 1])
  })

  it('points at most 4 a second, frames with the points since the last and the demand that changed', () => {
    const { live, check, read, time } = setUp()
    const frames: LiveFrame[] = []
    live.subscribe((f) => frames.push(f))
    expect(frames).toHaveLength(1)
    expect(frames[0]!.history).toEqual({ points: [], demand: null })
    live.loaded({ from: T, to: Infinity }, [check], trace())
    read(MESSAGES[0]![0], MESSAGES[0]![1], 5)
    time.advance(250)
    // The demand came with the trace: this frame carries the history whole, for a page that
    // connected while the trace loaded.
    expect(frames[1]!.points).toEqual([])
    expect(frames[1]!.history!.demand).not.toBeNull()
    expect(frames[1]!.history!.points).toEqual([
      {
        t: 0.25,
        position: (T + 120_000) / 1000,
        acknowledged: [1],
        p50Ms: 5,
        p99Ms: 5,
        maxMs: 5,
        currentMs: 0,
      },
    ])
    expect(frames[1]!.received).toEqual({ from: 0, values: [100] })
    time.advance(250)
    expect(frames[2]!.points).toEqual([
      {
        t: 0.5,
        position: (T + 120_000) / 1000,
        acknowledged: [1],
        p50Ms: null,
        p99Ms: null,
        maxMs: null,
        currentMs: 0,
      },
    ])
    expect(frames[2]!.received).toBeUndefined()
  })

  it("done: the report's figures, one last frame, and no more ticks", () => {
    const { live, check, read, time } = setUp()
    const frames: LiveFrame[] = []
    live.loaded({ from: T, to: T + 210_001 }, [check], trace())
    live.subscribe((f) => frames.push(f))
    read('{"id":"a"}', fragment(T + 60_000, 60_000, 999), 1)
    read(MESSAGES[1]![0], MESSAGES[1]![1], 2)
    read(MESSAGES[2]![0], MESSAGES[2]![1], 3)
    read(MESSAGES[3]![0], MESSAGES[3]![1], 4)
    time.advance(4000)
    const report: VerifyReport = { exact: false, missingTopics: [], topics: [check.finish()] }
    live.end('done', report)
    expect(time.ticking()).toBe(false)
    const s = live.status()
    expect([s.state, s.summary, s.settings.window?.to]).toEqual(['done', report, '2022-10-06T22:03:30.001Z'])
    // a's first fragment came with another value: changed, once every record is read.
    expect(report.topics[0]).toMatchObject({ matched: 3, missing: 0, changed: 1, foreign: 0 })
    expect(s.topics[0]!.check).toEqual({ expected: 4, matched: 3, missing: 0, duplicated: 0, changed: 1, foreign: 0 })
    const l = report.topics[0]!.lateness!
    expect([l.count, l.p99, l.max]).toEqual([3, 4, 4])
    expect(s.lateness).toEqual({ messages: 3, p50Ms: l.p50, p99Ms: 4, maxMs: 4, currentMs: 0 })
    expect(live.latenessHistogram()).toMatchObject({ count: 3, sumMs: 2 + 3 + 4, maxMs: 4 })
    expect(frames.at(-1)!.status.state).toBe('done')
    const count = frames.length
    time.advance(250)
    expect(frames.length).toBe(count)
    // A subscriber after the end gets the last status once.
    const late: LiveFrame[] = []
    live.subscribe((f) => late.push(f))
    expect(late.map((f) => f.status.state)).toEqual(['done'])
  })

  it("the ETA from the position's progress; everything read: the last event, ETA 0, the demand received as expected", () => {
    const { live, check, read, time } = setUp()
    live.loaded({ from: T, to: Infinity }, [check], trace())
    time.advance(1000)
    read(MESSAGES[0]![0], MESSAGES[0]![1], 1)
    expect(live.status().trace.etaSeconds).toBeNull()
    time.advance(1000)
    read(MESSAGES[1]![0], MESSAGES[1]![1], 1)
    // 60 s of trace in 1 s of wall time since T+120 s was reached: the last 30 s take 0.5 s.
    expect(live.status().trace).toMatchObject({
      acknowledged: '2022-10-06T22:03:00.000Z',
      fraction: 0.8,
      etaSeconds: 0.5,
    })
    read(MESSAGES[3]![0], MESSAGES[3]![1], 1)
    read(MESSAGES[2]![0], MESSAGES[2]![1], 1)
    const s = live.status()
    expect([s.trace.acknowledged, s.trace.fraction, s.trace.etaSeconds]).toEqual(['2022-10-06T22:03:30.000Z', 1, 0])
    const d = live.history().demand!
    expect(d.received).toEqual(d.mean)
  })

  it('failed: the error line', () => {
    const { live } = setUp()
    live.end('failed', null, 'Kafka was lost')
    expect([live.status().state, live.status().error]).toEqual(['failed', 'Kafka was lost'])
  })

  it(`thinned past ${MAX_POINTS} points: every other one kept, then taken half as often; a frame carries the history`, () => {
    const { live, check, time } = setUp()
    live.loaded({ from: T, to: Infinity }, [check], null)
    const frames: LiveFrame[] = []
    live.subscribe((f) => frames.push(f))
    for (let i = 0; i < MAX_POINTS; i++) time.advance(250)
    expect(live.history().points.length).toBe(MAX_POINTS)
    time.advance(250)
    const thinned = frames.at(-1)!
    expect(thinned.history!.points.length).toBe(MAX_POINTS / 2 + 1)
    expect(thinned.history!.points.slice(0, 2).map((p) => p.t)).toEqual([0.25, 0.75])
    expect(thinned.history!.points.at(-1)!.t).toBe((MAX_POINTS + 1) / 4)
    time.advance(250)
    expect(frames.at(-1)!.points).toEqual([])
    time.advance(250)
    expect(frames.at(-1)!.points.map((p) => p.t)).toEqual([(MAX_POINTS + 3) / 4])
  })
})
