import type { Producer } from 'kafkajs'
import type { WriteGate } from '../core/pacer.ts'
import { asReplayError, type ErrorReason } from '../errors.ts'
import type { OutputSink } from '../outputs/output.ts'
import { LineSink } from '../outputs/stdout/sink.ts'
import { StdoutClosed, stdoutReaderGone } from '../stdout.ts'
import type { Output, Role } from '../types.ts'
import type { SharedControl } from './control.ts'
import { Gate } from './gate.ts'
import type { StreamCounts, WorkerInit } from './protocol.ts'

/**
 * The outputs a worker can pace into, one opener each: stdout (`--dry-run`) and Kafka. An opener
 * gives the sink and how the one pacing loop (run/worker.ts) drives it: the batch size, a write
 * gate, when to stop, and what an error mid-run means. A new output is a sink in outputs/ and a line
 * here.
 */
export interface OpenedOutput {
  sink: OutputSink
  /** Largest batch handed to the sink at once. */
  maxBatch: number
  /** How long a paced batch may wait for messages due after its first, ms (core/pacer.ts). */
  lingerMs?: number
  /** Orders writes with the other worker (stdout, paced: both write one stream of lines). */
  gate?: WriteGate
  /** Polled by the pacer: true stops the run cleanly. */
  stopped(): boolean
  /** The reader of stdout went away (a clean end, exit 141). */
  readerGone(): boolean
  /** An error mid-run as the worker reports it; undefined: it is the reader going away. */
  failure(error: unknown): { reason: ErrorReason; message: string; stack?: string } | undefined
}

export interface OutputContext {
  init: WorkerInit
  control: SharedControl
  /** The worker's producer, connected before the release (Kafka only). */
  producer?: Producer
  /** Hands counts to the main thread as messages are sent and acknowledged (Kafka's checkpoint). */
  onCounts(counts: StreamCounts): void
}

/** The topic of each stream this worker writes. */
const topicsOf = (init: WorkerInit): Partial<Record<Role, string>> =>
  Object.fromEntries(init.roles.map((r) => [r, init.topics[r]]))

/** Dry-run lines: paced through the Gate with the other worker, or every stream from this one (--speed max). */
async function openStdout({ init, control }: OutputContext): Promise<OpenedOutput> {
  // Between writes, the reader may leave: notice it while waiting, and end as a write would.
  let gone = false
  const max = init.speed === Infinity
  return {
    sink: new LineSink(topicsOf(init), (fn) => control.withStdoutLock(fn)),
    maxBatch: max ? 4096 : 1024,
    gate: max ? undefined : new Gate(control, init.slot),
    stopped: () => {
      if (!gone && stdoutReaderGone()) gone = true
      return gone || control.stopping
    },
    readerGone: () => gone,
    failure: (error) => {
      if (error instanceof StdoutClosed) return undefined
      const e = asReplayError(error)
      return { reason: e.reason, message: e.message, stack: e.stack }
    },
  }
}

/** Into Kafka with this worker's producer: its streams' topics, one send in flight. */
async function openKafka({ init, control, producer, onCounts }: OutputContext): Promise<OpenedOutput> {
  if (init.output.kind !== 'kafka' || !producer) throw new Error('a Kafka output needs its config and producer')
  const config = init.output.config
  const [{ KafkaSink }, { causeOf }] = await Promise.all([
    import('../outputs/kafka/sink.ts'),
    import('../kafka/client.ts'),
  ])
  const sink = new KafkaSink(producer, {
    topics: topicsOf(init),
    acks: config.acks,
    recordTime: config.recordTime,
    maxMessageBytes: control.maxMessageBytes(init.slot),
    dueHeader: init.speed !== Infinity,
    compression: config.compression,
    batchBytes: config.batchBytes,
  })
  sink.onCounts = onCounts
  return {
    sink,
    maxBatch: init.speed === Infinity ? 2_000 : 5_000,
    lingerMs: config.lingerMs,
    stopped: () => control.stopping,
    readerGone: () => false,
    failure: (error) => ({
      reason: 'broker-lost',
      message: `lost Kafka at ${config.brokers.join(',')}: ${causeOf(error)}`,
    }),
  }
}

export const OUTPUTS: Record<Output['kind'], (context: OutputContext) => Promise<OpenedOutput>> = {
  stdout: openStdout,
  kafka: openKafka,
}
