import { beforeAll, describe, expect, it } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { shardOf } from '../../src/core/shard.ts'
import { requireBinary, requireSurf, run, temporaryFolders } from '../helpers.ts'
import { freshTopic, readTopicWithPartitions, sharedBroker } from './broker.ts'

const tempDir = temporaryFolders()

/**
 * Three `--shard K/3` processes against one broker, released together by `--start-at`, into
 * topics of three partitions: read back with Kafka's Java consumer, the topics hold exactly the
 * unsharded replay, each key's messages in order, and shard K's keys in partition K.
 */
const broker = sharedBroker()
let bin: string
let surf: string
beforeAll(() => {
  bin = requireBinary()
  surf = requireSurf()
})

describe('sharded replays on one clock', () => {
  it('three shards into three partitions: the unsharded replay, message for message; one start instant', async () => {
    const tasks = freshTopic('tasks')
    const fragments = freshTopic('fragments')
    const dir = tempDir('opendt-shards-')
    const window = ['--to', '1h', '--tasks-topic', tasks, '--fragments-topic', fragments]
    // Every process gets the same instant, a few seconds ahead: loading SURF takes about a second.
    const startAt = new Date(Date.now() + 6_000).toISOString()
    const runs = await Promise.all(
      [0, 1, 2].map((k) =>
        run([
          bin,
          'replay',
          surf,
          ...window,
          '--brokers',
          broker.bootstrap,
          '--partitions',
          '3',
          '--speed',
          '1000',
          '--shard',
          `${k}/3`,
          '--start-at',
          startAt,
          '--summary-json',
          join(dir, `shard-${k}.json`),
        ]),
      ),
    )
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0])
    const summaries = [0, 1, 2].map((k) => JSON.parse(readFileSync(join(dir, `shard-${k}.json`), 'utf8')))
    expect(summaries.map((s) => [s.startedAt, s.shard])).toEqual(
      [0, 1, 2].map((k) => [startAt, { index: k, count: 3, control: 'first' }]),
    )
    const dry = (await run([bin, 'replay', surf, ...window, '--dry-run', '--speed', 'max'])).stdout
      .trimEnd()
      .split('\n')
    for (const topic of [tasks, fragments]) {
      const { partitions, records } = await readTopicWithPartitions(broker.bootstrap, topic)
      expect(partitions).toBe(3)
      const expected = dry
        .filter((l) => l.startsWith(`{"topic":${JSON.stringify(topic)}`))
        .map((l) => [
          l.slice(l.indexOf(',"key":') + 7, l.indexOf(',"value":')),
          l.slice(l.indexOf(',"value":') + 9, -1),
        ])
      // Each key's messages in replay order (a key lives in one partition, in offset order).
      const inOrder = (list: string[][]) => {
        const byKey = new Map<string, string[]>()
        for (const [key, value] of list) byKey.set(key!, [...(byKey.get(key!) ?? []), value!])
        return byKey
      }
      const sorted = [...records].sort((a, b) => a.partition - b.partition || a.offset - b.offset)
      expect(inOrder(sorted.map((r) => [r.key, r.value]))).toEqual(inOrder(expected))
      expect(records.length).toBe(expected.length)
      // Shard K is partition K: the partitioner and --shard place a key alike.
      expect(records.filter((r) => shardOf(Buffer.from(r.key), 3) !== r.partition)).toEqual([])
    }
    // verify of the unsharded replay agrees: every message once, in order in each partition.
    const verified = await run([bin, 'verify', surf, ...window, '--brokers', broker.bootstrap, '--json'])
    expect(verified.code).toBe(0)
    expect(JSON.parse(verified.stdout).exact).toBe(true)
    // Each shard checks its own messages on the shared topics; the others' are counted apart.
    const total = summaries.map((s) => [s.topics.tasks.sent, s.topics.fragments.sent])
    const all = total.reduce(([t, f], [a, b]) => [t + a, f + b], [0, 0])
    for (const k of [0, 1, 2]) {
      const mine = await run([
        bin,
        'verify',
        surf,
        ...window,
        '--brokers',
        broker.bootstrap,
        '--shard',
        `${k}/3`,
        '--json',
      ])
      const report = JSON.parse(mine.stdout)
      expect([mine.code, report.exact]).toEqual([0, true])
      expect(
        report.topics.map((t: { read: number; expected: number; otherShards: number }) => [
          t.read,
          t.expected,
          t.otherShards,
        ]),
      ).toEqual([
        [all[0], total[k]![0], all[0]! - total[k]![0]!],
        [all[1], total[k]![1], all[1]! - total[k]![1]!],
      ])
      expect(mine.stderr).toContain(
        `--shard ${k}/3: checking this shard's messages; records of the other shards are counted apart, not checked`,
      )
    }
  }, 180_000)
})
