import type { Producer } from 'kafkajs'
import type { KafkaConfig } from '../../types.ts'
import type { OutputDefinition } from '../output.ts'
import { KAFKA_FLAGS, type KafkaArgs, resolveKafka } from './flags.ts'

/**
 * Kafka: each worker connects a producer of its own before the release and sends its streams'
 * topics, one send in flight (sink.ts); a message counts once the broker acknowledges it, which
 * `--checkpoint` records. The main thread prepares the topics while the workers load. kafkajs is
 * loaded only here, on first use: a dry-run's threads do without its few MB each.
 */
export const KAFKA = {
  name: 'kafka',
  title: 'Kafka',
  flag: 'brokers',
  choice: '--brokers HOST:PORT (or set KAFKA_BROKERS) to send to Kafka',
  flags: KAFKA_FLAGS,
  asked: (args, env) =>
    args.brokers !== undefined ? 'flag' : env.KAFKA_BROKERS !== undefined ? 'environment' : undefined,
  resolve: resolveKafka,
  // Any broker will do: only the flags are checked, nothing connects.
  checkUnused: (context) => void resolveKafka({ ...context, args: { ...context.args, brokers: 'localhost:9092' } }),
  acknowledges: true,
  oneStream: false,
  measuresLargest: true,
  async prepare(config, topics, log, largest) {
    const { prepareTopics } = await import('../../kafka/admin.ts')
    return (await prepareTopics(config, topics, log, largest))?.limits
  },
  stallReason: (config) => `no acknowledgement from ${config.brokers.join(',')}`,
  where: (config, topics) =>
    ` into ${topics.slice(0, -1).join(', ')} and ${topics.at(-1)} at ${config.brokers.join(',')}`,
  summary: (config) => ({ brokers: config.brokers }),
  identity: (config) => ({ '--brokers': config.brokers.join(','), '--record-time': config.recordTime }),
  async connect(config, { verbose, paced, counters }) {
    const client = await import('../../kafka/client.ts')
    const producer = await client.connectProducer(config, verbose, counters)
    if (paced) await client.warmUpEncoder() // only pacing needs the first batches fast
    return producer
  },
  async open(config, producer, { topics, speed, stopping, maxMessageBytes, onCounts }) {
    const [{ KafkaSink }, { causeOf }] = await Promise.all([import('./sink.ts'), import('../../kafka/client.ts')])
    const sink = new KafkaSink(producer, {
      topics,
      acks: config.acks,
      recordTime: config.recordTime,
      maxMessageBytes,
      dueHeader: speed !== Infinity,
      compression: config.compression,
      batchBytes: config.batchBytes,
    })
    sink.onCounts = onCounts
    return {
      sink,
      maxBatch: speed === Infinity ? 2_000 : 5_000,
      lingerMs: config.lingerMs,
      stopped: stopping,
      readerGone: () => false,
      failure: (error) => ({
        reason: 'broker-lost',
        message: `lost Kafka at ${config.brokers.join(',')}: ${causeOf(error)}`,
      }),
    }
  },
  disconnect: (producer) => producer.disconnect(),
} satisfies OutputDefinition<KafkaConfig, Producer, KafkaArgs>
