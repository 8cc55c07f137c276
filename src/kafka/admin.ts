import type { ConsolaInstance } from 'consola'
import { ConfigResourceTypes } from 'kafkajs'
import { ReplayError } from '../errors.ts'
import type { KafkaConfig } from '../types.ts'
import { causeOf, connectOrFail, createKafka, KafkaLog } from './client.ts'

/** The broker's per-batch size limit when the topic does not say (Kafka's default). */
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588

export interface TopicsReady {
  /** Smallest `max.message.bytes` of the topics: a record batch must stay under it. */
  maxMessageBytes: number
}

/**
 * Reaches the brokers (retrying up to the connect timeout), creates missing topics with the
 * configured partitions and replication factor, and leaves existing ones as they are.
 */
export async function prepareTopics(config: KafkaConfig, topics: string[], log: ConsolaInstance): Promise<TopicsReady> {
  const kafka = createKafka(config, new KafkaLog(log))
  const admin = kafka.admin()
  try {
    await connectOrFail(config, async () => {
      await admin.connect()
      await admin.listTopics()
    })
  } catch (error) {
    await admin.disconnect().catch(() => {})
    throw error
  }
  try {
    const existing = new Set(await admin.listTopics())
    const missing = topics.filter((t) => !existing.has(t))
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: config.partitions,
          replicationFactor: config.replicationFactor,
        })),
      })
      log.info(
        `created topics ${missing.join(', ')} ` +
          `(${config.partitions} partitions, replication factor ${config.replicationFactor})`,
      )
    }
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
    })
    let maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES
    for (const resource of described.resources) {
      for (const entry of resource.configEntries) {
        const value = Number(entry.configValue)
        if (entry.configName === 'max.message.bytes' && value > 0) maxMessageBytes = Math.min(maxMessageBytes, value)
      }
    }
    return { maxMessageBytes }
  } catch (error) {
    if (error instanceof ReplayError) throw error
    throw new ReplayError(
      'broker-unreachable',
      `cannot prepare topics ${topics.join(', ')} on ${config.brokers.join(',')}: ${causeOf(error)}`,
      { cause: error },
    )
  } finally {
    await admin.disconnect().catch(() => {})
  }
}
