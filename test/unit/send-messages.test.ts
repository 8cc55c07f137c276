import { afterAll, describe, expect, it } from 'bun:test'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { NODE_MODULES, stockCopy } from '../../patches/stock.ts'
import { FIXTURES, run } from '../helpers.ts'

/**
 * kafkajs's sendMessages, stock and patched (patches/kafkajs/send-messages.ts), driven by a
 * cluster of fake brokers whose leaders move as a test says: what each broker was asked to write is
 * what a real cluster would hold. The patched one is the module this test process loads from
 * node_modules (bunfig.toml preloads the patches), so these tests fail if the process gets the stock
 * one; the stock one comes from a copy of kafkajs outside node_modules. The Kafka tests
 * (test/kafka/cluster.test.ts) kill real leaders.
 */
const FILE = 'src/producer/sendMessages.js'
type SendMessages = (deps: unknown) => (args: unknown) => Promise<{ topicName: string; partition: number }[]>
const stockKafkajs = stockCopy('kafkajs')
afterAll(() => stockKafkajs.remove())
const stock = stockKafkajs.require(FILE) as SendMessages
const patched = createRequire(import.meta.url)(join(NODE_MODULES, 'kafkajs', FILE)) as SendMessages

class ConnectionError extends Error {
  override name = 'KafkaJSConnectionError'
  retriable = true
}

interface Written {
  node: number
  partition: number
  values: string[]
  firstSequence: number
}

/**
 * Three brokers; `leaders` maps partition to node. A broker listed in `failOnce` refuses its first
 * request (connection refused, as a killed leader does), and the metadata refresh that follows
 * applies `after` (the new leaders). The refusal comes after the other leaders have answered (a
 * dead broker's connection times out), or before them with `failFirst`.
 */
function cluster(options: { leaders: number[]; failOnce: number[]; after?: number[]; failFirst?: boolean }) {
  let leaders = options.leaders
  const failing = new Set(options.failOnce)
  const written: Written[] = []
  const sequences = new Map<number, number>()
  const others = new Set(options.leaders.filter((n) => !failing.has(n)))
  let othersAnswered = () => {}
  const answeredFirst = new Promise<void>((resolve) => {
    othersAnswered = resolve
  })
  if (others.size === 0 || options.failFirst) othersAnswered()
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({
      topicData,
    }: {
      topicData: {
        topic: string
        partitions: { partition: number; firstSequence: number; messages: { value: string }[] }[]
      }[]
    }) {
      if (failing.delete(nodeId)) {
        await answeredFirst
        throw new ConnectionError(`connect ECONNREFUSED node ${nodeId}`)
      }
      await null
      others.delete(nodeId)
      if (others.size === 0) othersAnswered()
      const topics = topicData.map(({ topic, partitions }) => {
        for (const p of partitions) {
          written.push({
            node: nodeId,
            partition: p.partition,
            values: p.messages.map((m) => m.value),
            firstSequence: p.firstSequence,
          })
        }
        return {
          topicName: topic,
          partitions: partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })),
        }
      })
      return { topics, throttleTime: 0 }
    },
  })
  const brokers = new Map([1, 2, 3].map((n) => [n, broker(n)]))
  const deps = {
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    eosManager: {
      isTransactional: () => false,
      getSequence: (_: string, p: number) => sequences.get(p) ?? 0,
      updateSequence: (_: string, p: number, n: number) => sequences.set(p, (sequences.get(p) ?? 0) + n),
      acquireBrokerLock: async () => {},
      releaseBrokerLock: async () => {},
      getProducerId: () => 7,
      getProducerEpoch: () => 0,
    },
    retrier: async (fn: (bail: (e: Error) => never, retry: number, time: number) => Promise<unknown>) => {
      for (let retry = 0; ; retry++) {
        try {
          return await fn(
            (e) => {
              throw e
            },
            retry,
            0,
          )
        } catch (error) {
          if (retry === 5) throw error
        }
      }
    },
    cluster: {
      targetTopics: new Set(['fragments']),
      isConnected: () => true,
      connect: async () => {},
      addMultipleTargetTopics: async () => {},
      removeBroker: () => {},
      refreshMetadataIfNecessary: async () => {},
      refreshMetadata: async () => {
        leaders = options.after ?? leaders
      },
      findTopicPartitionMetadata: () => leaders.map((leader, partitionId) => ({ partitionId, leader })),
      findLeaderForPartitions: (_: string, partitions: string[]) => {
        const result: Record<number, number[]> = {}
        // As kafkajs's: a partition missing from the metadata is left out.
        for (const p of partitions) {
          const leader = leaders[Number(p)]
          if (leader !== undefined) result[leader] = [...(result[leader] ?? []), Number(p)]
        }
        return result
      },
      findBroker: async ({ nodeId }: { nodeId: string }) => brokers.get(Number(nodeId)),
    },
  }
  return { deps, written, sequences }
}

const messages = (partitions: number, each: number) =>
  Array.from({ length: partitions * each }, (_, i) => ({ partition: i % partitions, value: `m${i}` }))

