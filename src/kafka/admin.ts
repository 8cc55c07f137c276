import type { ConsolaInstance } from 'consola'
import { type Admin, ConfigResourceTypes } from 'kafkajs'
import { echo } from '../echo.ts'
import { badInput, ReplayError } from '../errors.ts'
import type { KafkaConfig } from '../types.ts'
import { causeOf, connectOrFail, createKafka, KafkaLog, notRetriable, withDeadline } from './client.ts'

/** The broker's per-batch size limit when the topic does not say (Kafka's default). */
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588

/** The largest message a run will send to a topic: what it is (`task 2133099`) and its size. */
export interface Largest {
  what: string
  bytes: number
}

/** Room a record batch of one message needs beyond its key and value (batch header, record varints). */
const BATCH_OVERHEAD = 128

/** max.message.bytes for a topic this run creates: Kafka's default, or 1 MiB steps above the largest message. */
export function limitFor(largest: Largest | undefined): number | undefined {
  if (!largest || largest.bytes + BATCH_OVERHEAD <= DEFAULT_MAX_MESSAGE_BYTES) return undefined
  const MiB = 1 << 20
  return Math.ceil((largest.bytes + BATCH_OVERHEAD + 65_536) / MiB) * MiB
}

/**
 * How a missing topic is created: its own settings (OpenDT's kafka.topics) where it has them, else
 * the run's partitions and replication factor; its configs, with max.message.bytes raised to take
 * the largest message when the settings say less or nothing.
 */
function madeAs(
  topic: string,
  config: KafkaConfig,
  largest: Largest | undefined,
): { topic: string; partitions: number; replicationFactor: number; configs: { name: string; value: string }[] } {
  const own = config.topicSettings?.get(topic)
  const configs = { ...own?.configs }
  const limit = limitFor(largest)
  const set = Number(configs['max.message.bytes'])
  if (limit !== undefined && !(set >= limit)) configs['max.message.bytes'] = String(limit)
  return {
    topic,
    partitions: own?.partitions ?? config.partitions,
    replicationFactor: own?.replicationFactor ?? config.replicationFactor,
    configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
  }
}

type Made = ReturnType<typeof madeAs>

/**
 * A topic's refusal as kafkajs throws it (in a KafkaJSAggregateError's `errors`), with Kafka's own
 * message, which patches/kafkajs/create-topics.ts keeps (stock kafkajs drops it).
 */
interface CreateTopicError {
  topic: string
  type: string
  message: string
  /** Kafka's error_message, when it gave one (CreateTopics v1 and later). */
  reason?: string
}

/** A topic as kafkajs's createTopics takes it. */
const asRequest = (m: Made) => ({
  topic: m.topic,
  numPartitions: m.partitions,
  replicationFactor: m.replicationFactor,
  configEntries: m.configs.length > 0 ? m.configs : undefined,
})

/**
 * Asks Kafka whether it would create each topic as made (CreateTopics with validateOnly, one topic
 * a request: a refusal in a batch comes back for every topic of it), before any is created. A
 * refusal is bad input naming where the refused setting came from (the config file's key, or
 * --partitions and --replication-factor) and Kafka's own reason.
 */
async function validateTopics(admin: Admin, made: Made[], config: KafkaConfig): Promise<void> {
  for (const m of made) {
    try {
      await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [asRequest(m)] })
    } catch (error) {
      const refusal = (error as { errors?: CreateTopicError[] }).errors?.find((e) => e.type !== 'TOPIC_ALREADY_EXISTS')
      if (!refusal && (error as { errors?: unknown[] }).errors?.length) continue // made meanwhile by another shard
      if (!refusal) throw error
      const reason = (refusal.reason ?? refusal.message).replace(/\.$/, '')
      throw badInput(
        `${refusedSetting(m, refusal, config)} is refused by Kafka: ${reason}; nothing was created or sent`,
      )
    }
  }
}

