import { describe, expect, it } from 'bun:test'
import { shardOf } from '../../src/core/shard.ts'
import { dcMock } from '../../src/formats/dc-mock/index.ts'
import { dueOf } from '../../src/verify/run.ts'

/** dc-mock's control streams' keys (heartbeats, topology). */
const DC_MOCK_CONTROL = dcMock.controlKeys!

import { TopicCheck } from '../../src/verify/check.ts'
import { ExpectedTopic, hashRecord, type RecordHash } from '../../src/verify/expected.ts'
import { type Owner, shardOwner } from '../../src/verify/shard.ts'

/** A topic expecting these [key, value] messages, in replay order (times 0, 1000, ...). */
function expecting(messages: [string | null, string][]): ExpectedTopic {
  const topic = new ExpectedTopic('t')
  const hash: RecordHash = { hi: 0, lo: 0, key: 0, wideKey: 0 }
  messages.forEach(([key, value], i) => {
    topic.add(i * 1000, hashRecord(key === null ? null : Buffer.from(key), Buffer.from(value), hash))
  })
  topic.seal()
  return topic
}

/** Feeds records [partition, key, value] in this order (offsets per partition from 0). */
function check(
  expected: ExpectedTopic,
  records: [number, string | null, string][],
  owner?: (key: Buffer | null) => Owner,
) {
  const c = new TopicCheck(expected, 5, undefined, undefined, owner)
  const offsets = new Map<number, number>()
  for (const [partition, key, value] of records) {
    const offset = offsets.get(partition) ?? 0
    offsets.set(partition, offset + 1)
    c.add({
      partition,
      offset: String(offset),
      key: key === null ? null : Buffer.from(key),
      value: Buffer.from(value),
      arrival: 0,
    })
  }
  return c.finish()
}

describe('verify: records against the replay', () => {
  it('keyless records spread over partitions (dc-mock power) have no order per key to break', () => {
    const e = expecting([
      [null, 'p0'],
      [null, 'p1'],
      [null, 'p2'],
      [null, 'p3'],
    ])
    // Round-robin over two partitions, read one partition after the other.
    const report = check(e, [
      [0, null, 'p0'],
      [0, null, 'p2'],
      [1, null, 'p1'],
      [1, null, 'p3'],
    ])
    expect([report.exact, report.outOfOrder]).toEqual([true, { partition: 0, key: 0 }])
  })

  it('a keyed pair swapped in its partition is out of order there and for its key', () => {
    const e = expecting([
      ['k', 'a'],
      ['k', 'b'],
      ['j', 'c'],
    ])
    const report = check(e, [
      [0, 'k', 'b'],
      [0, 'k', 'a'],
      [0, 'j', 'c'],
    ])
    expect([report.exact, report.outOfOrder, report.samples.outOfOrder.length]).toEqual([
      false,
      { partition: 1, key: 1 },
      1,
    ])
  })

  it('two changed values of one key: both counted and both shown as changed, each with its own message', () => {
    const e = expecting([
      ['k', 'a'],
      ['k', 'b'],
    ])
    const report = check(e, [
      [0, 'k', 'A'],
      [0, 'k', 'B'],
    ])
    expect([report.changed, report.foreign, report.missing]).toEqual([2, 0, 0])
    expect(report.samples.changed.map((d) => [d.offset, d.value, d.index])).toEqual([
      ['0', 'A', 0],
      ['1', 'B', 1],
    ])
    expect([report.samples.foreign, report.samples.missing]).toEqual([[], []])
  })
})

describe('verify --shard: records of the other shards on shared topics', () => {
  // Task ids whose keys fall in shard 0 and shard 1 of 2 (dc-mock keys a task by its id's text).
  const ids = Array.from({ length: 40 }, (_, i) => String(2_133_000 + i))
  const [a, b] = [0, 1].map((k) => ids.find((id) => shardOf(Buffer.from(id), 2) === k)!) as [string, string]

  it('tasks of another shard are counted apart, not as "not in the trace"', () => {
    const owner = shardOwner({ index: 0, count: 2, control: 'first' }, DC_MOCK_CONTROL)
    const report = check(
      expecting([[a, 'task a']]),
      [
        [0, a, 'task a'],
        [1, b, 'task b'],
      ],
      owner,
    )
    expect([report.exact, report.read, report.otherShards, report.foreign]).toEqual([true, 2, 1, 0])
  })

  it("power and heartbeats are shard 0's; under --shard-control all every shard's heartbeat copies are the others'", () => {
    const first = shardOwner({ index: 1, count: 2, control: 'first' }, DC_MOCK_CONTROL)
    expect([null, 'heartbeat', 'datacenter', b, a].map((k) => first(k === null ? null : Buffer.from(k)))).toEqual([
      'other',
      'other',
      'other',
      'ours',
      'other',
    ])
    const all = shardOwner({ index: 1, count: 2, control: 'all' }, DC_MOCK_CONTROL)
    const report = check(
      expecting([
        ['heartbeat', 'hb 1'],
        [b, 'task b'],
      ]),
      [
        [0, 'heartbeat', 'hb 1'],
        [0, 'heartbeat', 'hb 1'],
        [1, b, 'task b'],
        [1, null, 'power'],
      ],
      all,
    )
    expect([report.exact, report.duplicated, report.otherShards]).toEqual([true, 0, 2])
  })

  it('the seed\'s format: a task\'s key is {"id":...}, as replay --shard splits it', () => {
    const owner = shardOwner({ index: 0, count: 2, control: 'first' }, [])
    const key = (id: string) => Buffer.from(`{"id":"${id}"}`)
    const mine = ids.filter((id) => owner(key(id)) === 'ours')
    expect(mine).toEqual(ids.filter((id) => shardOf(key(id), 2) === 0))
    expect(mine.length).toBeGreaterThan(0)
    expect(mine.length).toBeLessThan(ids.length)
  })
})

describe('the opendt-due header', () => {
  it.each([
    ['1764169200005.125', 1764169200005.125],
    ['1764169200005', 1764169200005],
    ['', undefined],
    [' 12 ', undefined],
    ['0x10', undefined],
    ['1e3', undefined],
    ['-5', undefined],
  ])('%j reads as %p', (text, due) => {
    expect(dueOf({ 'opendt-due': Buffer.from(text) })).toBe(due)
  })
})
