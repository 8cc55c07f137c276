import { beforeAll, describe, expect, it } from 'bun:test'
import { requireBinary, requireSurf, run } from '../helpers.ts'
import {
  consoleProduce,
  createTopics,
  dryRunMessages,
  freshTopic,
  readTopic,
  readTopicWithPartitions,
  sharedBroker,
} from './broker.ts'

/**
 * Compressed record batches, both ways, against a real broker: what the replay writes with each
 * codec is read back by Kafka's Java consumer and by librdkafka; and topics the broker compresses itself
 * (`compression.type`), filled by Kafka's console producer, are read by verify.
 */
const broker = sharedBroker()
let bin: string
let expected: Record<'tasks' | 'fragments', [string, string][]>
let surf: string[]
let surfExpected: Record<'tasks' | 'fragments', [string, string][]>

beforeAll(async () => {
  bin = requireBinary()
  expected = dryRunMessages((await run([bin, 'replay', '--dry-run', '--speed', 'max'])).stdout)
  // SURF's first six hours: batches of about 1 MB, many 64 KiB LZ4 blocks each.
  surf = [requireSurf(), '--to', '6h']
  surfExpected = dryRunMessages((await run([bin, 'replay', ...surf, '--dry-run', '--speed', 'max'])).stdout)
})

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const

describe('compression', () => {
  it.each(CODECS)(
    "--compression %s, SURF's first six hours: Kafka's Java consumer and librdkafka read every message; so does verify",
    async (codec) => {
      const topics = { tasks: freshTopic('tasks'), fragments: freshTopic('fragments') }
      const flags = [...surf, '--tasks-topic', topics.tasks, '--fragments-topic', topics.fragments]
      const args = ['--brokers', broker.bootstrap, '--speed', 'max', '--compression', codec]
      expect((await run([bin, 'replay', ...flags, ...args])).code).toBe(0)
      for (const role of ['tasks', 'fragments'] as const) {
        const records = await readTopic(broker.bootstrap, topics[role])
        expect(records.map((r) => [r.key, r.value])).toEqual(surfExpected[role])
        // librdkafka decodes the same batches (its own gzip, snappy, lz4 and zstd) to the same records.
        expect((await readTopicWithPartitions(broker.bootstrap, topics[role], 'librdkafka')).records).toEqual(records)
      }
      const verified = await run([bin, 'verify', ...flags, '--brokers', broker.bootstrap])
      expect([verified.code, verified.stdout.trimEnd().split('\n').at(-1)]).toEqual([
        0,
        'verify: exact: 2 topics hold the 84664 messages of the replay, once each, in order',
      ])
    },
    120_000,
  )

  it.each(CODECS)(
    'topics the broker compresses with %s, written by the console producer: verify reads them',
    async (codec) => {
      const topics = { tasks: freshTopic('tasks'), fragments: freshTopic('fragments') }
      await createTopics(broker.bootstrap, [topics.tasks, topics.fragments], 1, { 'compression.type': codec })
      for (const role of ['tasks', 'fragments'] as const)
        await consoleProduce(broker.bootstrap, topics[role], expected[role])
      const verified = await run([
        bin,
        'verify',
        '--brokers',
        broker.bootstrap,
        '--tasks-topic',
        topics.tasks,
        '--fragments-topic',
        topics.fragments,
      ])
      expect([verified.code, verified.stdout.trimEnd().split('\n').at(-1)]).toEqual([
        0,
        'verify: exact: 2 topics hold the 16 messages of the replay, once each, in order',
      ])
    },
    60_000,
  )
})