/** Which setting of a made topic Kafka refused, as the user gave it: the config file's key, or a flag. */
function refusedSetting(m: Made, refusal: CreateTopicError, config: KafkaConfig): string {
  const own = config.topicSettings?.get(m.topic)
  const at = own?.source ?? `topic ${m.topic}`
  const why = `${refusal.type} ${refusal.reason ?? ''}`
  if (refusal.type === 'INVALID_CONFIG') {
    const name = m.configs
      .map((c) => c.name)
      .filter((n) => why.includes(n))
      .sort((a, b) => b.length - a.length)[0]
    if (name !== undefined) {
      const value = m.configs.find((c) => c.name === name)!.value
      return own?.configs[name] === undefined
        ? `topic ${m.topic}'s ${name} ${value}`
        : `${at}.config.${name}: ${echo(value)}`
    }
    return `${at}.config`
  }
  if (/PARTITIONS|partition/.test(why) && !/REPLICATION|replica/.test(why)) {
    return own?.partitions === undefined
      ? `--partitions ${m.partitions} (topic ${m.topic})`
      : `${at}.partitions: ${m.partitions}`
  }
  if (/REPLICATION|replica/.test(why)) {
    return own?.replicationFactor === undefined
      ? `--replication-factor ${m.replicationFactor} (topic ${m.topic})`
      : `${at}.replication_factor: ${m.replicationFactor}`
  }
  // Kafka named no setting (3.5 answers 1e9 partitions with UNKNOWN_SERVER_ERROR): the topic, with
  // its partitions and replication factor as the user gave them.
  const partitions = own?.partitions === undefined ? `--partitions ${m.partitions}` : `partitions: ${m.partitions}`
  const replication =
    own?.replicationFactor === undefined
      ? `--replication-factor ${m.replicationFactor}`
      : `replication_factor: ${m.replicationFactor}`
  return `${at} (${partitions}, ${replication})`
}

export interface TopicsReady {
  /** Each topic's `max.message.bytes`: a record batch must stay under it. */
  limits: Map<string, number>
}

/** Each topic's max.message.bytes, as the broker reports it (Kafka's default when it says nothing). */
async function describeLimits(admin: Admin, topics: string[], timeoutMs: number): Promise<Map<string, number>> {
  const limits = new Map(topics.map((t) => [t, DEFAULT_MAX_MESSAGE_BYTES]))
  if (topics.length === 0) return limits
  // On a cluster, a topic just created may not be known yet to the broker asked ("This server
  // does not host this topic-partition", Kafka 3.9 on three nodes): asked again while Kafka calls
  // the error retriable, up to the connect timeout.
  const described = await withDeadline(
    timeoutMs,
    () =>
      admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ['max.message.bytes'],
        })),
      }),
    notRetriable,
  )
  for (const resource of described.resources) {
    for (const entry of resource.configEntries) {
      const value = Number(entry.configValue)
      if (entry.configName === 'max.message.bytes' && value > 0) limits.set(resource.resourceName, value)
    }
  }
  return limits
}

/** Waits until every partition of `topics` has a leader, asking the cluster again while it answers that it does not know them yet. */
async function awaitLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  await withDeadline(
    timeoutMs,
    async () => {
      const { topics: described } = await admin.fetchTopicMetadata({ topics })
      const leaderless = described.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0))
      if (leaderless.length > 0) {
        throw Object.assign(new Error(`no leader yet for ${leaderless.map((t) => t.name).join(', ')}`), {
          retriable: true,
        })
      }
    },
    notRetriable,
  )
}

/** Fails when a topic's limit cannot take the largest message the run will send it. */
function checkLimits(topics: string[], limits: Map<string, number>, largest: Map<string, Largest>): void {
  for (const topic of topics) {
    const limit = limits.get(topic)!
    const big = largest.get(topic)
    if (big && big.bytes + BATCH_OVERHEAD > limit) {
      throw new ReplayError(
        'broker-unreachable',
        `${topic}: ${big.what}'s message is ${big.bytes} bytes, over the topic's max.message.bytes ${limit} ` +
          `(with ${BATCH_OVERHEAD} bytes of batch overhead); raise it to at least ${big.bytes + BATCH_OVERHEAD}, ` +
          'or delete the topic so this run creates it; nothing was sent',
      )
    }
  }
}

