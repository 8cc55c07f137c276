import { describe, expect, it } from 'bun:test'
import { metricsText } from '../../src/live/metrics.ts'
import { latenessHistogram, replayStatus, verifyStatus } from '../live-status.ts'
import { promtoolCheck } from '../prometheus.ts'

/** The text as lines, for a diff that names the line. */
const lines = (text: string) => text.split('\n')

/** Every line of /metrics for a running replay (test/live-status.ts). */
const REPLAY = [
  '# HELP opendt_replay_info The opendt-replay binary: its version, and the wire format of the run (always 1).',
  '# TYPE opendt_replay_info gauge',
  'opendt_replay_info{version="0.1.0",format="tasks-fragments"} 1',
  '# HELP opendt_replay_state Whether the replay is in this state (1) or not (0).',
  '# TYPE opendt_replay_state gauge',
  'opendt_replay_state{state="starting"} 0',
  'opendt_replay_state{state="waiting"} 0',
  'opendt_replay_state{state="running"} 1',
  'opendt_replay_state{state="stalled"} 0',
  'opendt_replay_state{state="interrupted"} 0',
  'opendt_replay_state{state="done"} 0',
  'opendt_replay_state{state="failed"} 0',
  '# HELP opendt_replay_messages_sent_total Messages handed to the output, per topic.',
  '# TYPE opendt_replay_messages_sent_total counter',
  'opendt_replay_messages_sent_total{stream="tasks",topic="tasks"} 1200',
  'opendt_replay_messages_sent_total{stream="fragments",topic="fragments"} 48000',
  '# HELP opendt_replay_messages_acknowledged_total Messages the output acknowledged (Kafka: the broker, with the acks asked for), per topic.',
  '# TYPE opendt_replay_messages_acknowledged_total counter',
  'opendt_replay_messages_acknowledged_total{stream="tasks",topic="tasks"} 1187',
  'opendt_replay_messages_acknowledged_total{stream="fragments",topic="fragments"} 47950',
  '# HELP opendt_replay_bytes_acknowledged_total Key and value bytes of the acknowledged messages, per topic.',
  '# TYPE opendt_replay_bytes_acknowledged_total counter',
  'opendt_replay_bytes_acknowledged_total{stream="tasks",topic="tasks"} 245301',
  'opendt_replay_bytes_acknowledged_total{stream="fragments",topic="fragments"} 6233500',
  '# HELP opendt_replay_lateness_seconds How late messages were handed to the output behind their schedule (paced runs).',
  '# TYPE opendt_replay_lateness_seconds histogram',
  'opendt_replay_lateness_seconds_bucket{le="0.0005"} 2',
  'opendt_replay_lateness_seconds_bucket{le="0.001"} 3',
  'opendt_replay_lateness_seconds_bucket{le="0.0025"} 4',
  'opendt_replay_lateness_seconds_bucket{le="0.005"} 4',
  'opendt_replay_lateness_seconds_bucket{le="0.01"} 4',
  'opendt_replay_lateness_seconds_bucket{le="0.025"} 4',
  'opendt_replay_lateness_seconds_bucket{le="0.05"} 4',
  'opendt_replay_lateness_seconds_bucket{le="0.1"} 4',
  'opendt_replay_lateness_seconds_bucket{le="0.25"} 4',
  'opendt_replay_lateness_seconds_bucket{le="0.5"} 4',
  'opendt_replay_lateness_seconds_bucket{le="1"} 4',
  'opendt_replay_lateness_seconds_bucket{le="2.5"} 4',
  'opendt_replay_lateness_seconds_bucket{le="5"} 4',
  'opendt_replay_lateness_seconds_bucket{le="10"} 4',
  'opendt_replay_lateness_seconds_bucket{le="30"} 5',
  'opendt_replay_lateness_seconds_bucket{le="+Inf"} 7',
  'opendt_replay_lateness_seconds_sum 159.00295',
  'opendt_replay_lateness_seconds_count 7',
  '# HELP opendt_replay_lateness_current_seconds How late the oldest message due but not handed to the output yet is now (0 when none is overdue).',
  '# TYPE opendt_replay_lateness_current_seconds gauge',
  'opendt_replay_lateness_current_seconds 0.0125',
  '# HELP opendt_replay_trace_time_seconds The trace instant acknowledged so far: every event before it is acknowledged (Unix seconds; absent before the first).',
  '# TYPE opendt_replay_trace_time_seconds gauge',
  'opendt_replay_trace_time_seconds 1665096600.5',
  '# HELP opendt_replay_trace_progress_ratio The fraction of the trace window acknowledged so far, 0 to 1.',
  '# TYPE opendt_replay_trace_progress_ratio gauge',
  'opendt_replay_trace_progress_ratio 0.25',
  '# HELP opendt_replay_stalled Whether the replay is stalled (1) or not (0): messages have waited for an acknowledgement longer than the notice time.',
  '# TYPE opendt_replay_stalled gauge',
  'opendt_replay_stalled 0',
  '# HELP opendt_replay_seconds_since_last_acknowledgement Wall seconds since the last acknowledgement (absent before the first).',
  '# TYPE opendt_replay_seconds_since_last_acknowledgement gauge',
  'opendt_replay_seconds_since_last_acknowledgement 0.25',
  '# HELP opendt_replay_retries_total Requests the Kafka producers retried.',
  '# TYPE opendt_replay_retries_total counter',
  'opendt_replay_retries_total 3',
  '# HELP opendt_replay_errors_total Errors the Kafka producers reported.',
  '# TYPE opendt_replay_errors_total counter',
  'opendt_replay_errors_total 1',
  '',
]

