import { describe, expect, it } from 'bun:test'
import { ByteWriter } from '../src/bytes.ts'
import { encodeFragmentValue, encodeKey, encodeLine, encodeTaskValue, formatDouble, formatId, formatTime } from '../src/encode.ts'

const T = Date.UTC(2022, 9, 6, 22, 0, 0)

describe('formatTime', () => {
  it.each([
    [T, '2022-10-06T22:00:00Z'],
    [T + 30_000, '2022-10-06T22:00:30Z'],
    [T + 1, '2022-10-06T22:00:00.001Z'],
    [T + 250, '2022-10-06T22:00:00.250Z'],
    [T + 7 * 86_400_000, '2022-10-13T22:00:00Z'],
    [0, '1970-01-01T00:00:00Z'],
    [-1, '1969-12-31T23:59:59.999Z'],
    [Date.UTC(2024, 1, 29, 23, 59, 59, 999), '2024-02-29T23:59:59.999Z'],
  ])('%d is %s', (ms, text) => {
    expect(formatTime(ms)).toBe(text)
  })
  it('agrees with toISOString over a sweep of times', () => {
    for (let ms = T - 3 * 86_400_000; ms < T + 3 * 86_400_000; ms += 7_777_777) {
      expect(formatTime(ms)).toBe(new Date(ms).toISOString().replace('.000Z', 'Z'))
    }
  })
})

describe('numbers and ids', () => {
  it.each([
    [33600, '33600.0'],
    [1953, '1953.0'],
    [2100.5, '2100.5'],
    [0, '0.0'],
    [0.1, '0.1'],
    [1e21, '1e+21'],
  ])('double %d is written %s', (x, text) => {
    expect(formatDouble(x)).toBe(text)
  })
  it('keeps the id type: strings stay strings, integers become numbers', () => {
    expect(formatId('2133099')).toBe('"2133099"')
    expect(formatId(42)).toBe('42')
    expect(formatId(9007199254740993n)).toBe('9007199254740993')
    expect(formatId('a"b')).toBe('"a\\"b"')
  })
})

describe('messages', () => {
  it('writes the seed examples exactly', () => {
    const task = encodeLine('tasks', encodeKey('"2133099"'), encodeTaskValue(T, 27_935_000, 16, 33600, 100_000))
    expect(task).toBe(
      '{"topic":"tasks","key":{"id":"2133099"},"value":{"submission_time":"2022-10-06T22:00:00Z","duration":27935000,"cpu_count":16,"cpu_capacity":33600.0,"mem_capacity":100000}}',
    )
    const fragment = encodeLine('fragments', encodeKey('"2132819"'), encodeFragmentValue(T + 30_000, 30_000, 1953))
    expect(fragment).toBe(
      '{"topic":"fragments","key":{"id":"2132819"},"value":{"submission_time":"2022-10-06T22:00:30Z","duration":30000,"cpu_usage":1953.0}}',
    )
  })

  it('the byte writer writes what the string encoders write', () => {
    const w = new ByteWriter(8) // small, so growth is exercised too
    const expected: string[] = []
    const values = [0, 1, 9, 10, 99, 100, 30_000, 27_935_000, 2 ** 40, Number.MAX_SAFE_INTEGER, -5, 1.5, 2100.25, 1e21, 1e-7]
    for (const v of values) {
      w.integer(v)
      expected.push(String(v))
      w.ascii('|')
      w.double(v)
      expected.push(formatDouble(v))
      w.ascii('|')
    }
    for (let ms = T - 86_400_000; ms < T + 86_400_000; ms += 3_333_337) {
      w.time(ms)
      w.ascii('|')
      expected.push(formatTime(ms))
    }
    const joined = expected.flatMap((e) => [e, '|'])
    expect(new TextDecoder().decode(w.take())).toBe(joined.join(''))
  })
})
