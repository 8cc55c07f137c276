/// <reference lib="webworker" />
/**
 * One of the two workers. It owns its streams (run/replay.ts workerRoles says which) from file to
 * output: it loads and checks the trace (formats/prepare.ts: its format builds the streams),
 * connects its own output (outputs/<name>/: Kafka's producer), reports ready, blocks on the
 * barrier, opens the output, then paces its streams, merged in time order, into it by one path
 * (core/pacer.ts), whichever output it is. All it shares with the main thread is the
 * SharedArrayBuffer (run/control.ts) and the messages of run/protocol.ts. Its format comes by name
 * (a definition holds functions, which no message carries) and is looked up here once, in the
 * formats this worker serves (serve, at the end).
 */
import { type Clock, type PaceOptions, pace } from '../core/pacer.ts'
import { dueAt, type Schedule } from '../core/schedule.ts'
import type { EventStream } from '../core/stream.ts'
import { asReplayError } from '../errors.ts'
import type { FormatDefinition, FormatRegistry } from '../formats/format.ts'
import { FORMATS } from '../formats/index.ts'
import { type Prepared, prepare } from '../formats/prepare.ts'
import { outputOf } from '../outputs/index.ts'
import type { OpenedOutput, OutputDefinition, OutputSink } from '../outputs/output.ts'
import { countsOf } from '../outputs/output.ts'
import { LineSink } from '../outputs/stdout/sink.ts'
import { demoTrace } from '../trace/demo.ts'
import type { Role } from '../types.ts'
import { SharedControl, sharedClock } from './control.ts'
import { LiveFigures } from './figures.ts'
import { Gate } from './gate.ts'
import type { Done, Failed, StreamCounts, WorkerInit, WorkerMessage } from './protocol.ts'

declare const self: Worker
const post = (message: WorkerMessage) => self.postMessage(message)

/** Longest single sleep: a stop request is noticed within this many ms. */
const SLEEP_SLICE_MS = 100

/**
 * Runs the encoding path of the format's streams (its `warmUp`) on the demo trace a few hundred
 * times before the release, so the first due batches are not left to the interpreter (they were
 * the latest lines in pacing runs).
 */
function warmUp(format: FormatDefinition, roles: readonly Role[]): void {
  if (!format.warmUp) return
  // Into a line sink that writes nowhere, whatever the output: what is warmed is the JIT's.
  const sink = new LineSink(
    Object.fromEntries(roles.map((role) => [role, role])),
    (fn) => fn(),
    (_bytes, _offset, length) => length,
  )
  const demo = demoTrace()
  for (let i = 0; i < 300; i++) {
    for (const stream of format.warmUp(roles, demo)) {
      while (stream.time !== Infinity) {
        sink.add(stream)
        stream.advance()
      }
    }
    sink.flush()
  }
}

function failed(error: unknown): Failed {
  const e = asReplayError(error)
  return { type: 'error', reason: e.reason, message: e.message, stack: e.stack }
}

const done = (counts: StreamCounts, rest: Partial<Done> = {}): Done => ({
  type: 'done',
  counts,
  stdoutClosed: false,
  lateness: { counts: new Float64Array(0), count: 0, max: 0, sum: 0 },
  ...rest,
})

/** One run: the main thread's WorkerInit, its format looked up by name in `formats`. */
async function serveRun(init: WorkerInit, formats: FormatRegistry): Promise<void> {
  const control = new SharedControl(init.shared)
  const figures = new LiveFigures(init.streams, init.figures)
  // The output crosses the thread boundary as data: its definition is found again here, once.
  const output = outputOf(init.output)
  let loaded: Awaited<ReturnType<typeof load>>
  try {
    loaded = await load(init, formats, output, figures)
  } catch (error) {
    post(failed(error))
    return
  }
  const { prepared, connection } = loaded
  const w = prepared.window
  post({
    type: 'ready',
    orphans: prepared.orphans,
    from: w.from,
    to: w.to,
    ends: prepared.ends,
    next: prepared.stream.time,
    durationDerived: prepared.durationDerived,
    skippedMs: prepared.skippedMs,
    largest: prepared.largest,
    notes: prepared.notes,
    demand: prepared.demand,
  })
  const start = control.awaitRelease()
  if (start === undefined) return void (await output.disconnect?.(connection))
  // At --speed max to stdout one worker writes every stream (run/replay.ts workerRoles), and a
  // format of one stream leaves the second idle: it loaded nothing, and has nothing to write, which
  // it tells the other's write gate.
  if (init.roles.length === 0) {
    new Gate(control, init.slot).publish(Infinity)
    return post(done({}))
  }
  // The main thread chose one origin for both workers (a resume starts at the earliest next message).
  const schedule: Schedule = { start, origin: control.origin, speed: init.speed, compress: prepared.compress }
  const stream = prepared.stream
  // Set once the output is open; the counts callback below is first called after that.
  let sink: OutputSink | undefined
  const record = () => {
    if (sink) figures.record(init.slot, sink.figures(), Math.min(sink.pendingFrom(), stream.time), sharedClock())
  }
  const opened = await output.open(init.output.config, connection, {
    topics: Object.fromEntries(init.roles.map((r) => [r, init.topics[r]])),
    speed: init.speed,
    stopping: () => control.stopping,
    lock: (fn) => control.withStdoutLock(fn),
    gate: new Gate(control, init.slot),
    maxMessageBytes: control.maxMessageBytes(init.slot),
    onCounts: (counts) => {
      record()
      post({ type: 'counts', counts })
    },
  })
  sink = opened.sink
  const last = Math.max(...Object.values(prepared.ends).map((t) => t ?? -Infinity))
  if (init.speed !== Infinity && last > -Infinity) figures.endsAt(init.slot, dueAt(schedule, last))
  record()
  post(await paceInto(init, opened, stream, schedule, figures, record))
  await output.disconnect?.(connection).catch(() => {})
}