/**
 * Reaches the brokers (retrying up to the connect timeout), then, once the workers have measured
 * their largest messages (`sizes`; undefined: the run is abandoned, nothing is created), creates
 * missing topics with the configured partitions and replication factor and a max.message.bytes
 * that fits, and leaves existing ones as they are, unless one cannot take a message: that fails
 * here, before anything is sent, naming the message, its size and the limit.
 */
export async function prepareTopics(
  config: KafkaConfig,
  topics: string[],
  log: ConsolaInstance,
  sizes: Promise<Map<string, Largest> | undefined> = Promise.resolve(new Map()),
): Promise<TopicsReady | undefined> {
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
    const largest = await sizes
    if (!largest) return undefined
    const existing = new Set(await admin.listTopics())
    const present = topics.filter((t) => existing.has(t))
    const missing = topics.filter((t) => !existing.has(t))
    // Existing topics are checked before any is created, so a run that cannot start leaves none behind.
    const limits = await describeLimits(admin, present, config.connectTimeoutMs)
    checkLimits(present, limits, largest)
    if (missing.length > 0) {
      const made = missing.map((topic) => madeAs(topic, config, largest.get(topic)))
      // Kafka's own answer names only an error code: say what is wrong before asking it.
      const brokers = (await admin.describeCluster()).brokers.length
      const over = made.find((m) => m.replicationFactor > brokers)
      if (over) {
        const given = config.topicSettings?.get(over.topic)?.replicationFactor
        throw badInput(
          `${given === undefined ? '--replication-factor' : `topic ${over.topic}'s replication factor`} ` +
            `${over.replicationFactor}: the cluster at ${config.brokers.join(',')} has ` +
            `${brokers} broker${brokers === 1 ? '' : 's'}, and a topic cannot have more replicas than brokers`,
        )
      }
      await validateTopics(admin, made, config)
      // Shards started together race to create the same topics: kafkajs answers false when
      // another process created them all first, and they are then used as they are.
      // kafkajs's waitForLeaders asks one broker and gives up when it does not know the topic yet
      // (Kafka 3.9 on three nodes: "This server does not host this topic-partition"): the
      // leaders are waited for below instead, asking again until the connect timeout.
      const created = await admin.createTopics({ waitForLeaders: false, topics: made.map(asRequest) })
      await awaitLeaders(admin, missing, config.connectTimeoutMs)
      if (created && config.topicSettings) {
        for (const m of made) {
          const configs = m.configs.map((c) => `${c.name}=${c.value}`).join(', ')
          log.info(
            `created topic ${m.topic} (${m.partitions} partition${m.partitions === 1 ? '' : 's'}, ` +
              `replication factor ${m.replicationFactor}${configs ? `; ${configs}` : ''})`,
          )
        }
      } else if (created) {
        const raised = missing.map((t) => limitFor(largest.get(t))).filter((l) => l !== undefined)
        log.info(
          `created topics ${missing.join(', ')} ` +
            `(${config.partitions} partitions, replication factor ${config.replicationFactor}` +
            `${raised.length > 0 ? `, max.message.bytes up to ${Math.max(...raised)}` : ''})`,
        )
      } else log.info(`topics ${missing.join(', ')} were created meanwhile by another process: used as they are`)
      for (const [topic, limit] of await describeLimits(admin, missing, config.connectTimeoutMs))
        limits.set(topic, limit)
      checkLimits(missing, limits, largest)
    }
    return { limits }
  } catch (error) {
    if (error instanceof ReplayError) throw error
    // kafkajs sums up failed creations as "Topic creation errors": each topic's own reason instead.
    const each = (error as { errors?: { topic?: string; message: string }[] }).errors
    const why = each?.length ? each.map((e) => `${e.topic}: ${e.message}`).join('; ') : causeOf(error)
    throw new ReplayError(
      'broker-unreachable',
      `cannot prepare topics ${topics.join(', ')} on ${config.brokers.join(',')}: ${why}`,
      { cause: error },
    )
  } finally {
    await admin.disconnect().catch(() => {})
  }
}
