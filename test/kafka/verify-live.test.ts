import { beforeAll, describe, expect, it } from 'bun:test'
import { createConsola } from 'consola/basic'
import type { VerifyArgs } from '../../src/cli/flags.ts'
import { verifyCommand } from '../../src/commands/verify.ts'
import { round3 } from '../../src/core/text.ts'
import type { LiveFrame, LiveSource } from '../../src/live/status.ts'
import type { VerifyReport } from '../../src/verify/report.ts'
import { requireBinary, run } from '../helpers.ts'
import { createTopics, freshTopic, sharedBroker } from './broker.ts'

/**
 * verify --follow --http, its live source in this process, against a real replay (the binary)
 * into the shared broker: once all is read, the source's figures are verify's report, and the
 * demand the twin received is the trace's, exactly (the demo trace's usages are sums of halves
 * and quarters: every sum is exact, in any order).
 */
const broker = sharedBroker()
let bin: string

beforeAll(() => {
  bin = requireBinary()
})

/** verify in this process with a fake server that hands over the live source; resolves once following. */
function following(args: VerifyArgs) {
  const stdout: string[] = []
  const stderr: string[] = []
  const frames: LiveFrame[] = []
  let source: LiveSource | undefined
  let ready: () => void
  const followingNow = new Promise<void>((resolve) => {
    ready = resolve
  })
  const stops: string[] = []
  const done = verifyCommand({ brokers: broker.bootstrap, follow: true, json: true, http: '0', ...args }, new Map(), {
    log: createConsola({
      level: 3,
      reporters: [
        {
          log: (o) => {
            const line = o.args.join(' ')
            if (line.startsWith('live view at')) stderr.push(line)
            if (line.includes('start the replay')) ready()
          },
        },
      ],
    }),
    env: {},
    onSignal: () => () => {},
    stdout: (text) => void stdout.push(text),
    stderr: { write: (text) => void stderr.push(text), isTTY: false },
    version: 'test',
    async serveLive(http, live) {
      expect(http).toEqual({ listen: '0', flag: '--http' })
      // Served before the trace is loaded.
      expect(live.status().state).toBe('starting')
      source = live
      live.subscribe((frame) => frames.push(frame))
      return { url: 'http://127.0.0.1:1234/', stop: () => void stops.push(live.status().state) }
    },
  })
  return {
    followingNow,
    async finish() {
      const code = await done
      return { code, report: JSON.parse(stdout.join('')) as VerifyReport, source: source!, frames, stderr, stops }
    },
  }
}

describe('verify --follow --http: the live source against a real replay', () => {
  it.each([
    ['tasks-fragments', ['tasks', 'fragments']],
    ['dc-mock', ['workload', 'power', 'topology']],
  ] as const)(
    "%s: the final status is the report; the demand received is the trace's",
    async (format, streams) => {
      const topics = Object.fromEntries(streams.map((s) => [`${s}-topic`, freshTopic(s)]))
      await createTopics(broker.bootstrap, Object.values(topics))
      const verify = following({ format, speed: '50', ...topics })
      await verify.followingNow
      const replay = await run([
        bin,
        'replay',
        '--brokers',
        broker.bootstrap,
        '--format',
        format,
        '--speed',
        '50',
        ...Object.entries(topics).flatMap(([flag, topic]) => [`--${flag}`, topic]),
      ])
      expect(replay.code).toBe(0)
      const { code, report, source, frames, stderr, stops } = await verify.finish()
      expect([code, report.exact]).toEqual([0, true])
      expect(stderr).toEqual(['live view at http://127.0.0.1:1234/'])
      expect(stops).toEqual(['done'])

      const status = source.status()
      expect([status.state, status.stalled, status.error, status.summary]).toEqual(['done', null, null, report])
      expect(status.settings).toMatchObject({
        format,
        output: 'kafka',
        speed: 50,
        brokers: [broker.bootstrap],
        shard: null,
      })
      // The report's figures, each under the name the live view gives it.
      const figures = ['expected', 'matched', 'missing', 'duplicated', 'changed', 'foreign'] as const
      expect(status.topics.map((t): unknown[] => [t.topic, t.sent, t.acknowledged, t.check])).toEqual(
        report.topics.map((t) => [t.topic, t.read, t.read, Object.fromEntries(figures.map((f) => [f, t[f]]))]),
      )
      expect(report.topics.map((t) => t.matched)).toEqual(
        format === 'dc-mock' ? [report.topics[0]!.expected, 0, 0] : [4, 12],
      )
      const measured = report.topics.filter((t) => t.lateness)
      expect(measured.length).toBeGreaterThan(0)
      expect(status.lateness.messages).toBe(measured.reduce((n, t) => n + t.lateness!.count, 0))
      // /status rounds to three decimals; its summary is the report, exact.
      expect(status.lateness.maxMs).toBe(round3(Math.max(...measured.map((t) => t.lateness!.max))))
      expect([status.trace.fraction, status.trace.etaSeconds]).toEqual([1, 0])

      const demand = source.history().demand!
      expect(demand.capacity).toBeNull()
      expect(demand.mean.length).toBeGreaterThan(0)
      expect(demand.mean.some((m) => m > 0)).toBe(true)
      expect(demand.received).toEqual(demand.mean)
      // The frames' changes, applied in order, end where the history ends.
      const drawn = new Array<number>(demand.mean.length).fill(0)
      for (const f of frames)
        if (f.received) drawn.splice(f.received.from, f.received.values.length, ...f.received.values)
      expect(drawn).toEqual(demand.mean)
      expect(frames.at(-1)!.status.state).toBe('done')
    },
    90_000,
  )
})
