import type { ConsolaInstance } from 'consola'
import {
  Kafka,
  type LogEntry,
  logLevel,
  Partitioners,
  type Producer,
  type RetryOptions,
  type SASLOptions,
} from 'kafkajs'
import { ReplayError } from '../errors.ts'
import { createLog } from '../log.ts'
import type { KafkaConfig } from '../types.ts'
import { registerCodecs } from './codecs.ts'

/**
 * Retries of a failed send: kafkajs backs off from 300 ms, doubling to at most 30 s per wait; the
 * default 8 retries give a broker about a minute to come back before the run gives up (exit 3).
 * The idempotent producer warns that bounded retries may break exactly-once; here a run that runs
 * out of retries stops and sends nothing more, so no later batch can overtake the failed one.
 *
 * Every option is given: kafkajs takes the ones left out from other defaults when NODE_ENV is
 * "test" (src/retry/index.js), where a wait grows by 1.5 instead of 2 and 8 retries last 14 s, not
 * 67 s. `bun test` sets NODE_ENV=test, and a replay it starts from the sources inherited it.
 */
export const sendRetry = (retries: number): RetryOptions => ({
  retries,
  initialRetryTime: 300,
  maxRetryTime: 30_000,
  factor: 0.2,
  multiplier: 2,
})

/** kafkajs's own warning about bounded retries, answered in sendRetry's comment. */
const EXPECTED = 'Limiting retries for the idempotent producer may invalidate EoS guarantees'

/**
 * kafkajs logs through consola. Until `loud` is set (while we are still trying to connect, and
 * will report the outcome in one line ourselves) everything goes to debug (`--verbose`). After
 * that its errors and warnings (connection lost, retrying) become warnings, each distinct text
 * once: a broker outage would otherwise print hundreds of identical lines.
 */
export class KafkaLog {
  loud = false
  /** What a live view counts, a request kafkajs retries and an error it reports: set once connected. */
  counters?: ClientCounters
  private readonly seen = new Set<string>()
  private readonly log: ConsolaInstance
  constructor(log: ConsolaInstance) {
    this.log = log
  }

  creator =
    () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      if (entry.message === EXPECTED) return
      const error = entry.error ? ` (${entry.error})` : ''
      const text = `kafkajs ${namespace}: ${entry.message}${error}${entry.broker ? ` [${entry.broker}]` : ''}`
      const important = level === logLevel.ERROR || level === logLevel.WARN
      if (this.counters) {
        if (typeof (entry as { retryCount?: unknown }).retryCount === 'number') this.counters.retried()
        if (level === logLevel.ERROR) this.counters.failed()
      }
      if (important && this.loud && !this.seen.has(text)) {
        this.seen.add(text)
        this.log.warn(text)
      } else {
        this.log.debug(text)
      }
    }
}

/**
 * kafkajs 2.2.4 calls `setTimeout(fn, throttledUntil - Date.now())` with a large negative delay
 * when it is not throttled (requestQueue.scheduleCheckPendingRequests), and Bun prints a
 * TimeoutNegativeWarning to stderr each time, bypassing process.emitWarning. The runtime runs such
 * timers after 1 ms anyway; clamping the delay first keeps stderr to our own lines.
 */
let clamped = false
export function clampNegativeTimeouts(): void {
  if (clamped) return
  clamped = true
  const original = globalThis.setTimeout
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    original(fn, ms !== undefined && ms < 0 ? 0 : ms, ...args)) as typeof setTimeout
}

/**
 * A Kafka client. With the default `retry` it tries each connection once, for the start, where
 * withDeadline() does the retrying and keeps the real cause. Producers pass sendRetry(): kafkajs
 * refreshes metadata and reconnects through the client's retrier inside a send, so a client that
 * never retries would give up on the first refused connection of a broker restart.
 */
export function createKafka(config: KafkaConfig, log: KafkaLog, retry: RetryOptions = { retries: 0 }): Kafka {
  clampNegativeTimeouts()
  registerCodecs()
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    logLevel: logLevel.INFO,
    logCreator: log.creator,
    connectionTimeout: Math.min(3_000, config.connectTimeoutMs),
    retry,
    ssl: config.tls
      ? { ca: config.tls.ca ? [config.tls.ca] : undefined, cert: config.tls.cert, key: config.tls.key }
      : undefined,
    sasl: config.sasl as SASLOptions | undefined,
  })
}

