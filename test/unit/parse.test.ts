import { describe, expect, it } from 'bun:test'
import { parseSpeed, parseTimeRef } from '../../src/cli/parse.ts'
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
  it.each(['yesterday', '10', '-2h', '2x', '2022-13-45T00:00:00Z'])('rejects "%s"', (text) => {
    expect(() => parseTimeRef('--to', text)).toThrow(
      `--to: expected an offset like 90s, 30m, 2h, 1d or an ISO-8601 time, got "${text}"`,
    )
  })
  it('offsets count from the trace start; absolute times stand alone', () => {
    expect(resolveTime({ offset: 1000 }, 5000, 0)).toBe(6000)
    expect(resolveTime({ absolute: 42 }, 5000, 0)).toBe(42)
    expect(resolveTime(undefined, 5000, -1)).toBe(-1)
    expect(resolveWindow(undefined, { offset: 10 }, 5000)).toEqual({ from: 5000, to: 5010 })
    expect(resolveWindow({ absolute: 7000 }, undefined, 5000)).toEqual({ from: 7000, to: Infinity })
  })
})
