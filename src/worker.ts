/// <reference lib="webworker" />
/**
 * One stream's worker (tasks or fragments): build the stream, connect its output, report ready,
 * block on the barrier, then pace the stream into the sink. All the worker shares with the main
 * thread is the SharedArrayBuffer (barrier.ts) and the messages below.
 */
import { Partitioners, type Producer } from 'kafkajs'
import { awaitRelease, maxMessageBytes, origin, sharedClock, state, State, STDOUT_LOCK, withLock } from './barrier.ts'
import { ReplayError, type ErrorKind } from './errors.ts'
import { Gate } from './gate.ts'
import { causeOf, connectOrFail, createKafka, KafkaLog, sendRetry, type KafkaConfig } from './kafka/client.ts'
import { createLog } from './log.ts'
import { pace, type Clock, type PaceOptions, type Progress } from './pacer.ts'
import { prepare, type Role, type StreamSpec } from './prepare.ts'
import { KafkaSink } from './sinks/kafka.ts'
import { LineSink, StdoutClosed } from './sinks/stdout.ts'
import { FragmentStream, TaskStream } from './stream.ts'
import { demoTrace } from './trace/demo.ts'

export type Output = { kind: 'stdout' } | { kind: 'kafka'; config: KafkaConfig }

export interface WorkerInit {
  role: Role
  spec: StreamSpec
  speed: number
  topic: string
  output: Output
  verbose: boolean
  /** `--max-lag`: stop when a batch goes out later than this behind schedule, ms. */
  maxLagMs?: number
  /** `--resume`: messages of this stream already acknowledged in an earlier run, skipped. */
  skip: number
  shared: SharedArrayBuffer
}

export interface Counts {
  /** Handed to the output (written to stdout, or sent to Kafka). */
  sent: number
  /** Acknowledged by the broker (stdout: equal to sent). */
  acked: number
}

export type WorkerMessage =
  | {
      type: 'ready'
      orphans: number
      traceStart: number
      from: number
      to: number
      end: number
      /** Event time of the stream's next message (after a resume's skip), Infinity if none. */
      next: number
      durationDerived: boolean
      skippedMs: number
    }
  | ({ type: 'progress'; eventTime: number; lateness: number } & Counts)
  | ({ type: 'counts' } & Counts)
  | ({ type: 'error'; kind: ErrorKind; message: string; stack?: string } & Partial<Counts>)
  | ({
      type: 'done'
      stoppedEarly: boolean
      stdoutClosed: boolean
      /** Set when --max-lag stopped the stream: how far behind it was, ms. */
      lagExceeded?: number
      lateness: { counts: Float64Array; count: number; max: number }
    } & Counts)

declare const self: Worker
const post = (message: WorkerMessage) => self.postMessage(message)

/** Longest single sleep: a stop request is noticed within this many ms. */
const SLEEP_SLICE_MS = 100

/**
 * Runs the encoding path on the demo trace a few hundred times before the release, so the first
 * due batches are not left to the interpreter (they were the latest lines in pacing runs).
 */
function warmUp(topic: string): void {
  const sink = new LineSink(topic, (fn) => fn(), (_bytes, _offset, length) => length)
  const { tasks, fragments } = demoTrace()
  const all = { from: -Infinity, to: Infinity }
  for (let i = 0; i < 300; i++) {
    for (const stream of [new TaskStream(tasks, all), new FragmentStream(tasks, fragments, all)]) {
      while (stream.time !== Infinity) {
        sink.add(stream)
        stream.advance()
      }
    }
    sink.flush()
  }
}

async function connectProducer(config: KafkaConfig, init: WorkerInit): Promise<Producer> {
  const log = new KafkaLog(createLog(init.verbose))
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
  return producer
}

/** Progress goes to the main thread at most this often. */
const PROGRESS_EVERY_MS = 200

function progressReporter(acked: () => number | undefined): (p: Progress) => void {
  let last = 0
  return (p) => {
    const now = performance.now()
    if (now - last < PROGRESS_EVERY_MS) return
    last = now
    post({ type: 'progress', sent: p.sent, acked: acked() ?? p.sent, eventTime: p.eventTime, lateness: p.lateness })
  }
}

const errorMessage = (error: unknown, kind: ErrorKind): WorkerMessage => ({
  type: 'error',
  kind,
  message: (error as Error)?.message ?? String(error),
  stack: (error as Error)?.stack,
})

