import type { ConsolaInstance } from 'consola'
import type { OpenDtSetup } from '../cli/dispatch.ts'
import type { OutsideArgv } from '../cli/env.ts'
import type { ReplayArgs } from '../cli/flags.ts'
import { toReplayOptions } from '../cli/options.ts'
import { ReplayError } from '../errors.ts'
import { formatOf } from '../formats/index.ts'
import { outputOf } from '../outputs/index.ts'
import { checkpointIdentity, startingPoint } from '../run/checkpoint.ts'
import { listed, type ReplaySummary } from '../run/outcome.ts'
import { type ReplayEdges, replay } from '../run/replay.ts'
import { failureJson, summaryJson, writeSummary } from '../run/summary.ts'

/**
 * `opendt-replay replay` (and `dc-mock`, the same replay with OpenDT's settings under its flags):
 * flags to options, the checkpoint to start from, the replay itself, and what it reports (the
 * summary line, `--summary-json`). Returns the exit code.
 */
export async function replayCommand(
  args: ReplayArgs,
  outsideArgv: OutsideArgv,
  given: ReplayEdges & { env: Record<string, string | undefined> },
  opendt?: OpenDtSetup,
): Promise<number> {
  const { options, demo } = toReplayOptions(args, { env: given.env, outsideArgv, topicSettings: opendt?.topics })
  // Shards usually log side by side: every line says which one it is.
  const shard = options.spec.shard
  const edges = shard ? { ...given, log: given.log.withTag(`shard ${shard.index}/${shard.count}`) } : given
  const { log } = edges
  const output = outputOf(options.output)
  output.preflight?.(options.output.config)
  if (options.quiet) log.level = 0
  // Where each setting came from, once, when OpenDT's configuration gave some (`dc-mock`).
  for (const line of opendt?.lines ?? []) log.info(line)
  const format = formatOf(options.spec.format)
  for (const note of format.notes?.(options.spec.formatOptions) ?? []) log.info(note)
  if (demo) {
    log.info('no trace given: replaying the built-in demo trace (4 tasks, 12 fragments); pass TRACE_DIR for a real one')
  }
  if (args.checkpoint) {
    const path = args.checkpoint
    const identity = await checkpointIdentity(args, options, output)
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
    summary = await replay(options, edges)
  } catch (error) {
    if (summaryFile && error instanceof ReplayError) writeSummary(summaryFile, failureJson(options, output, error))
    throw error
  }
  if (summary.failed) {
    log.error(summary.line)
    if (options.verbose && summary.stack) log.error(summary.stack)
  } else if (summary.reason !== 'stdout-closed') always(log, () => log.info(summary.line))
  if (summaryFile) writeSummary(summaryFile, summaryJson(options, output, summary))
  return summary.exitCode
}

/** The summary is shown even under --quiet (which only lets errors through otherwise). */
function always(log: ConsolaInstance, fn: () => void): void {
  const level = log.level
  log.level = Math.max(level, 3)
  fn()
  log.level = level
}
