import { writeFileSync } from 'node:fs'
import { formatTime } from '../core/text.ts'
import { ReplayError } from '../errors.ts'
import type { OutputDefinition } from '../outputs/output.ts'
import { reasonOf } from '../trace/file.ts'
import type { ReplayOptions, Role } from '../types.ts'
import type { ReplaySummary } from './outcome.ts'

/**
 * The final summary as JSON (`--summary-json`), for scripts. Counts per topic, wall time, rates,
 * lateness percentiles and why the run ended. The output adds its own fields (Kafka's brokers);
 * no credential ever is.
 */
export function summaryJson(options: ReplayOptions, output: OutputDefinition, s: ReplaySummary) {
  const seconds = s.wallMs / 1000
  const topic = (role: Role) => ({
    topic: options.topics[role],
    sent: s.counts[role]!.sent,
    acknowledged: s.counts[role]!.acked,
    ratePerSecond: seconds > 0 ? Math.round(s.counts[role]!.sent / seconds) : 0,
  })
  const paced = options.speed !== Infinity && s.lateness.count > 0
  return {
    exitCode: s.exitCode,
    reason: s.reason,
    error: s.failed ? s.line : null,
    output: output.name,
    ...output.summary(options.output.config),
    speed: options.speed === Infinity ? 'max' : options.speed,
    window: { from: formatTime(s.window.from), to: s.window.to === Infinity ? null : formatTime(s.window.to) },
    startedAt: new Date(s.startedAt).toISOString(),
    shard: shardJson(options),
    wallSeconds: Number(seconds.toFixed(3)),
    skippedTraceSeconds: s.skippedMs / 1000,
    format: options.spec.format,
    topics: perStream(options, topic),
    lateness: paced
      ? {
          messages: s.lateness.count,
          p50Ms: Number(s.lateness.quantile(0.5).toFixed(3)),
          p99Ms: Number(s.lateness.quantile(0.99).toFixed(3)),
          maxMs: Number(s.lateness.max.toFixed(3)),
        }
      : null,
  }
}

/** A run that ended before sending (bad input, broker unreachable, ...): why, and that nothing was sent. */
export function failureJson(options: ReplayOptions, output: OutputDefinition, error: ReplayError) {
  const none = { sent: 0, acknowledged: 0, ratePerSecond: 0 }
  return {
    exitCode: error.exitCode,
    reason: error.reason,
    error: error.message,
    output: output.name,
    ...output.summary(options.output.config),
    speed: options.speed === Infinity ? 'max' : options.speed,
    window: null,
    startedAt: null,
    shard: shardJson(options),
    wallSeconds: 0,
    skippedTraceSeconds: 0,
    format: options.spec.format,
    topics: perStream(options, (role) => ({ topic: options.topics[role], ...none })),
    lateness: null,
  }
}

/** `--shard K/N` as `{index, count, control}`, or null. */
const shardJson = (options: ReplayOptions) => options.spec.shard ?? null

/** One entry per stream of the run's format (its topics' keys, in its order), keyed by stream. */
function perStream<T>(options: ReplayOptions, entry: (role: Role) => T): Partial<Record<Role, T>> {
  return Object.fromEntries(Object.keys(options.topics).map((role) => [role, entry(role)]))
}

/** Writes --summary-json FILE; its folder must exist (checked before the run: none is created). */
export function writeSummary(path: string, json: unknown): void {
  try {
    writeFileSync(path, JSON.stringify(json, null, 2) + '\n')
  } catch (cause) {
    throw new ReplayError('output-error', `--summary-json: cannot write ${path}: ${reasonOf(cause)}`, { cause })
  }
}
