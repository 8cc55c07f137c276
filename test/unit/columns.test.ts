import { describe, expect, it } from 'bun:test'
import { beyondSentinel, type ColumnContext, fillNumbers, idKey } from '../../src/trace/columns.ts'
import type { ResolvedColumn } from '../../src/trace/schema.ts'

const column = (kind: ResolvedColumn['kind'], as: ResolvedColumn['reading']['as'] = 'integer'): ColumnContext => ({
  path: 'f.parquet',
  column: { name: 'c', kind, reading: { as } } as ResolvedColumn,
})

describe('column values, checked as they are decoded', () => {
  it.each([
    [[1, null], 'f.parquet: column "c" row 1: null'],
    [
      [1, undefined],
      'f.parquet: column "c" row 1: no value decoded (an index beyond the page\'s dictionary: a corrupt page?)',
    ],
    [[1, 'x'], 'f.parquet: column "c" row 1: value x is not a number'],
  ])('%j', (chunk, message) => {
    expect(() => fillNumbers(column('int'), chunk, 0, new Float64Array(2))).toThrow(message)
  })

  it('an INT64 beyond 2^53 is named by its exact value, through its sentinel', () => {
    const ctx = { ...column('int'), beyond: [2n ** 63n - 1n] }
    expect(() => fillNumbers(ctx, [5, beyondSentinel(0)], 0, new Float64Array(2))).toThrow(
      'f.parquet: column "c" row 1: value 9223372036854775807 is beyond 2^53 - 1 (9007199254740991), the largest exact integer',
    )
  })

  it('ids: text stays text, integers become bigints, bytes must be UTF-8', () => {
    const ids = column('id', 'string')
    expect([
      idKey(ids, 'a', 0),
      idKey(ids, 42, 0),
      idKey(ids, 42n, 0),
      idKey(ids, new Uint8Array([0x68, 0x69]), 0),
    ]).toEqual(['a', 42n, 42n, 'hi'])
    expect(() => idKey(ids, new Uint8Array([0xc3]), 7)).toThrow(
      'f.parquet: column "c" row 7: id is not valid UTF-8 (bytes c3)',
    )
    const unsigned = { ...column('id'), column: { ...column('id').column, unsigned: true } }
    expect(idKey(unsigned, -1n, 0)).toBe(2n ** 64n - 1n)
  })
})
