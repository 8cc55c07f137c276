import { describe, expect, it } from 'bun:test'
import { formatDuration } from '../../src/core/text.ts'
import { progressLine } from '../../src/run/progress.ts'

const T = Date.UTC(2022, 9, 6, 22)
const H = 3_600_000

describe('progress lines', () => {
  it.each([
    [0, '0s'],
    [12_400, '12s'],
    [185_000, '3m 05s'],
    [3_720_000, '1h 02m'],
    [Infinity, '?'],
  ])('%d ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text))

  it('paced: trace time from the schedule, percent of the window, ETA from the trace time left', () => {
    const state = { sent: 500, acked: 480, eventTime: T + H, lateness: 0.25, from: T, end: T + 10 * H }
    // 10 minutes into a replay at speed 10: the schedule stands at T + 100 min.
    expect(progressLine('fragments', state, 600_000, 10, true)).toBe(
      'fragments 2022-10-06T23:40:00Z   16.7%  500 sent, 480 acked  1 msg/s  late 0.3 ms  ETA 50m 00s',
    )
  })

  it('max speed: the last message sent, ETA from the elapsed time', () => {
    const state = { sent: 1000, acked: 1000, eventTime: T + 2 * H, lateness: 0, from: T, end: T + 10 * H }
    expect(progressLine('tasks', state, 1000, Infinity, false)).toBe(
      'tasks     2022-10-07T00:00:00Z   20.0%  1000 sent  1000 msg/s  late 0.0 ms  ETA 4s',
    )
    expect(progressLine('tasks', { ...state, eventTime: Number.NaN, sent: 0 }, 10, Infinity, false)).toBe(
      'tasks     waiting    0.0%  0 sent  0 msg/s  late 0.0 ms  ETA ?',
    )
  })
})
