/// <reference lib="webworker" />
/**
 * One stream's worker (tasks or fragments): build the stream, report ready, block on the
 * barrier, then pace the stream into the sink. All state a worker shares with the main thread
 * is the SharedArrayBuffer (barrier.ts) and the messages below.
 */
import { awaitRelease, sharedClock, state, State, STDOUT_LOCK, withLock } from './barrier.ts'
import { ReplayError } from './errors.ts'
import { Gate } from './gate.ts'
import { pace, type Clock } from './pacer.ts'
import { prepare, type Role, type StreamSpec } from './prepare.ts'
import { LineSink, StdoutClosed } from './sinks/stdout.ts'
import { FragmentStream, TaskStream } from './stream.ts'
import { demoTrace } from './trace/demo.ts'

export interface WorkerInit {
  role: Role
  spec: StreamSpec
  speed: number
  topic: string
  shared: SharedArrayBuffer
}

export type WorkerMessage =
  | { type: 'ready'; orphans: number; traceStart: number; from: number; to: number; durationDerived: boolean }
  | { type: 'error'; kind: ReplayError['kind']; message: string; stack?: string }
  | { type: 'done'; sent: number; stoppedEarly: boolean; stdoutClosed: boolean; lateness: { counts: Float64Array; count: number; max: number } }

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

self.onmessage = async (event: MessageEvent<WorkerInit>) => {
  const { role, spec, speed, topic, shared } = event.data
  let prepared
  try {
    prepared = await prepare(role, spec)
    // Decoding leaves ~100 MB of hyparquet's short-lived arrays; collecting them now, before the
    // send loop allocates its buffers, keeps the peak RSS of a whole-SURF replay under 200 MB.
    Bun.gc(true)
  } catch (error) {
    const kind = error instanceof ReplayError ? error.kind : 'internal'
    post({ type: 'error', kind, message: (error as Error).message ?? String(error), stack: (error as Error).stack })
    return
  }
  warmUp(topic)
  const w = prepared.window
  post({ type: 'ready', orphans: prepared.orphans, traceStart: prepared.traceStart, from: w.from, to: w.to, durationDerived: prepared.durationDerived })

  const start = awaitRelease(shared)
  if (start === undefined) return
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
  const sink = new LineSink(topic, (fn) => withLock(shared, STDOUT_LOCK, fn))
  const schedule = { start, origin: prepared.origin, speed }
  try {
    const gate = new Gate(shared, role === 'tasks' ? 0 : 1)
    const result = await pace(prepared.stream, schedule, clock, sink, { maxBatch: speed === Infinity ? 4096 : 1024, stopped, gate })
    post({ type: 'done', sent: result.sent, stoppedEarly: result.stoppedEarly, stdoutClosed: false, lateness: result.lateness })
  } catch (error) {
    if (error instanceof StdoutClosed) {
      post({ type: 'done', sent: 0, stoppedEarly: true, stdoutClosed: true, lateness: { counts: new Float64Array(0), count: 0, max: 0 } })
      return
    }
    post({ type: 'error', kind: 'internal', message: (error as Error).message, stack: (error as Error).stack })
  }
}