/** Before the release: the streams built and checked, a resume's prefix skipped, the output connected. */
async function load(
  init: WorkerInit,
  formats: FormatRegistry,
  output: OutputDefinition,
  figures: LiveFigures,
): Promise<{ prepared: Prepared; connection: unknown }> {
  const name = init.spec.format
  const format = Object.hasOwn(formats, name) ? formats[name] : undefined
  if (!format) throw new Error(`this worker serves no format "${name}" (it serves ${Object.keys(formats).join(', ')})`)
  const prepared = await prepare(format, init.roles, init.spec, output.measuresLargest, Date.now, init.demand)
  // Decoding leaves ~100 MB of hyparquet's short-lived arrays; collecting them now, before the
  // send loop allocates its buffers, keeps the peak RSS of a whole-SURF replay near 190 MB.
  Bun.gc(true)
  for (let i = 0; i < init.skip && prepared.stream.time !== Infinity; i++) prepared.stream.advance()
  const paced = init.speed !== Infinity
  if (paced) warmUp(format, init.roles) // only pacing needs the first batches fast
  const counters = { retried: () => figures.retried(init.slot), failed: () => figures.failed(init.slot) }
  const connection = await output.connect?.(init.output.config, { verbose: init.verbose, paced, counters })
  return { prepared, connection }
}

/** Paces the stream into the output, whichever it is; what the worker reports at the end. */
async function paceInto(
  init: WorkerInit,
  output: OpenedOutput,
  stream: EventStream,
  schedule: Schedule,
  figures: LiveFigures,
  record: () => void,
): Promise<WorkerMessage> {
  const { sink } = output
  const options: PaceOptions = {
    stopped: output.stopped,
    maxLagMs: init.maxLagMs,
    maxBatch: output.maxBatch,
    lingerMs: output.lingerMs,
    gate: output.gate,
    lateness: figures.lateness(init.slot),
    onDue: (wall) => figures.due(init.slot, wall),
    // Progress reaches the main thread through the shared figures (run/monitor.ts reads them).
    onBatch: record,
  }
  try {
    const result = await pace(stream, schedule, sleepingClock(output.stopped), sink, options)
    await sink.close()
    record()
    return done(countsOf(sink.figures()), {
      lagExceeded: result.lagExceeded,
      lateness: result.lateness.snapshot(),
      stdoutClosed: output.readerGone(),
    })
  } catch (error) {
    record()
    const failure = output.failure(error)
    if (!failure) return done(countsOf(sink.figures()), { stdoutClosed: true })
    return { type: 'error', ...failure, counts: countsOf(sink.figures()) }
  }
}

/** The shared clock, sleeping in slices so that a stop is noticed within SLEEP_SLICE_MS. */
function sleepingClock(stopped: () => boolean): Clock {
  return {
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
}

/**
 * Serves the main thread's WorkerInit with the formats of `formats`, by name. This entry serves
 * the registry's (below); a test's worker entry (test/formats/worker.ts) imports this
 * module and serves its own registry, with a fixture format added, which replaces the handler
 * before any message arrives.
 */
export function serve(formats: FormatRegistry): void {
  self.onmessage = (event: MessageEvent<WorkerInit>) => serveRun(event.data, formats)
}

serve(FORMATS)
