import { randomUUID } from 'node:crypto'
import type { ConsolaInstance } from 'consola'
import type { Admin, Consumer, KafkaMessage } from 'kafkajs'
import { ReplayError } from '../errors.ts'
import type { KafkaConfig, ReadFrom } from '../types.ts'
import {
  type ClientCounters,
  causeOf,
  connectOrFail,
  createKafka,
  KafkaLog,
  notRetriable,
  sendRetry,
  withDeadline,
} from './client.ts'

/**
 * Reads topics with a kafkajs consumer, for `verify`: a group of its own that commits nothing
 * (a fresh id each time, so no other group's offsets move), each partition sought to where the
 * read starts. Either up to the end offsets the topics had when the read began, or (follow) from
 * those end offsets on, until told to stop.
 */

export interface PartitionRange {
  topic: string
  partition: number
  /** First offset read. */
  start: bigint
  /** The partition's end offset when the read began (follow: where it starts). */
  end: bigint
}

export interface ReadPlan {
  ranges: PartitionRange[]
  /** Topics the cluster does not have (nothing is read from them). */
  missing: string[]
}

/** The records of one partition's fetch, handed over together with their arrival instant. */
export type OnBatch = (topic: string, partition: number, messages: KafkaMessage[], arrival: number) => void

export class TopicReader {
  private readonly config: KafkaConfig
  private readonly log: KafkaLog
  private admin?: Admin
  private consumer?: Consumer

  /** `now`: wall milliseconds on the clock arrivals are stamped with (the replay's shared one, for lateness). */
  constructor(
    config: KafkaConfig,
    log: ConsolaInstance,
    private readonly now: () => number,
    /** A live view's counts of the consumer's retries and errors, from its connection on. */
    private readonly counters?: ClientCounters,
  ) {
    this.config = config
    this.log = new KafkaLog(log)
  }

  /**
   * Connects and finds, per partition of each topic, where the read starts and ends. Following,
   * a topic that does not exist yet is waited for (the replay creates it), and read from its start.
   */
  async plan(
    topics: string[],
    from: ReadFrom,
    follow = false,
    onWaiting: (topics: string[]) => void = () => {},
    stopped: () => boolean = () => false,
  ): Promise<ReadPlan> {
    const kafka = createKafka(this.config, this.log)
    const admin = kafka.admin()
    this.admin = admin
    await connectOrFail(this.config, () => admin.connect())
    let existing = new Set(await admin.listTopics())
    const late = new Set<string>()
    if (follow && topics.some((t) => !existing.has(t))) {
      onWaiting(topics.filter((t) => !existing.has(t)))
      for (const t of topics) if (!existing.has(t)) late.add(t)
      while (topics.some((t) => !existing.has(t)) && !stopped()) {
        await Bun.sleep(100)
        existing = new Set(await admin.listTopics())
      }
    }
    const ranges: PartitionRange[] = []
    for (const topic of topics) {
      if (!existing.has(topic)) continue
      // A topic just created may have partitions without a leader yet: asked again until the deadline.
      const offsets = await this.retried(topic, () => admin.fetchTopicOffsets(topic))
      const atTime =
        'time' in from ? await this.retried(topic, () => admin.fetchTopicOffsetsByTimestamp(topic, from.time)) : []
      for (const { partition, low, high } of offsets) {
        const lo = BigInt(low)
        const hi = BigInt(high)
        let start = lo
        if ('latest' in from && !late.has(topic)) start = hi
        else if ('offset' in from) start = clamp(BigInt(from.offset), lo, hi)
        else if ('time' in from) {
          const found = BigInt(atTime.find((o) => o.partition === partition)?.offset ?? '-1')
          start = found < 0n ? hi : found
        }
        ranges.push({ topic, partition, start, end: hi })
      }
    }
    return { ranges, missing: topics.filter((t) => !existing.has(t)) }
  }

