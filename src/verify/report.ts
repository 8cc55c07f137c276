import { escapeControls, formatTime } from '../core/text.ts'
import { DIFFERENCE_KINDS, type Difference, type DifferenceKind, type TopicReport } from './check.ts'

/** What `verify` found, as `--json` prints it. */
export interface VerifyReport {
  exact: boolean
  /** Stopped by a signal while reading (the report covers what was read). */
  interrupted?: 'SIGINT' | 'SIGTERM'
  /** Kafka was lost while reading: why (the report covers what was read; exit 3). */
  lost?: string
  /** Topics the cluster does not have. */
  missingTopics: string[]
  topics: TopicReport[]
}

const LABELS: Record<DifferenceKind, string> = {
  missing: 'missing',
  duplicated: 'duplicated',
  changed: 'changed value',
  foreign: 'not in the trace',
  outOfOrder: 'out of order',
}

const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`
const at = (time: number | undefined) => (time === undefined ? '' : ` at ${formatTime(Math.round(time))}`)
const where = (d: Difference) => (d.offset === undefined ? '' : `partition ${d.partition} offset ${d.offset}: `)
/** Text read from a topic, as one safe line: control characters escaped, long values cut. */
const clip = (text: string | null | undefined) => {
  if (text === undefined) return ''
  if (text === null) return '(null)'
  const line = escapeControls(text)
  return line.length > 200 ? `${line.slice(0, 200)}... (${text.length} characters)` : line
}
const keyText = (key: string | null) => (key === null ? '(null)' : escapeControls(key))

function sampleLine(kind: DifferenceKind, d: Difference): string {
  const key = `key ${keyText(d.key)}${at(d.time)}`
  switch (kind) {
    case 'missing':
      return `${key}: ${clip(d.expected)}`
    case 'duplicated':
      return `${where(d)}${key}`
    case 'changed':
      return `${where(d)}${key}: got ${clip(d.value)}, expected ${clip(d.expected)}`
    case 'foreign':
      return `${where(d)}key ${keyText(d.key)}: ${clip(d.value)}`
    case 'outOfOrder':
      return `${where(d)}${key}, after offset ${d.after!.offset}${at(d.after!.time)}`
  }
}

/** The human-readable report: a line per topic, the first differences of each kind, the verdict. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines: string[] = []
  for (const topic of report.missingTopics) lines.push(`${topic}: no such topic`)
  for (const t of report.topics) {
    const counts: string[] = []
    if (t.missing > 0) counts.push(`${t.missing} missing`)
    if (t.duplicated > 0) counts.push(`${t.duplicated} duplicated`)
    if (t.changed > 0) counts.push(`${t.changed} with a changed value`)
    if (t.foreign > 0) counts.push(`${t.foreign} not in the trace`)
    if (t.outOfOrder.partition > 0) counts.push(`${t.outOfOrder.partition} out of order in their partition`)
    if (t.outOfOrder.key > 0) counts.push(`${t.outOfOrder.key} out of order for their key`)
    const others = t.otherShards === undefined ? '' : ` (${t.otherShards} of other shards, not checked)`
    lines.push(
      `${t.topic}: ${t.read} records read${others}, ${t.expected} expected: ${t.exact ? 'exact' : counts.join(', ')}`,
    )
    for (const kind of DIFFERENCE_KINDS) {
      for (const d of t.samples[kind]) lines.push(`  ${LABELS[kind].padEnd(16)} ${sampleLine(kind, d)}`)
    }
    const l = t.lateness
    if (l) {
      const how =
        l.fitted > 0
          ? ` (${l.fitted} without an opendt-due header: against a schedule fitted to the earliest arrival)`
          : ''
      lines.push(
        `  lateness over ${l.count} records: p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, max ${ms(l.max)}, drift ${l.drift >= 0 ? '+' : ''}${ms(l.drift)}; ` +
          `the ${l.firstSecond.count} due in the first second: p99 ${ms(l.firstSecond.p99)}${how}`,
      )
    }
  }
  const total = report.topics.reduce((n, t) => n + t.expected, 0)
  if (report.interrupted) lines.push(`verify: stopped by ${report.interrupted} before every message came`)
  if (report.lost) lines.push('verify: Kafka was lost while reading: the counts above are what was read before')
  lines.push(
    report.exact
      ? `verify: exact: ${report.topics.length} topics hold the ${total} messages of the replay, once each, in order`
      : 'verify: NOT exact',
  )
  return lines.join('\n')
}

/** One live line per topic while following: records read of those expected, and lateness so far. */
export function liveLines(
  topics: { topic: string; read: number; expected: number; lateness?: { p99: number; max: number } }[],
): string[] {
  return topics.map((t) => {
    const late = t.lateness ? `  late p99 ${ms(t.lateness.p99)}, max ${ms(t.lateness.max)}` : ''
    return `${t.topic.padEnd(12)} ${t.read} of ${t.expected}${late}`
  })
}
