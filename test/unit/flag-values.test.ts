import { describe, expect, it } from 'bun:test'
import { parseSpeed, parseTimeRef } from '../../src/core/flag-values.ts'
import { resolveTime, resolveWindow } from '../../src/core/window.ts'

describe('--speed', () => {
  it.each([
    ['10', 10],
    ['0.5', 0.5],
    ['1000', 1000],
    ['1e3', 1000],
    ['max', Infinity],
  ])('%s is %d', (text, speed) => expect(parseSpeed('--speed', text)).toBe(speed))
  it.each(['0', '-1', 'fast', '', 'Infinity', '1/2'])('rejects "%s"', (text) => {
    expect(() => parseSpeed('--speed', text)).toThrow(`--speed: expected a positive number or "max", got "${text}"`)
  })
  it('refuses a speed so slow nothing would ever be sent', () => {
    expect(() => parseSpeed('--speed', '1e-320')).toThrow(
      '--speed: 1e-320 is too slow (the least is 0.000001: a week of trace in 19,000 years)',
    )
    expect(parseSpeed('--speed', '0.000001')).toBe(0.000001)
  })
  it('names the value the way it was given', () => {
    expect(() => parseSpeed('OPENDT_REPLAY_SPEED', 'fast')).toThrow(
      'OPENDT_REPLAY_SPEED: expected a positive number or "max", got "fast"',
    )
  })
})

describe('--from / --to', () => {
  it.each([
    ['0', { offset: 0 }],
    ['90s', { offset: 90_000 }],
    ['30m', { offset: 1_800_000 }],
    ['2h', { offset: 7_200_000 }],
    ['1d', { offset: 86_400_000 }],
    ['1d12h', { offset: 129_600_000 }],
    ['1.5h', { offset: 5_400_000 }],
    ['250ms', { offset: 250 }],
    ['2022-10-08T00:00:00Z', { absolute: Date.UTC(2022, 9, 8) }],
    ['2022-10-08T00:00:00', { absolute: Date.UTC(2022, 9, 8) }],
    ['2022-10-08T02:00:00+02:00', { absolute: Date.UTC(2022, 9, 8) }],
    ['2022-10-08', { absolute: Date.UTC(2022, 9, 8) }],
    ['2022-10-08T00:00:00.5Z', { absolute: Date.UTC(2022, 9, 8) + 500 }],
  ])('%s', (text, ref) => expect(parseTimeRef('--from', text)).toEqual(ref))
  it.each(['yesterday', '10', '-2h', '-1s', '2x', '2022-10-08T25:00:00Z'])('rejects "%s"', (text) => {
    expect(() => parseTimeRef('--to', text)).toThrow(
      `--to: expected an offset like 90s, 30m, 2h, 1d or an ISO-8601 time, got "${text}"`,
    )
  })
  it.each([
    ['2022-02-30T00:00:00Z', '--from: 2022-02-30T00:00:00Z is not a date (2022-02 has no day 30)'],
    ['2023-02-29', '--from: 2023-02-29 is not a date (2023-02 has no day 29)'],
    ['2022-13-01T00:00:00Z', '--from: 2022-13-01T00:00:00Z is not a date (there is no month 13)'],
    ['300000000d', '--from: 300000000d is beyond the range of dates (8640000000000000 ms)'],
  ])('rejects %s, saying why', (text, message) => {
    expect(() => parseTimeRef('--from', text)).toThrow(message)
  })
  it('takes the last day of February in a leap year', () => {
    expect(parseTimeRef('--from', '2024-02-29')).toEqual({ absolute: Date.UTC(2024, 1, 29) })
  })

  it('offsets count from the trace start; absolute times stand alone', () => {
    expect(resolveTime({ offset: 1000 }, 5000, 0)).toBe(6000)
    expect(resolveTime({ absolute: 42 }, 5000, 0)).toBe(42)
    expect(resolveTime(undefined, 5000, -1)).toBe(-1)
    expect(resolveWindow(undefined, { offset: 10 }, 5000)).toEqual({ from: 5000, to: 5010 })
    expect(resolveWindow({ absolute: 7000 }, undefined, 5000)).toEqual({ from: 7000, to: Infinity })
  })
})
