import type { Producer } from 'kafkajs'
import type { WriteGate } from '../core/pacer.ts'
import { asReplayError, type ErrorReason } from '../errors.ts'
import { StdoutClosed, stdoutReaderGone } from '../stdout.ts'
import type { Counts, Output, Role } from '../types.ts'
import type { OutputSink } from './output.ts'
import { LineSink } from './stdout/sink.ts'

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

/** What a worker hands an output when it opens it, after the release (run/worker.ts). */
export interface OutputContext {
  output: Output
  /** The topic of each stream this worker writes. */
  topics: Partial<Record<Role, string>>
  /** Trace seconds per wall second; Infinity for `--speed max`. */
  speed: number
  /** A stop was asked for (run/control.ts). */
  stopping(): boolean
  /** Runs a write holding the lock both workers share (run/control.ts withStdoutLock). */
  lock: <T>(fn: () => T) => T
  /** Orders this worker's writes with the other's (run/gate.ts): for an output both write in one order. */
  gate: WriteGate
  /** The largest batch this worker's topics take, in bytes (what the topics' preparation found). */
  maxMessageBytes: number
  /** The worker's producer, connected before the release (Kafka only). */
  producer?: Producer
  /** Hands counts to the main thread as messages are sent and acknowledged (Kafka's checkpoint). */
  onCounts(counts: Partial<Record<Role, Counts>>): void
}

/** Dry-run lines: paced through the Gate with the other worker, or every stream from this one (--speed max). */
async function openStdout({ topics, speed, stopping, lock, gate }: OutputContext): Promise<OpenedOutput> {
  // Between writes, the reader may leave: notice it while waiting, and end as a write would.
  let gone = false
  const max = speed === Infinity
  return {
    sink: new LineSink(topics, lock),
    maxBatch: max ? 4096 : 1024,
    gate: max ? undefined : gate,
    stopped: () => {
      if (!gone && stdoutReaderGone()) gone = true
      return gone || stopping()
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
async function openKafka(context: OutputContext): Promise<OpenedOutput> {
  const { output, producer, speed, stopping, onCounts } = context
  if (output.kind !== 'kafka' || !producer) throw new Error('a Kafka output needs its config and producer')
  const config = output.config
  const [{ KafkaSink }, { causeOf }] = await Promise.all([import('./kafka/sink.ts'), import('../kafka/client.ts')])
  const sink = new KafkaSink(producer, {
    topics: context.topics,
    acks: config.acks,
    recordTime: config.recordTime,
    maxMessageBytes: context.maxMessageBytes,
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
}

export const OUTPUTS: Record<Output['kind'], (context: OutputContext) => Promise<OpenedOutput>> = {
  stdout: openStdout,
  kafka: openKafka,
}
