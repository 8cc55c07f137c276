import { describe, expect, it } from 'bun:test'
import { formatDuration } from '../../src/core/text.ts'
import { LiveFigures } from '../../src/run/figures.ts'
import { type MonitorSettings, ReplayMonitor } from '../../src/run/monitor.ts'
import { progressLine } from '../../src/run/progress.ts'
import { monitorSettings } from '../live-status.ts'

const T = Date.UTC(2022, 9, 6, 22)
const H = 3_600_000
/** The wall clock of these runs: the release at W. */
const W = Date.UTC(2026, 11, 7, 12)

/** A monitor over figures the test writes as the workers would, on a clock it sets. */
function run(over: Partial<MonitorSettings> = {}) {
  const clock = { now: W - 1000 }
  const figures = new LiveFigures(['tasks', 'fragments'])
  const monitor = new ReplayMonitor(monitorSettings(over), figures, () => clock.now)
  monitor.loaded({ from: T, to: T + 10 * H }, T + 10 * H)
  return { clock, figures, monitor }
}
const fig = (sent: number, acked: number, time: number) => ({
  sent,
  acked,
  eventTime: time,
  ackedTime: time,
  bytesAcked: acked * 10,
})

describe('progress', () => {
  it.each([
    [0, '0s'],
    [12_400, '12s'],
    [185_000, '3m 05s'],
    [3_720_000, '1h 02m'],
    [Infinity, '?'],
  ])('%d ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text))

  it('paced: the acknowledged position, capped at the schedule; ETA until the last message is due', () => {
    const { clock, figures, monitor } = run()
    monitor.released(W, T)
    clock.now = W + 600_000 // 10 minutes at speed 10: the schedule stands at T + 100 min
    // Everything acknowledged; the next messages are at T + 2 h (not due yet).
    figures.record(0, { tasks: fig(500, 500, T + H) }, T + 2 * H, W + 599_000)
    figures.record(1, { fragments: fig(900, 900, T + H) }, T + 2 * H, W + 599_000)
    figures.endsAt(0, W + 3_600_000)
    figures.endsAt(1, W + 3_600_000)
    const s = monitor.status()
    expect([s.state, s.trace.acknowledged, s.trace.fraction, s.trace.etaSeconds]).toEqual([
      'running',
      '2022-10-06T23:40:00.000Z',
      0.167,
      3000,
    ])
    expect(progressLine(s, true)).toBe(
      '2022-10-06T23:40:00Z  16.7%  tasks 500/500 acked, fragments 900/900 acked  0 msg/s  late 0.0 ms  ETA 50m 00s',
    )
    monitor.close()
  })

  it('a frozen broker: the position and ETA stop, the line says stalled, since the last acknowledgement', () => {
    const { clock, figures, monitor } = run({ speed: 2000 })
    monitor.released(W, T)
    figures.endsAt(1, W + 18_000)
    // 39,206 handed to the producer, 39,097 acknowledged; the first unacknowledged at T + 1 h.
    figures.record(0, { tasks: fig(100, 100, T + H / 2) }, Infinity, W + 1_000)
    figures.record(1, { fragments: fig(39_206, 39_097, T + H) }, T + H, W + 2_000)
    figures.due(1, W + 1_990)
    clock.now = W + 2_000 + 4_999
    expect(monitor.status().state).toBe('running')
    clock.now = W + 2_000 + 12_000
    const s = monitor.status()
    expect(s.state).toBe('stalled')
    expect(s.stalled).toEqual({
      reason: 'no acknowledgement from 127.0.0.1:9092',
      since: new Date(W + 2_000).toISOString(),
      seconds: 12,
    })
    expect([s.trace.acknowledged, s.trace.etaSeconds, s.lateness.currentMs]).toEqual([
      '2022-10-06T23:00:00.000Z',
      null,
      12_010,
    ])
    expect(progressLine(s, true)).toBe(
      'stalled 12s: no acknowledgement from 127.0.0.1:9092  2022-10-06T23:00:00Z  10.0%  tasks 100/100 acked, fragments 39097/39206 acked  0 msg/s  late 12010.0 ms  ETA ?',
    )
    // Acknowledgements again: running, and the position moves on.
    figures.record(1, { fragments: fig(39_206, 39_206, T + H) }, T + 2 * H, W + 14_500)
    figures.due(1, Infinity)
    clock.now = W + 14_600
    expect(monitor.status().state).toBe('running')
    monitor.close()
  })

  it('max speed: the position of the first message not acknowledged, ETA from the elapsed time', () => {
    const { clock, figures, monitor } = run({ speed: Infinity, output: 'stdout', brokers: null })
    monitor.released(W, T)
    clock.now = W + 1_000
    figures.record(0, { tasks: fig(1000, 1000, T + 2 * H) }, T + 2 * H, W + 1_000)
    figures.record(1, { fragments: fig(3000, 3000, T + 3 * H) }, T + 3 * H, W + 1_000)
    const s = monitor.status()
    expect([s.trace.fraction, s.trace.etaSeconds, s.settings.speed]).toEqual([0.2, 4, 'max'])
    expect(progressLine(s, false)).toBe(
      '2022-10-07T00:00:00Z  20.0%  tasks 1000 sent, fragments 3000 sent  0 msg/s  late 0.0 ms  ETA 4s',
    )
    monitor.close()
  })

  it('before the release: starting; --start-at ahead: waiting', () => {
    const { clock, monitor } = run()
    expect(monitor.status().state).toBe('starting')
    monitor.released(W + 60_000, T)
    clock.now = W
    expect(monitor.status().state).toBe('waiting')
    expect(progressLine(monitor.status(), true)).toBe(
      'waiting for --start-at  waiting  0.0%  tasks 0/0 acked, fragments 0/0 acked  0 msg/s  late 0.0 ms  ETA ?',
    )
    monitor.close()
  })
})
