import type { ConsolaInstance } from 'consola'
import type { OpenDtSetup } from '../cli/dispatch.ts'
import type { OutsideArgv } from '../cli/env.ts'
import type { ReplayArgs } from '../cli/flags.ts'
import { toReplayOptions } from '../cli/options.ts'
import { ReplayError } from '../errors.ts'
import type { FormatRegistry } from '../formats/format.ts'
import type { LiveEdges } from '../live/edges.ts'
import { always } from '../log.ts'
import { outputOf } from '../outputs/index.ts'
import { checkpointIdentity, startingPoint } from '../run/checkpoint.ts'
import type { ReplayMonitor } from '../run/monitor.ts'
import { listed, type ReplaySummary } from '../run/outcome.ts'
import { type ReplayEdges, replay, replayMonitor } from '../run/replay.ts'
import { failureJson, summaryJson, writeSummary } from '../run/summary.ts'
import type { ReplayOptions } from '../types.ts'

/**
 * `opendt-replay replay` (and `dc-mock`, the same replay with OpenDT's settings under its flags):
 * flags to options, the checkpoint to start from, the replay itself, and what it reports (the
 * summary line, `--summary-json`). Returns the exit code.
 */
export async function replayCommand(
  args: ReplayArgs,
  outsideArgv: OutsideArgv,
  given: ReplayEdges & {
    env: Record<string, string | undefined>
    /** The binary's version, for /status and /metrics. */
    version: string
    /** The live view's server and report writer (live/edges.ts); without them --http and --report are refused. */
    live?: LiveEdges
    /** The formats `--format` names (default formats/index.ts's; a test adds a fixture format, and spawns workers that know it). */
    formats?: FormatRegistry
  },
  opendt?: OpenDtSetup,
): Promise<number> {
  const { options, format, demo } = toReplayOptions(args, {
    env: given.env,
    outsideArgv,
    topicSettings: opendt?.topics,
    formats: given.formats,
  })
  // Shards usually log side by side: every line says which one it is.
  const shard = options.spec.shard
  const edges = shard ? { ...given, log: given.log.withTag(`shard ${shard.index}/${shard.count}`) } : given
  const { log } = edges
  const output = outputOf(options.output)
  output.preflight?.(options.output.config)
  if (options.quiet) log.level = 0
  // A signal before the replay listens for one is kept, and handed to it when it does.
  const early = earlySignals(edges)
  // The live view first: a port in use ends the run before anything else is said or loaded.
  const monitor = replayMonitor(options, format, given.version)
  const live = await startLive(options, monitor, given, log)
  // Where each setting came from, once, when OpenDT's configuration gave some (`dc-mock`).
  for (const line of opendt?.lines ?? []) log.info(line)
  for (const note of format.notes?.(options.spec.formatOptions) ?? []) log.info(note)
  if (demo) {
    log.info('no trace given: replaying the built-in demo trace (4 tasks, 12 fragments); pass TRACE_DIR for a real one')
  }
  if (args.checkpoint) {
    const path = args.checkpoint
    const identity = await checkpointIdentity(args, options, output, format)
    const start = startingPoint(path, args.resume === true, identity, format.streams)
    options.checkpoint = { path, start }
    const s = start.streams
    if (args.resume) {
      const streams = format.streams
      const repeat = streams.reduce((n, r) => n + s[r]!.sent - s[r]!.acked, 0)
      log.info(
        `resuming from ${path}: ${listed(streams.map((r) => `${s[r]!.acked} ${r}`))} ` +
          'already acknowledged are skipped; ' +
          `${repeat} messages sent before the interruption but not acknowledged may be repeated`,
      )
    }
  }
  const summaryFile = args['summary-json']
  let summary: ReplaySummary
  try {
    summary = await replay(options, format, { ...edges, onSignal: early.onSignal }, monitor)
  } catch (error) {
    early.stop()
    const failure = error instanceof ReplayError ? failureJson(options, output, error) : null
    if (summaryFile && failure) writeSummary(summaryFile, failure)
    monitor.end({ failed: true, error: (error as Error).message, summary: failure, interrupted: false })
    await live.finish()
    throw error
  }
  early.stop()
  const json = summaryJson(options, output, summary)
  // The reader of stdout going away ends the run before its end, as a signal does.
  const interrupted = summary.reason === 'sigint' || summary.reason === 'sigterm' || summary.reason === 'stdout-closed'
  monitor.end({ failed: summary.failed, error: summary.failed ? summary.line : null, summary: json, interrupted })
  if (summary.failed) {
    log.error(summary.line)
    if (options.verbose && summary.stack) log.error(summary.stack)
  } else if (summary.reason !== 'stdout-closed') always(log, () => log.info(summary.line))
  if (summaryFile) writeSummary(summaryFile, json)
  await live.finish()
  return summary.exitCode
}

/**
 * `--http`: the live view's server, started before anything is loaded or sent (a port in use is
 * one line and exit 2), its URL on stderr once. `finish` writes `--report` and stops the server
 * (after `--http-linger`, for a last scrape). Without either flag, nothing is opened.
 */
async function startLive(
  options: ReplayOptions,
  monitor: ReplayMonitor,
  given: { live?: LiveEdges; onSignal: ReplayEdges['onSignal'] },
  log: ConsolaInstance,
): Promise<{ finish(): Promise<void> }> {
  const { http, report } = options
  if (!http && !report) return { finish: async () => {} }
  const live = given.live
  if (!live) throw new ReplayError('internal', '--http and --report need the live view, which this build lacks')
  const shard = options.spec.shard
  const server = http
    ? await live.serve(http, monitor, shard ? { shard: `${shard.index}/${shard.count}` } : {})
    : undefined
  if (server) {
    always(log, () => log.info(`live view at ${server.url}`))
    monitor.watch()
  }
  return {
    async finish() {
      if (report) live.writeReport(report, monitor)
      if (server && options.httpLingerMs > 0) await lingering(options.httpLingerMs, given.onSignal)
      monitor.close()
      await server?.stop()
    },
  }
}

/**
 * Ctrl-C between the start and the replay's own subscription (while the live view starts, a
 * checkpoint is read) is kept, not lost to the default handler, and given to the replay's handler
 * as soon as it subscribes: the run then stops before sending, with its summary and report.
 */
function earlySignals(edges: Pick<ReplayEdges, 'onSignal'>): { onSignal: ReplayEdges['onSignal']; stop(): void } {
  let pending: 'SIGINT' | 'SIGTERM' | undefined
  let stop = edges.onSignal((s) => {
    pending ??= s
  })
  return {
    onSignal(handler) {
      stop()
      stop = () => {}
      const off = edges.onSignal(handler)
      if (pending) handler(pending)
      return off
    },
    stop: () => stop(),
  }
}

/** Waits `ms`, or until SIGINT or SIGTERM. */
function lingering(ms: number, onSignal: ReplayEdges['onSignal']): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    const unsubscribe = onSignal(done)
    function done() {
      clearTimeout(timer)
      unsubscribe()
      resolve()
    }
  })
}