self.onmessage = async (event: MessageEvent<WorkerInit>) => {
  const init = event.data
  const { role, spec, speed, topic, output, shared } = init
  let prepared
  let producer: Producer | undefined
  try {
    prepared = await prepare(role, spec)
    // Decoding leaves ~100 MB of hyparquet's short-lived arrays; collecting them now, before the
    // send loop allocates its buffers, keeps the peak RSS of a whole-SURF replay near 190 MB.
    Bun.gc(true)
    for (let i = 0; i < init.skip && prepared.stream.time !== Infinity; i++) prepared.stream.advance()
    if (speed !== Infinity) warmUp(topic) // only pacing needs the first batches fast
    if (output.kind === 'kafka') producer = await connectProducer(output.config, init)
  } catch (error) {
    post(errorMessage(error, error instanceof ReplayError ? error.kind : 'internal'))
    return
  }
  const w = prepared.window
  post({ type: 'ready', orphans: prepared.orphans, traceStart: prepared.traceStart, from: w.from, to: w.to, end: prepared.end, next: prepared.stream.time, durationDerived: prepared.durationDerived, skippedMs: prepared.skippedMs })

  const start = awaitRelease(shared)
  if (start === undefined) return void (await producer?.disconnect())
  const stopped = () => state(shared) >= State.stopping
  const clock: Clock = {
    now: sharedClock,
    async sleepUntil(wall) {
      // Bun.sleep wakes within ~0.5 ms (measured: p99 0.4 ms); spinning the last stretch did not
      // lower the tail measured on the pipe, on 2 cores where it competes with the reader.
      for (;;) {
        const left = wall - sharedClock()
        if (left <= 0 || stopped()) return
        await Bun.sleep(Math.min(left, SLEEP_SLICE_MS))
      }
    },
  }
  // The main thread chose one origin for both streams (a resume starts at the earliest next message).
  const schedule = { start, origin: origin(shared), speed, compress: prepared.compress }
  if (output.kind === 'stdout') {
    const sink = new LineSink(topic, (fn) => withLock(shared, STDOUT_LOCK, fn))
    const gate = new Gate(shared, role === 'tasks' ? 0 : 1)
    try {
      const onBatch = progressReporter(() => undefined)
      const result = await pace(prepared.stream, schedule, clock, sink, { maxBatch: speed === Infinity ? 4096 : 1024, stopped, gate, onBatch, maxLagMs: init.maxLagMs })
      post({ type: 'done', sent: result.sent, acked: result.sent, stoppedEarly: result.stoppedEarly, stdoutClosed: false, lagExceeded: result.lagExceeded, lateness: result.lateness })
    } catch (error) {
      if (!(error instanceof StdoutClosed)) return post(errorMessage(error, 'internal'))
      post({ type: 'done', sent: 0, acked: 0, stoppedEarly: true, stdoutClosed: true, lateness: { counts: new Float64Array(0), count: 0, max: 0 } })
    }
    return
  }
  const { config } = output
  const sink = new KafkaSink(producer!, { topic, acks: config.acks, recordTime: config.recordTime, maxMessageBytes: maxMessageBytes(shared) })
  sink.onCounts = (sent, acked) => post({ type: 'counts', sent, acked })
  const onBatch = progressReporter(() => sink.acked)
  await runKafka(prepared.stream, schedule, clock, sink, { maxBatch: speed === Infinity ? 2_000 : 5_000, stopped, onBatch, maxLagMs: init.maxLagMs }, config)
  await producer!.disconnect().catch(() => {})
}

async function runKafka(stream: Parameters<typeof pace>[0], schedule: Parameters<typeof pace>[1], clock: Clock, sink: KafkaSink, options: PaceOptions, config: KafkaConfig) {
  try {
    const result = await pace(stream, schedule, clock, sink, options)
    await sink.close()
    post({ type: 'done', sent: sink.sent, acked: sink.acked, stoppedEarly: result.stoppedEarly, stdoutClosed: false, lagExceeded: result.lagExceeded, lateness: result.lateness })
  } catch (error) {
    const message = `lost Kafka at ${config.brokers.join(',')}: ${causeOf(error)}`
    post({ type: 'error', kind: 'broker', message, sent: sink.sent, acked: sink.acked })
  }
}