/** Wrong credentials: retrying cannot help, so connecting stops at the first such answer. */
export function isAuthFailure(error: unknown): boolean {
  const e = error as { name?: string; cause?: { name?: string } }
  return e?.name === 'KafkaJSSASLAuthenticationError' || e?.cause?.name === 'KafkaJSSASLAuthenticationError'
}

/** Reaches the brokers within the connect timeout; wrong credentials fail at once (exit 5). */
export async function connectOrFail(config: KafkaConfig, connect: () => Promise<unknown>): Promise<void> {
  try {
    await withDeadline(config.connectTimeoutMs, connect, isAuthFailure)
  } catch (error) {
    const brokers = config.brokers.join(',')
    if (isAuthFailure(error)) {
      const who = `user "${config.sasl?.username}" (${config.sasl?.mechanism.toUpperCase()})`
      throw new ReplayError('auth', `Kafka at ${brokers} rejected the credentials of ${who}: ${causeOf(error)}`, {
        cause: error,
      })
    }
    throw new ReplayError(
      'broker-unreachable',
      `cannot reach Kafka at ${brokers} within ${config.connectTimeoutMs / 1000} s: ${causeOf(error)}`,
      { cause: error },
    )
  }
}

/** Runs `attempt` until it succeeds or `timeoutMs` has passed; the last error is the cause. */
export async function withDeadline<T>(
  timeoutMs: number,
  attempt: () => Promise<T>,
  fatal: (error: unknown) => boolean = () => false,
): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (fatal(error) || performance.now() + 500 >= deadline) throw error
      await Bun.sleep(500)
    }
  }
}

/** For withDeadline: an error Kafka (or kafkajs) does not call retriable ends the attempts. */
export const notRetriable = (error: unknown) => (error as { retriable?: boolean }).retriable !== true

export function causeOf(error: unknown): string {
  const e = error as Error & { cause?: unknown }
  const inner = e?.cause instanceof Error && e.cause.message !== e.message ? `: ${e.cause.message}` : ''
  return `${e?.message ?? String(error)}${inner}`
}

/**
 * What a live view counts of a client (run/figures.ts): each log entry of kafkajs that carries a
 * retry count is a request it retries; each at error level, an error it reports.
 */
export interface ClientCounters {
  retried(): void
  failed(): void
}

/** A connected producer for a worker's streams (acks, idempotence and retries from `config`). */
export async function connectProducer(
  config: KafkaConfig,
  verbose: boolean,
  counters?: ClientCounters,
): Promise<Producer> {
  const log = new KafkaLog(createLog(verbose))
  // First reach the brokers with a client that does not retry on its own (so the deadline and
  // the cause of a failure are ours), then connect the producer, whose client retries sends.
  const probe = createKafka(config, log).producer()
  await connectOrFail(config, () => probe.connect())
  await probe.disconnect()
  const kafka = createKafka(config, log, sendRetry(config.sendRetries))
  // The Java client's murmur2 partitioner, chosen explicitly (kafkajs warns when it is implied).
  const producer = kafka.producer({
    idempotent: config.idempotent,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: sendRetry(config.sendRetries),
  })
  await connectOrFail(config, () => producer.connect())
  log.loud = true
  log.counters = counters
  return producer
}

/**
 * Runs kafkajs's record encoding (the produce request a send builds: records, batch, CRC32C,
 * varints) on made-up records a few dozen times, without sending anything, so that the first due
 * batch is not encoded by cold code. Measured on a warm topic: the first send's acknowledgement
 * came back after 9-11 ms cold, 3.5-7 ms after this. kafkajs is pinned (package.json), and the
 * module is the one its producer uses (one bundle).
 */
export async function warmUpEncoder(): Promise<void> {
  // @ts-expect-error: kafkajs ships no types for its internal modules
  const { default: produceRequest } = await import('kafkajs/src/protocol/requests/produce/v7/request.js')
  // @ts-expect-error: as above
  const { default: Long } = await import('kafkajs/src/utils/long.js')
  const key = Buffer.from('{"id":"2133099"}')
  const value = Buffer.alloc(96, 0x78)
  for (let i = 0; i < 40; i++) {
    const messages = Array.from({ length: 128 }, () => ({ key, value, headers: { 'opendt-due': '0.000' } }))
    const partitions = [{ partition: 0, firstSequence: 0, messages }]
    const request = produceRequest({
      acks: -1,
      timeout: 30_000,
      producerId: Long.fromInt(0),
      producerEpoch: 0,
      topicData: [{ topic: 'warm-up', partitions }],
    })
    void (await request.encode()).buffer
  }
}
