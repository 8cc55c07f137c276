/**
 * `/metrics`: a run's LiveStatus and lateness histogram as Prometheus's text exposition format,
 * version 0.0.4 (Content-Type `text/plain; version=0.0.4; charset=utf-8`).
 *
 * Written by hand rather than with prom-client (docs/dependencies.md says why and what was
 * measured): the figures already live in the status, so an exposition is a pure function of it,
 * with no registry to keep in step with the run.
 *
 * Names: `opendt_replay_info` describes the binary, whatever the command. Every other series is
 * named after the command that measures it: `opendt_replay_*` for a replay (dc-mock's too),
 * `opendt_verify_*` for `verify --follow`, whose figures are what it reads, not what it sends.
 * Per-topic series carry `stream` and `topic`; with `labels.shard` every series carries `shard`, so
 * that Prometheus can sum a sharded run across machines.
 *
 * A value not known yet (the trace time and the seconds since the last acknowledgement before the
 * first one) is left out rather than written NaN, which promtool accepts too: a NaN sample is a
 * value to Prometheus, which turns a sum() across shards into NaN, while an absent sample is what
 * PromQL and Grafana treat as "no data". Its HELP and TYPE lines stay, so the family is described.
 */
import { BUCKETS, bucketLimit } from '../core/lateness.ts'
import type { LatenessHistogram, LiveState, LiveStatus, LiveTopic } from './status.ts'

/** The Content-Type the text is served with. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** Every state, in LiveState's order: `{state="..."}` has one series each, 1 for the current one. */
const STATES = Object.keys({
  starting: 0,
  waiting: 0,
  running: 0,
  stalled: 0,
  interrupted: 0,
  done: 0,
  failed: 0,
} satisfies Record<LiveState, 0>) as LiveState[]

/** The histogram's upper bounds, seconds (`le`); `+Inf` follows them. */
export const LATENESS_BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * For each bound, how many of core/lateness.ts's buckets count in it: bucket b counts in `le` when
 * its upper edge, bucketLimit(b) ms, is <= le. The edges rise with b, so these are prefixes. A
 * bucket holds values below its edge, so each `le` counts only values <= le (Prometheus's `le` is
 * inclusive); a bucket that straddles le counts in the next bound up, so a bound may undercount by
 * the values within one core bucket (1.6 %) below it, never overcount.
 */
const PREFIXES = LATENESS_BOUNDS.map((le) => {
  let b = 0
  while (b < BUCKETS && bucketLimit(b) / 1000 <= le) b++
  return b
})

/** A label value as the format spells it: backslash, double quote and line feed escaped. */
const escapeLabel = (value: string) => value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))

/** A sample value: integers and decimals as JavaScript writes them, which Go's ParseFloat reads. */
const number = (value: number) =>
  Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value)

/** A label as the format spells it, `name="value"`, with the value escaped. */
const label = (name: string, value: string) => `${name}="${escapeLabel(value)}"`

/** Builds the text, family by family; the shard's label is appended to every series' labels. */
class Exposition {
  private out = ''
  /** `shard` is a spelled label, or ''. */
  constructor(private readonly shard: string) {}

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.out += `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`
    return this
  }

  /** One sample; `labels` spelled (`label()`s joined by commas), or ''. */
  sample(name: string, labels: string, value: number): this {
    const all = labels === '' ? this.shard : this.shard === '' ? labels : `${labels},${this.shard}`
    this.out += `${name}${all === '' ? '' : `{${all}}`} ${number(value)}\n`
    return this
  }

  /** A family of one series per topic, `value` read from each. */
  perTopic(
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    topics: LiveTopic[],
    value: (t: LiveTopic) => number,
  ) {
    this.family(name, type, help)
    for (const t of topics) this.sample(name, `${label('stream', t.stream)},${label('topic', t.topic)}`, value(t))
  }

  text(): string {
    return this.out
  }
}

/**
 * The status as Prometheus's text format. `labels.shard` (`K/N`) adds `shard` to every series;
 * the caller passes it (the replay's `--shard`), the status's settings are not read for it.
 */