  /**
   * Reads the planned ranges: up to their ends (`follow` false), or on until `stopped()` (polled
   * every 50 ms). `onReady` is called once the consumer has joined its group and sought every
   * partition: from then on, nothing sent to the topics is missed.
   */
  async read(
    plan: ReadPlan,
    follow: boolean,
    onBatch: OnBatch,
    stopped: () => boolean,
    onReady: () => void = () => {},
  ): Promise<void> {
    const ranges = new Map(plan.ranges.map((r) => [`${r.topic}/${r.partition}`, r]))
    const open = new Set(plan.ranges.filter((r) => follow || r.start < r.end).map((r) => `${r.topic}/${r.partition}`))
    if (open.size === 0 && !follow) return
    const topics = [...new Set(plan.ranges.map((r) => r.topic))]
    if (topics.length === 0) {
      onReady()
      while (!stopped()) await Bun.sleep(50)
      return
    }
    const kafka = createKafka(this.config, this.log, sendRetry(this.config.sendRetries))
    const consumer = kafka.consumer({
      groupId: `opendt-replay-verify-${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      retry: sendRetry(this.config.sendRetries),
    })
    this.consumer = consumer
    await connectOrFail(this.config, () => consumer.connect())
    this.log.counters = this.counters
    try {
      await consumer.subscribe({ topics, fromBeginning: true })
    } catch (cause) {
      throw new ReplayError('broker-lost', `lost Kafka at ${this.config.brokers.join(',')}: ${causeOf(cause)}`, {
        cause,
      })
    }
    let failure: unknown
    let ours: unknown
    let joined = false
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (joined) return
      joined = true
      for (const r of plan.ranges) consumer.seek({ topic: r.topic, partition: r.partition, offset: String(r.start) })
    })
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) failure = event.payload.error // a crash kafkajs restarts from is not the end
    })
    // A partition is done once a batch reaches its end. This event follows every batch, also one
    // that kafkajs filters down to nothing (control records, an aborted transaction), which
    // reaches no eachBatch; its last offset counts control records too.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const range = ranges.get(`${payload.topic}/${payload.partition}`)
      if (!follow && range && BigInt(payload.lastOffset) + 1n >= range.end)
        open.delete(`${payload.topic}/${payload.partition}`)
    })
    // A broker lost for good: kafkajs restarts its fetch loop forever. Every fetch that comes
    // back (records or none, every 100 ms or so) shows the cluster answers; none for the connect
    // timeout ends the read with what was read so far.
    let answered = this.now()
    const touch = () => {
      answered = this.now()
    }
    consumer.on(consumer.events.FETCH, touch)
    consumer.on(consumer.events.GROUP_JOIN, touch)
    let ready = false
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const arrival = this.now()
        const range = ranges.get(`${batch.topic}/${batch.partition}`)
        if (!range) return
        // Records before the start (fetched before the seek took effect) and past the end are not ours.
        const messages = batch.messages.filter((m) => {
          const offset = BigInt(m.offset)
          return offset >= range.start && (follow || offset < range.end)
        })
        try {
          if (messages.length > 0) onBatch(batch.topic, batch.partition, messages, arrival)
        } catch (error) {
          ours = error // our own failure, not Kafka's: it ends the read as it is
        }
      },
    })
    while (!(joined && !follow && open.size === 0) && !stopped() && failure === undefined && ours === undefined) {
      if (joined && !ready) {
        ready = true
        onReady()
      }
      if (this.now() - answered > this.config.connectTimeoutMs) {
        failure = new Error(`no fetch answered for ${this.config.connectTimeoutMs / 1000} s (--connect-timeout)`)
        break
      }
      await Bun.sleep(follow ? 50 : 20)
    }
    if (ours !== undefined) throw ours
    if (failure !== undefined) {
      throw new ReplayError(
        'broker-lost',
        `lost Kafka at ${this.config.brokers.join(',')} while reading: ${causeOf(failure)}`,
        { cause: failure },
      )
    }
  }

  /** A request about a topic, retried while Kafka calls its error retriable, up to the connect timeout. */
  private async retried<T>(topic: string, request: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(this.config.connectTimeoutMs, request, notRetriable)
    } catch (cause) {
      throw new ReplayError(
        'broker-unreachable',
        `cannot read the offsets of ${topic} at ${this.config.brokers.join(',')}: ${causeOf(cause)}`,
        { cause },
      )
    }
  }

  /** Disconnects, waiting at most 5 s each: leaving a group of a lost cluster can wait on its fetch's timeout. */
  async close(): Promise<void> {
    const bounded = (p: Promise<void> | undefined) => Promise.race([p?.catch(() => {}), Bun.sleep(5_000)])
    await bounded(this.consumer?.disconnect())
    await bounded(this.admin?.disconnect())
  }
}

const clamp = (x: bigint, lo: bigint, hi: bigint) => (x < lo ? lo : x > hi ? hi : x)
