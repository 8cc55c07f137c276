import { describe, expect, it } from 'bun:test'
import { ByteWriter } from '../../src/core/bytes.ts'
import { LINE_END, LINE_VALUE, lineStart } from '../../src/core/line.ts'
import { formatDouble, formatTime } from '../../src/core/text.ts'
import { keyBytes, writeFragmentValue, writeTaskValue } from '../../src/formats/tasks-fragments/wire.ts'
import { formatId } from '../../src/trace/columns.ts'
import { fragmentValue, isoTime, jsonDouble, keyText, line, taskValue, written } from '../oracle.ts'

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
  it('agrees with the oracle over a sweep of times', () => {
    for (let ms = T - 3 * 86_400_000; ms < T + 3 * 86_400_000; ms += 7_777_777) expect(formatTime(ms)).toBe(isoTime(ms))
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

/** A dry-run line as the stdout sink lays it out, from the wire module's pieces. */
function wireLine(topic: string, idJson: string, value: (w: ByteWriter) => void): string {
  const w = new ByteWriter(8)
  w.bytes(lineStart(topic))
  w.bytes(keyBytes(idJson))
  w.bytes(LINE_VALUE)
  value(w)
  w.bytes(LINE_END)
  return written(w)
}

/** One task's columns, as trace/model.ts holds them. */
const task = (submit: number, duration: number, cpuCount: number, cpuCapacity: number, memCapacity: number) => ({
  submit: Float64Array.of(submit),
  duration: Float64Array.of(duration),
  cpuCount: Float64Array.of(cpuCount),
  cpuCapacity: Float64Array.of(cpuCapacity),
  memCapacity: Float64Array.of(memCapacity),
})

describe('messages', () => {
  it('writes the seed examples exactly', () => {
    expect(wireLine('tasks', '"2133099"', (w) => writeTaskValue(w, task(T, 27_935_000, 16, 33600, 100_000), 0))).toBe(
      '{"topic":"tasks","key":{"id":"2133099"},"value":{"submission_time":"2022-10-06T22:00:00Z","duration":27935000,"cpu_count":16,"cpu_capacity":33600.0,"mem_capacity":100000}}\n',
    )
    expect(wireLine('fragments', '"2132819"', (w) => writeFragmentValue(w, T + 30_000, 30_000, 1953))).toBe(
      '{"topic":"fragments","key":{"id":"2132819"},"value":{"submission_time":"2022-10-06T22:00:30Z","duration":30000,"cpu_usage":1953.0}}\n',
    )
  })

  it('agrees with the oracle across times, ids and values', () => {
    for (let ms = T - 86_400_000; ms < T + 86_400_000; ms += 3_333_337) {
      const id = ms % 2 === 0 ? formatId(String(ms)) : formatId(ms)
      const usage = (ms % 10_000) / 7
      expect(wireLine('fragments', id, (w) => writeFragmentValue(w, ms, ms % 60_000, usage))).toBe(
        line('fragments', keyText(id), fragmentValue(ms, ms % 60_000, usage)) + '\n',
      )
      expect(wireLine('tasks', id, (w) => writeTaskValue(w, task(ms, 5, 16, usage, 64), 0))).toBe(
        line('tasks', keyText(id), taskValue(ms, 5, 16, usage, 64)) + '\n',
      )
    }
  })

  it('the byte writer writes what the oracle writes', () => {
    const w = new ByteWriter(8) // small, so growth is exercised too
    const expected: string[] = []
    const values = [
      0,
      1,
      9,
      10,
      99,
      100,
      30_000,
      27_935_000,
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((d) => [10 ** d - 1, 10 ** d, 10 ** d + 7]),
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 + 1,
      2 ** 40,
      Number.MAX_SAFE_INTEGER,
      -5,
      1.5,
      2100.25,
      1e21,
      1e-7,
    ]
    for (const v of values) {
      w.integer(v)
      expected.push(String(v))
      w.ascii('|')
      w.double(v)
      expected.push(jsonDouble(v))
      w.ascii('|')
    }
    // Each time twice (the second from the writer's copy of the last one), then the next.
    for (let ms = T - 86_400_000; ms < T + 86_400_000; ms += 3_333_337) {
      for (const at of [ms, ms, ms + 1]) {
        w.time(at)
        w.ascii('|')
        expected.push(isoTime(at))
      }
    }
    expect(written(w)).toBe(expected.flatMap((e) => [e, '|']).join(''))
  })
})