export function metricsText(status: LiveStatus, lateness: LatenessHistogram, labels: { shard?: string } = {}): string {
  const out = new Exposition(labels.shard === undefined ? '' : label('shard', labels.shard))
  const verify = status.command === 'verify'
  const p = verify ? 'opendt_verify' : 'opendt_replay'
  const topics = status.topics

  out
    .family(
      'opendt_replay_info',
      'gauge',
      'The opendt-replay binary: its version, and the wire format of the run (always 1).',
    )
    .sample('opendt_replay_info', `${label('version', status.version)},${label('format', status.settings.format)}`, 1)
  out.family(
    `${p}_state`,
    'gauge',
    `Whether ${verify ? 'verify --follow' : 'the replay'} is in this state (1) or not (0).`,
  )
  for (const state of STATES) out.sample(`${p}_state`, label('state', state), state === status.state ? 1 : 0)

  if (verify) verifyTopics(out, topics)
  else replayTopics(out, topics)

  const where = verify ? 'read' : 'acknowledged'
  out.family(
    `${p}_lateness_seconds`,
    'histogram',
    verify
      ? 'How late records arrived behind their schedule, as read (records with a due time).'
      : 'How late messages were handed to the output behind their schedule (paced runs).',
  )
  let cumulative = 0
  let b = 0
  LATENESS_BOUNDS.forEach((le, i) => {
    for (; b < PREFIXES[i]!; b++) cumulative += lateness.counts[b]!
    out.sample(`${p}_lateness_seconds_bucket`, label('le', String(le)), cumulative)
  })
  out
    .sample(`${p}_lateness_seconds_bucket`, label('le', '+Inf'), lateness.count)
    .sample(`${p}_lateness_seconds_sum`, '', lateness.sumMs / 1000)
    .sample(`${p}_lateness_seconds_count`, '', lateness.count)
  out
    .family(
      `${p}_lateness_current_seconds`,
      'gauge',
      verify
        ? 'How late the oldest record due but not read yet is now (0 when none is overdue).'
        : 'How late the oldest message due but not handed to the output yet is now (0 when none is overdue).',
    )
    .sample(`${p}_lateness_current_seconds`, '', status.lateness.currentMs / 1000)

  out.family(
    `${p}_trace_time_seconds`,
    'gauge',
    `The trace instant ${where} so far: every event before it is ${where} (Unix seconds; absent before the first).`,
  )
  if (status.trace.acknowledgedSeconds !== null)
    out.sample(`${p}_trace_time_seconds`, '', status.trace.acknowledgedSeconds)
  out
    .family(`${p}_trace_progress_ratio`, 'gauge', `The fraction of the trace window ${where} so far, 0 to 1.`)
    .sample(`${p}_trace_progress_ratio`, '', status.trace.fraction)

  out
    .family(
      `${p}_stalled`,
      'gauge',
      verify
        ? "Whether verify --follow is stalled (1) or not (0); /status's stalled.reason says why."
        : 'Whether the replay is stalled (1) or not (0): messages have waited for an acknowledgement longer than the notice time.',
    )
    .sample(`${p}_stalled`, '', status.state === 'stalled' ? 1 : 0)
  const since = verify ? `${p}_seconds_since_last_record` : `${p}_seconds_since_last_acknowledgement`
  out.family(
    since,
    'gauge',
    verify
      ? 'Wall seconds since the last record was read (absent before the first).'
      : 'Wall seconds since the last acknowledgement (absent before the first).',
  )
  if (status.secondsSinceLastAcknowledgement !== null) out.sample(since, '', status.secondsSinceLastAcknowledgement)

  const client = verify ? 'Kafka consumer' : 'Kafka producers'
  out
    .family(`${p}_retries_total`, 'counter', `Requests the ${client} retried.`)
    .sample(`${p}_retries_total`, '', status.retries)
    .family(`${p}_errors_total`, 'counter', `Errors the ${client} reported.`)
    .sample(`${p}_errors_total`, '', status.errors)
  return out.text()
}

function replayTopics(out: Exposition, topics: LiveTopic[]): void {
  out.perTopic(
    'opendt_replay_messages_sent_total',
    'counter',
    'Messages handed to the output, per topic.',
    topics,
    (t) => t.sent,
  )
  out.perTopic(
    'opendt_replay_messages_acknowledged_total',
    'counter',
    'Messages the output acknowledged (Kafka: the broker, with the acks asked for), per topic.',
    topics,
    (t) => t.acknowledged,
  )
  out.perTopic(
    'opendt_replay_bytes_acknowledged_total',
    'counter',
    'Key and value bytes of the acknowledged messages, per topic.',
    topics,
    (t) => t.bytesAcknowledged,
  )
}

/**
 * verify's per-topic figures: records read (LiveTopic.sent), their key and value bytes
 * (LiveTopic.bytesAcknowledged), and the check against the trace (LiveTopic.check; a topic without
 * one has no check series). Missing and expected can fall as records arrive: gauges.
 */
function verifyTopics(out: Exposition, topics: LiveTopic[]): void {
  const checked = topics.filter((t) => t.check !== undefined)
  const check = (name: keyof NonNullable<LiveTopic['check']>) => (t: LiveTopic) => t.check![name]
  out.perTopic('opendt_verify_records_read_total', 'counter', 'Records read, per topic.', topics, (t) => t.sent)
  out.perTopic(
    'opendt_verify_bytes_read_total',
    'counter',
    'Key and value bytes of the records read, per topic.',
    topics,
    (t) => t.bytesAcknowledged,
  )
  out.perTopic(
    'opendt_verify_records_expected',
    'gauge',
    'Messages of the replay that the topic should hold so far.',
    checked,
    check('expected'),
  )
  out.perTopic(
    'opendt_verify_records_matched_total',
    'counter',
    'Records read that hold a message of the replay not read before.',
    checked,
    check('matched'),
  )
  out.perTopic(
    'opendt_verify_records_missing',
    'gauge',
    'Messages of the replay that the topic should hold so far and no record read holds.',
    checked,
    check('missing'),
  )
  out.perTopic(
    'opendt_verify_records_duplicated_total',
    'counter',
    'Records read that hold a message of the replay already read.',
    checked,
    check('duplicated'),
  )
  out.perTopic(
    'opendt_verify_records_changed_total',
    'counter',
    "Records read with a key of the replay's messages but a value none of them has.",
    checked,
    check('changed'),
  )
  out.perTopic(
    'opendt_verify_records_foreign_total',
    'counter',
    "Records read that hold neither a message of the replay nor one of its messages' keys.",
    checked,
    check('foreign'),
  )
}