/** Per partition, the values the brokers were asked to write, in order. */
const byPartition = (written: Written[]) => {
  const out: Record<number, string[]> = {}
  for (const w of written) {
    out[w.partition] = [...(out[w.partition] ?? []), ...w.values]
  }
  return out
}

describe("kafkajs's sendMessages when a partition's leader moves to a broker that already answered", () => {
  // Partitions 0 and 1 led by nodes 1 and 2; node 1 dies, and partition 0 moves to node 2.
  const scenario = () => cluster({ leaders: [1, 2, 3], failOnce: [1], after: [2, 2, 3] })
  const send = (impl: SendMessages, deps: unknown) =>
    impl(deps)({ acks: -1, timeout: 30_000, topicMessages: [{ topic: 'fragments', messages: messages(3, 4) }] })

  it('stock: resolves without ever sending partition 0 again (the lost acknowledgement)', async () => {
    const { deps, written } = scenario()
    const answer = await send(stock, deps)
    expect(byPartition(written)).toEqual({ 1: ['m1', 'm4', 'm7', 'm10'], 2: ['m2', 'm5', 'm8', 'm11'] })
    expect(answer.map((a) => a.partition).sort()).toEqual([1, 2])
  })

  it('patched: partition 0 goes to its new leader, once, with the sequence it first had', async () => {
    const { deps, written, sequences } = scenario()
    const answer = await send(patched, deps)
    expect(byPartition(written)).toEqual({
      0: ['m0', 'm3', 'm6', 'm9'],
      1: ['m1', 'm4', 'm7', 'm10'],
      2: ['m2', 'm5', 'm8', 'm11'],
    })
    expect(written.filter((w) => w.partition === 0)).toEqual([
      { node: 2, partition: 0, values: ['m0', 'm3', 'm6', 'm9'], firstSequence: 0 },
    ])
    expect([...sequences]).toEqual([
      [0, 4],
      [1, 4],
      [2, 4],
    ])
    expect(answer.map((a) => a.partition).sort()).toEqual([0, 1, 2])
  })

  it('patched: partitions already acknowledged are not sent twice when every leader fails once', async () => {
    const { deps, written } = cluster({ leaders: [1, 2, 3], failOnce: [1, 3], after: [2, 2, 2] })
    await send(patched, deps)
    expect(written.map((w) => [w.node, w.partition])).toEqual([
      [2, 1],
      [2, 0],
      [2, 2],
    ])
  })

  it('patched: when the dead broker fails before the others answer, nothing is sent twice', async () => {
    const { deps, written } = cluster({ leaders: [1, 2, 3], failOnce: [1], after: [2, 2, 3], failFirst: true })
    await send(patched, deps)
    expect(written.map((w) => [w.node, w.partition])).toEqual([
      [2, 1],
      [3, 2],
      [2, 0],
    ])
  })

  it('patched: keyless messages keep the partition they were first given across retries', async () => {
    const { deps, written } = cluster({ leaders: [1, 2], failOnce: [1], after: [2, 2] })
    let next = 0
    const roundRobin = { ...deps, partitioner: () => next++ % 2 }
    const keyless = Array.from({ length: 6 }, (_, i) => ({ value: `k${i}` }))
    await patched(roundRobin)({ acks: -1, timeout: 30_000, topicMessages: [{ topic: 'fragments', messages: keyless }] })
    expect(byPartition(written)).toEqual({ 0: ['k0', 'k2', 'k4'], 1: ['k1', 'k3', 'k5'] })
  })

  it('a partition missing from the metadata: stock resolves without it, patched retries and fails', async () => {
    const before = cluster({ leaders: [1], failOnce: [] })
    await send(stock, before.deps)
    expect(Object.keys(byPartition(before.written))).toEqual(['0'])
    const after = cluster({ leaders: [1], failOnce: [] })
    await expect(send(patched, after.deps)).rejects.toThrow('Producing to partitions without metadata')
    expect(after.written).toEqual([])
  })
})

describe('a source run loads the patched sendMessages in every thread that can send', () => {
  it('`bun src/main.ts replay`: the main thread and both Workers, which do the sending', async () => {
    // Brokers that refuse: each thread loads kafkajs, then fails to connect. The runtime plugin
    // reports each file it patches, with its thread (patches/plugin.ts).
    const source = await run(
      [
        process.execPath,
        'src/main.ts',
        'replay',
        join(FIXTURES, 'v2-int-ids'),
        '--brokers',
        '127.0.0.1:1',
        '--connect-timeout',
        '100ms',
      ],
      { env: { OPENDT_PATCHES_REPORT: '1' } },
    )
    const lines = source.stderr.split('\n')
    const threads = lines
      .flatMap((line) => /^patched kafkajs\/src\/producer\/sendMessages\.js in thread (\d+)$/.exec(line)?.[1] ?? [])
      .sort()
    expect([source.code, threads]).toEqual([3, ['0', '1', '2']])
    expect(lines.filter((line) => !line.startsWith('patched '))).toEqual([
      '[error] cannot reach Kafka at 127.0.0.1:1 within 0.1 s: Connection error: connect ECONNREFUSED 127.0.0.1:1',
      '',
    ])
  })
})