/** Every line for verify --follow before its first record: opendt_verify_*, no trace time, no last record. */
const VERIFY = [
  '# HELP opendt_replay_info The opendt-replay binary: its version, and the wire format of the run (always 1).',
  '# TYPE opendt_replay_info gauge',
  'opendt_replay_info{version="0.1.0",format="tasks-fragments"} 1',
  '# HELP opendt_verify_state Whether verify --follow is in this state (1) or not (0).',
  '# TYPE opendt_verify_state gauge',
  'opendt_verify_state{state="starting"} 0',
  'opendt_verify_state{state="waiting"} 1',
  'opendt_verify_state{state="running"} 0',
  'opendt_verify_state{state="stalled"} 0',
  'opendt_verify_state{state="interrupted"} 0',
  'opendt_verify_state{state="done"} 0',
  'opendt_verify_state{state="failed"} 0',
  '# HELP opendt_verify_records_read_total Records read, per topic.',
  '# TYPE opendt_verify_records_read_total counter',
  'opendt_verify_records_read_total{stream="tasks",topic="tasks"} 1200',
  'opendt_verify_records_read_total{stream="fragments",topic="fragments"} 48000',
  '# HELP opendt_verify_bytes_read_total Key and value bytes of the records read, per topic.',
  '# TYPE opendt_verify_bytes_read_total counter',
  'opendt_verify_bytes_read_total{stream="tasks",topic="tasks"} 245301',
  'opendt_verify_bytes_read_total{stream="fragments",topic="fragments"} 6233500',
  '# HELP opendt_verify_records_expected Messages of the replay that the topic should hold so far.',
  '# TYPE opendt_verify_records_expected gauge',
  'opendt_verify_records_expected{stream="tasks",topic="tasks"} 1200',
  'opendt_verify_records_expected{stream="fragments",topic="fragments"} 1201',
  '# HELP opendt_verify_records_matched_total Records read that hold a message of the replay not read before.',
  '# TYPE opendt_verify_records_matched_total counter',
  'opendt_verify_records_matched_total{stream="tasks",topic="tasks"} 1180',
  'opendt_verify_records_matched_total{stream="fragments",topic="fragments"} 1181',
  '# HELP opendt_verify_records_missing Messages of the replay that the topic should hold so far and no record read holds.',
  '# TYPE opendt_verify_records_missing gauge',
  'opendt_verify_records_missing{stream="tasks",topic="tasks"} 20',
  'opendt_verify_records_missing{stream="fragments",topic="fragments"} 20',
  '# HELP opendt_verify_records_duplicated_total Records read that hold a message of the replay already read.',
  '# TYPE opendt_verify_records_duplicated_total counter',
  'opendt_verify_records_duplicated_total{stream="tasks",topic="tasks"} 2',
  'opendt_verify_records_duplicated_total{stream="fragments",topic="fragments"} 2',
  "# HELP opendt_verify_records_changed_total Records read with a key of the replay's messages but a value none of them has.",
  '# TYPE opendt_verify_records_changed_total counter',
  'opendt_verify_records_changed_total{stream="tasks",topic="tasks"} 1',
  'opendt_verify_records_changed_total{stream="fragments",topic="fragments"} 1',
  "# HELP opendt_verify_records_foreign_total Records read that hold neither a message of the replay nor one of its messages' keys.",
  '# TYPE opendt_verify_records_foreign_total counter',
  'opendt_verify_records_foreign_total{stream="tasks",topic="tasks"} 4',
  'opendt_verify_records_foreign_total{stream="fragments",topic="fragments"} 5',
  '# HELP opendt_verify_lateness_seconds How late records arrived behind their schedule, as read (records with a due time).',
  '# TYPE opendt_verify_lateness_seconds histogram',
  'opendt_verify_lateness_seconds_bucket{le="0.0005"} 2',
  'opendt_verify_lateness_seconds_bucket{le="0.001"} 3',
  'opendt_verify_lateness_seconds_bucket{le="0.0025"} 4',
  'opendt_verify_lateness_seconds_bucket{le="0.005"} 4',
  'opendt_verify_lateness_seconds_bucket{le="0.01"} 4',
  'opendt_verify_lateness_seconds_bucket{le="0.025"} 4',
  'opendt_verify_lateness_seconds_bucket{le="0.05"} 4',
  'opendt_verify_lateness_seconds_bucket{le="0.1"} 4',
  'opendt_verify_lateness_seconds_bucket{le="0.25"} 4',
  'opendt_verify_lateness_seconds_bucket{le="0.5"} 4',
  'opendt_verify_lateness_seconds_bucket{le="1"} 4',
  'opendt_verify_lateness_seconds_bucket{le="2.5"} 4',
  'opendt_verify_lateness_seconds_bucket{le="5"} 4',
  'opendt_verify_lateness_seconds_bucket{le="10"} 4',
  'opendt_verify_lateness_seconds_bucket{le="30"} 5',
  'opendt_verify_lateness_seconds_bucket{le="+Inf"} 7',
  'opendt_verify_lateness_seconds_sum 159.00295',
  'opendt_verify_lateness_seconds_count 7',
  '# HELP opendt_verify_lateness_current_seconds How late the oldest record due but not read yet is now (0 when none is overdue).',
  '# TYPE opendt_verify_lateness_current_seconds gauge',
  'opendt_verify_lateness_current_seconds 0.0125',
  '# HELP opendt_verify_trace_time_seconds The trace instant read so far: every event before it is read (Unix seconds; absent before the first).',
  '# TYPE opendt_verify_trace_time_seconds gauge',
  '# HELP opendt_verify_trace_progress_ratio The fraction of the trace window read so far, 0 to 1.',
  '# TYPE opendt_verify_trace_progress_ratio gauge',
  'opendt_verify_trace_progress_ratio 0',
  "# HELP opendt_verify_stalled Whether verify --follow is stalled (1) or not (0); /status's stalled.reason says why.",
  '# TYPE opendt_verify_stalled gauge',
  'opendt_verify_stalled 0',
  '# HELP opendt_verify_seconds_since_last_record Wall seconds since the last record was read (absent before the first).',
  '# TYPE opendt_verify_seconds_since_last_record gauge',
  '# HELP opendt_verify_retries_total Requests the Kafka consumer retried.',
  '# TYPE opendt_verify_retries_total counter',
  'opendt_verify_retries_total 3',
  '# HELP opendt_verify_errors_total Errors the Kafka consumer reported.',
  '# TYPE opendt_verify_errors_total counter',
  'opendt_verify_errors_total 1',
  '',
]

