import { expect, it } from 'bun:test'
import { clip, ECHO_LIMIT, echo } from '../../src/echo.ts'

/** What an error line echoes of a value: at most about 100 characters, with the length when cut. */
it.each([
  ['short', '"short"'],
  ['a"b\n', '"a\\"b\\n"'],
  ['x'.repeat(100), `"${'x'.repeat(100)}"`],
  ['x'.repeat(10_485_760), `"${'x'.repeat(100)}…" (10485760 characters)`],
  [`${'x'.repeat(99)}😀tail`, `"${'x'.repeat(99)}…" (105 characters)`],
  [1.5, '1.5'],
  [12n, '12'],
  [true, 'true'],
  [null, 'null'],
  [undefined, 'nothing'],
  [[1, 'a', { b: 2 }], '[1,"a",{"b":2}]'],
  [{ a: 'y'.repeat(300) }, `{"a":"${'y'.repeat(94)}…`],
  [Array(1_000_000).fill(7), `[${'7,'.repeat(49)}7…`],
] as [unknown, string][])('echo(%#)', (value, shown) => {
  expect(echo(value)).toBe(shown)
})

it('clip: a string as written, cut the same way', () => {
  expect([clip('abc'), clip('z'.repeat(ECHO_LIMIT + 1))]).toEqual(['abc', `${'z'.repeat(100)}… (101 characters)`])
})
