import type { ConsolaInstance } from 'consola'
import type { IHeaders } from 'kafkajs'
import { asReplayError, EXIT_CODES, ReplayError } from '../errors.ts'
import type { FormatDefinition } from '../formats/format.ts'
import { prepare } from '../formats/prepare.ts'
import { traceDemand } from '../inspect/report.ts'
import { TopicReader } from '../kafka/consumer.ts'
import type { LiveSource } from '../live/status.ts'
import { always } from '../log.ts'
import { KAFKA } from '../outputs/kafka/index.ts'
import { DUE_HEADER } from '../outputs/kafka/sink.ts'
import { sharedClock } from '../run/control.ts'
import type { Role, VerifyOptions } from '../types.ts'
import { DIFFERENCE_KINDS, TopicCheck } from './check.ts'
import { describeMessages, expectedTopics } from './expected.ts'
import { type LiveClock, VerifyLive } from './live.ts'
import { formatVerifyReport, liveLines, type VerifyReport } from './report.ts'
import { shardOwner } from './shard.ts'

export interface VerifyEdges {
  log: ConsolaInstance
  onSignal(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void
  stdout(text: string): void
  stderr: { write(text: string): void; isTTY: boolean }
  /**
   * `--http`: serves the live view of `source` on the address given (live/server.ts, with the page
   * and /metrics); resolves once listening. A bad address or a port in use throws bad input.
   */
  serveLive?(http: NonNullable<VerifyOptions['http']>, source: LiveSource): Promise<LiveServer>
  /** The version the live view shows. */
  version?: string
  /** The live view's clock and timer (tests: a fake one). */
  liveClock?: LiveClock
}

/** A running live view's server: where it listens, and how it stops. */
export interface LiveServer {
  url: string
  stop(): Promise<void> | void
}

/**
 * What `verify` does (check() below), and with `--http` the live view around it: served before
 * the trace is loaded (a bad address fails before anything), stopped once the report is out.
 */
export async function verify(
  options: VerifyOptions,
  format: FormatDefinition,
  edges: VerifyEdges,
  since: string | undefined,
): Promise<number> {
  const http = options.http
  if (!http) return check(options, format, edges, since, undefined)
  if (!edges.serveLive) throw new ReplayError('internal', `${http.flag}: this build has no live server`)
  const live = new VerifyLive(
    {
      version: edges.version ?? 'unknown',
      format: format.name,
      output: KAFKA.name,
      topics: Object.fromEntries(format.streams.map((r) => [r, options.topics[r]!])),
      speed: options.speed,
      shard: options.spec.shard,
      brokers: options.config.brokers,
      capacity: options.capacity ?? null,
      demandOf: format.demandOf,
    },
    edges.liveClock,
  )
  const server = await edges.serveLive(http, live)
  always(edges.log, () => edges.log.info(`live view at ${server.url}`))
  try {
    return await check(options, format, edges, since, live)
  } catch (error) {
    live.end('failed', null, asReplayError(error).message)
    throw error
  } finally {
    await server.stop()
  }
}

/**
 * What `verify` does: rebuilds the replay the options define (the messages of each topic in replay
 * order, as hashes), reads the topics back with a consumer of its own, checks every record, and
 * prints the report on stdout. Exit 0 when the topics are exact, 1 when not. `since` is
 * `--since` as the user wrote it, for the warning on topics with nothing after it.
 */
async function check(
  options: VerifyOptions,
  format: FormatDefinition,
  edges: VerifyEdges,
  since: string | undefined,
  view: VerifyLive | undefined,
): Promise<number> {
  const { log } = edges
  const roles = format.streams
  const topics = Object.fromEntries(roles.map((r) => [r, options.topics[r]])) as Partial<Record<Role, string>>
  // From the start: a Ctrl-C while the trace loads stops the command as soon as the load is done.
  let signal: 'SIGINT' | 'SIGTERM' | undefined
  const unsubscribe = edges.onSignal((s) => {
    signal ??= s
  })
  let loaded: Awaited<ReturnType<typeof expectedReplay>>
  try {
    loaded = await expectedReplay(format, options, topics)
  } catch (error) {
    unsubscribe()
    throw error
  }
  if (signal) {
    unsubscribe()
    log.info(`stopped by ${signal} before reading the topics`)
    view?.end('interrupted', null)
    return EXIT_CODES[signal === 'SIGINT' ? 'sigint' : 'sigterm']
  }
  const { expected, origin, orphans } = loaded
  if (orphans > 0) {
    log.warn(`skipped ${orphans} fragments whose task is not in the tasks file (--strict makes this an error)`)
  }
  const schedule = options.follow ? { origin, speed: options.speed } : undefined
  const shard = options.spec.shard
  const owner = shard ? shardOwner(shard, format.controlKeys ?? []) : undefined
  const checks = [...expected.values()].map(
    (e) => new TopicCheck(e, options.shown, schedule, format.normalize?.(roleOf(topics, e.topic)), owner),
  )
  const byTopic = new Map(checks.map((c) => [c.expected.topic, c]))
  // The whole trace's demand, as inspect draws it, loaded once the replay's hashes are built (its columns are gone).
  if (view) view.loaded(loaded.window, checks, await traceDemand(options.spec.trace, options.spec.host))
  const counts = checks.map((c) => `${c.expected.count} in ${c.expected.topic}`).join(', ')
  log.info(`the trace defines ${counts}; reading from ${options.config.brokers.join(',')}`)
  if (shard) {
    log.info(
      `--shard ${shard.index}/${shard.count}: checking this shard's messages; records of the other shards are counted apart, not checked`,
    )
  }

  const complete = () => checks.every((c) => c.matched === c.expected.count)
  const stopped = () => signal !== undefined || (options.follow && complete())
  const display = options.quiet || !edges.stderr.isTTY ? undefined : live(edges.stderr, checks)
  const reader = new TopicReader(options.config, log, sharedClock, view?.counters)
  let missingTopics: string[] = []
  let lost: ReplayError | undefined
  try {
    const plan = await reader.plan(
      [...byTopic.keys()],
      options.follow ? { latest: true } : options.from,
      options.follow,
      (missing) => log.info(`waiting for ${missing.join(', ')} to be created (the replay creates its topics)`),
      stopped,
    )
    missingTopics = plan.missing
    if (!signal)
      await reader
        .read(
          plan,
          options.follow,
          (topic, partition, messages, arrival) => {
            const check = byTopic.get(topic)!
            for (const m of messages) {
              // Lateness only while following: after the fact, the header says nothing about arrival.
              const due = options.follow ? dueOf(m.headers) : undefined
              check.add({ partition, offset: m.offset, key: m.key, value: m.value, arrival, due })
              view?.record(topic, m.key, m.value)
            }
          },
          stopped,
          () => {
            if (options.follow)
              log.info(`following ${[...byTopic.keys()].join(', ')} from their ends: start the replay`)
          },
        )
        .catch((error) => {
          // Kafka lost mid-read: the report of what was read, then the error (exit 3).
          if (!(error instanceof ReplayError) || error.reason !== 'broker-lost') throw error
          lost = error
        })
  } finally {
    display?.stop()
    unsubscribe()
    await reader.close()
  }
  if (!options.follow && !('earliest' in options.from)) {
    const empty = checks.filter((c) => c.read === 0 && !missingTopics.includes(c.expected.topic))
    if (empty.length > 0) {
      log.warn(`${empty.map((c) => c.expected.topic).join(', ')}: no record at or after --since ${since}`)
    }
  }
  const report: VerifyReport = {
    exact: false,
    interrupted: signal,
    missingTopics: missingTopics.filter((t) => byTopic.get(t)!.expected.count > 0),
    topics: checks.map((c) => c.finish()),
  }
  if (lost) report.lost = lost.message
  report.exact = report.topics.every((t) => t.exact) && report.missingTopics.length === 0 && !signal && !lost
  await describeSamples(report, format, options, topics)
  view?.end(signal ? 'interrupted' : lost ? 'failed' : 'done', report, lost?.message)
  edges.stdout(`${options.json ? JSON.stringify(report, null, 2) : formatVerifyReport(report)}\n`)
  if (lost) throw lost
  if (signal) return EXIT_CODES[signal === 'SIGINT' ? 'sigint' : 'sigterm']
  return report.exact ? EXIT_CODES.completed : EXIT_CODES.mismatch
}

/** The stream a topic holds. */
const roleOf = (topics: Partial<Record<Role, string>>, topic: string): Role =>
  Object.entries(topics).find(([, t]) => t === topic)![0]

/**
 * The replay's messages as hashes, per topic, and its window start. The loaded trace is not kept:
 * only the hashes are held while reading.
 */
async function expectedReplay(format: FormatDefinition, options: VerifyOptions, topics: Partial<Record<Role, string>>) {
  // Wall-clock fields (dc-mock's topology) are built at the epoch; the format masks read ones the same way.
  const prepared = await prepare(format, [...format.streams], options.spec, false, () => 0)
  return {
    expected: expectedTopics(prepared.stream, topics),
    origin: prepared.window.from,
    window: prepared.window,
    orphans: prepared.orphans,
  }
}

/**
 * The `opendt-due` header's instant, when the record has one written as a replay writes it: plain
 * decimal epoch milliseconds (`1764169200005.125`). "", " 12 " or "0x10" are no instant.
 */
export function dueOf(headers: IHeaders | undefined): number | undefined {
  const raw = headers?.[DUE_HEADER]
  const text = (Array.isArray(raw) ? raw[0] : raw)?.toString()
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined
  const due = Number(text)
  return Number.isFinite(due) ? due : undefined
}

/** Fills in the key and value of the replay's messages that samples name (missing, changed): a second pass over the trace. */
async function describeSamples(
  report: VerifyReport,
  format: FormatDefinition,
  options: VerifyOptions,
  topics: Partial<Record<Role, string>>,
): Promise<void> {
  const wanted = new Map<string, Set<number>>()
  for (const t of report.topics) {
    for (const kind of DIFFERENCE_KINDS) {
      for (const d of t.samples[kind]) {
        if (d.index === undefined) continue
        const set = wanted.get(t.topic) ?? new Set()
        set.add(d.index)
        wanted.set(t.topic, set)
      }
    }
  }
  if (wanted.size === 0) return
  const again = await prepare(format, [...format.streams], options.spec, false, () => 0)
  const found = describeMessages(again.stream, topics, wanted)
  for (const t of report.topics) {
    for (const kind of DIFFERENCE_KINDS) {
      for (const d of t.samples[kind]) {
        const message = d.index === undefined ? undefined : found.get(t.topic)?.get(d.index)
        if (!message) continue
        if (kind === 'missing') d.key = message.key
        // As the format shows a value it built for the comparison (dc-mock's topology: at the epoch).
        d.expected = format.shownExpected?.(roleOf(topics, t.topic), message.value) ?? message.value
        delete d.index
      }
    }
  }
}

/** Live lines on a terminal: records read per topic, and lateness so far. */
function live(stderr: VerifyEdges['stderr'], checks: TopicCheck[]): { stop(): void } {
  let drawn = 0
  const draw = () => {
    const lines = liveLines(
      checks.map((c) => ({
        topic: c.expected.topic,
        read: c.read,
        expected: c.expected.count,
        lateness: c.lateness.count > 0 ? { p99: c.lateness.quantile(0.99), max: c.lateness.max } : undefined,
      })),
    )
    const up = drawn > 0 ? `\x1b[${drawn}A` : ''
    stderr.write(up + lines.map((l) => `\x1b[2K${l}\n`).join(''))
    drawn = lines.length
  }
  const timer = setInterval(draw, 250)
  return {
    stop() {
      clearInterval(timer)
      if (drawn > 0) stderr.write(`\x1b[${drawn}A\x1b[0J`)
    },
  }
}