/** The same text with `shard="0/2"` last in every series' labels. */
const sharded = (text: string) =>
  text.replace(/^([a-z_]+)(?:\{(.*)\})? /gm, (_, name, labels) => `${name}{${labels ? `${labels},` : ''}shard="0/2"} `)

describe('/metrics', () => {
  it('a running replay: every line', () => {
    expect(lines(metricsText(replayStatus(), latenessHistogram()))).toEqual(REPLAY)
  })

  it('verify --follow: opendt_verify_* with the check per topic, the unknowns left out', () => {
    expect(lines(metricsText(verifyStatus(), latenessHistogram()))).toEqual(VERIFY)
  })

  it('with a shard, every series carries it, last', () => {
    for (const [status, expected] of [
      [replayStatus(), REPLAY],
      [verifyStatus(), VERIFY],
    ] as const) {
      const text = metricsText(status, latenessHistogram(), { shard: '0/2' })
      expect(lines(text)).toEqual(lines(sharded(expected.join('\n'))))
      const series = lines(text).filter((l) => l !== '' && !l.startsWith('#'))
      expect(series.filter((l) => !l.includes(',shard="0/2"} ') && !l.includes('{shard="0/2"} '))).toEqual([])
    }
  })

  it('escapes label values as the format says: backslash, double quote, line feed', () => {
    const status = { ...replayStatus(), version: 'a\\b"c\nd' }
    expect(lines(metricsText(status, latenessHistogram()))[2]).toBe(
      'opendt_replay_info{version="a\\\\b\\"c\\nd",format="tasks-fragments"} 1',
    )
  })

  it('a stalled replay says so in the state and the stalled gauge', () => {
    const text = metricsText({ ...replayStatus(), state: 'stalled' }, latenessHistogram())
    expect(lines(text).filter((l) => /^opendt_replay_(state\{state="(running|stalled)"|stalled )/.test(l))).toEqual([
      'opendt_replay_state{state="running"} 0',
      'opendt_replay_state{state="stalled"} 1',
      'opendt_replay_stalled 1',
    ])
  })
})

describe("promtool check metrics (Prometheus's own parser and linter)", () => {
  it.each([
    ['a replay', replayStatus(), null],
    ['a sharded replay', replayStatus(), '0/2'],
    ['verify --follow', verifyStatus(), null],
    ['a sharded verify --follow', verifyStatus(), '1/2'],
  ] as const)('passes on %s, printing nothing', async (_, status, shard) => {
    const text = metricsText(status, latenessHistogram(), shard === null ? {} : { shard })
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: '' })
  })

  it('is not a check that passes everything: a counter without _total fails', async () => {
    const text = metricsText(replayStatus(), latenessHistogram()).replaceAll(
      'opendt_replay_retries_total',
      'opendt_replay_retries',
    )
    // promtool's exit code for lint problems (1 is for a text it cannot parse).
    expect(await promtoolCheck(text)).toEqual({
      code: 3,
      output: 'opendt_replay_retries counter metrics should have "_total" suffix\n',
    })
  })
})
