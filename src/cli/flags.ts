import { DC_MOCK_ENVIRONMENT } from '../formats/dc-mock/defaults.ts'
import { DEFAULT_FORMAT, FORMAT_FLAGS, FORMATS } from '../formats/index.ts'
import { OUTPUT_FLAGS } from '../outputs/index.ts'
import { type FlagValues, SHARD_CONTROLS } from '../types.ts'

/**
 * The commands and their flags, as citty defines them: names, defaults, value hints, the
 * descriptions `--help` shows and the group it shows each in (`group`; help.ts orders the groups).
 * What the values mean is decided in options.ts, and in outputs/ for the outputs' flags.
 */

/** Every format's own flags (its topics, its inputs), as citty defines flags, in its --help group: formats/ holds them. */
const formatArgs = Object.fromEntries(FORMAT_FLAGS.map((f) => [f.flag, { ...f.def, group: f.group }]))

export const replayArgs = {
  trace_dir: {
    type: 'positional',
    required: false,
    description: 'Folder with tasks.parquet and fragments.parquet (none: the built-in demo trace)',
  },
  tasks: {
    type: 'string',
    group: 'INPUT',
    valueHint: 'FILE',
    description: 'Tasks file (overrides TRACE_DIR/tasks.parquet)',
  },
  fragments: {
    type: 'string',
    group: 'INPUT',
    valueHint: 'FILE',
    description: 'Fragments file (overrides TRACE_DIR/fragments.parquet)',
  },
  ...OUTPUT_FLAGS,
  speed: {
    type: 'string',
    group: 'PACING',
    default: '10',
    valueHint: 'N|max',
    description: 'Trace seconds per wall second; 0.5 slows down, max sends without pacing',
  },
  from: {
    type: 'string',
    group: 'INPUT',
    valueHint: 'T',
    description: 'Window start: offset from the first task (90s, 30m, 2h, 1d) or ISO-8601 time',
  },
  to: { type: 'string', group: 'INPUT', valueHint: 'T', description: 'Window end, exclusive: offset or ISO-8601 time' },
  strict: {
    type: 'boolean',
    group: 'INPUT',
    description: 'Fail on fragments whose task is missing instead of skipping them',
  },
  format: {
    type: 'enum',
    group: 'OUTPUT',
    options: Object.keys(FORMATS),
    default: DEFAULT_FORMAT,
    description: `Wire format: ${Object.values(FORMATS)
      .map((f) => `${f.name}, ${f.summary}`)
      .join('; ')}`,
  },
  ...formatArgs,
  shard: {
    type: 'string',
    group: 'SCALE-OUT',
    valueHint: 'K/N',
    description:
      "Replay only the tasks whose key falls in shard K of N (Kafka's murmur2 of the key, as its partitioner), with their fragments",
  },
  'shard-control': {
    type: 'enum',
    group: 'SCALE-OUT',
    options: [...SHARD_CONTROLS],
    description:
      'With --shard: heartbeats and topology (dc-mock) from shard 0 only (default first), or from every shard',
  },
  'start-at': {
    type: 'string',
    group: 'SCALE-OUT',
    valueHint: 'TIME|+DURATION',
    description:
      'Release at this wall-clock instant (ISO-8601, or +30s from now), so processes on several machines start on one clock',
  },
  checkpoint: {
    type: 'string',
    group: 'KAFKA',
    valueHint: 'FILE',
    description: 'After each acknowledged batch, record atomically in FILE how far each stream got (Kafka output)',
  },
  resume: {
    type: 'boolean',
    group: 'KAFKA',
    description: 'Continue from --checkpoint FILE where the acknowledged messages end (same trace and flags)',
  },
  'max-lag': {
    type: 'string',
    group: 'PACING',
    valueHint: 'DURATION',
    description: 'Stop (exit 4) when a stream falls further behind its schedule than this, e.g. 5s',
  },
  'max-gap': {
    type: 'string',
    group: 'PACING',
    valueHint: 'DURATION',
    description: 'Shorten idle stretches of the trace (no message in either stream) longer than this to this, e.g. 10m',
  },
  'host-cpus': {
    type: 'string',
    group: 'WHAT-IF HARDWARE',
    valueHint: 'N',
    description:
      'What-if: replay as if every task ran on a host of N CPUs (with --host-mhz); durations follow the cycles',
  },
  'host-mhz': {
    type: 'string',
    group: 'WHAT-IF HARDWARE',
    valueHint: 'M',
    description: "What-if: the host CPUs' speed in MHz (with --host-cpus)",
  },
  'host-topology': {
    type: 'string',
    group: 'WHAT-IF HARDWARE',
    valueHint: 'FILE',
    description: "What-if: the host is an OpenDC topology.json's first host (coreCount x coreSpeed)",
  },
  'stats-interval': {
    type: 'string',
    group: 'REPORTING',
    default: '60s',
    valueHint: 'DURATION',
    description: 'When stderr is not a terminal: one progress line this often (on a terminal: live lines)',
  },
  quiet: { type: 'boolean', group: 'REPORTING', description: 'Only errors and the final summary on stderr' },
  'summary-json': {
    type: 'string',
    group: 'REPORTING',
    valueHint: 'FILE',
    description: 'Also write the final summary as JSON to FILE (counts, wall time, rates, lateness, exit reason)',
  },
  verbose: { type: 'boolean', group: 'REPORTING', description: 'Debug logs, and stack traces with errors' },
  http: {
    type: 'string',
    group: 'LIVE VIEW',
    valueHint: '[HOST:]PORT',
    description:
      'Serve the live page, /metrics, /status and /healthz on [HOST:]PORT (PORT alone: 127.0.0.1; 0: a free port)',
  },
  'stall-after': {
    type: 'string',
    group: 'LIVE VIEW',
    default: '30s',
    valueHint: 'DURATION',
    description: '/healthz answers 503 once the run has been stalled (no acknowledgement, or behind) this long',
  },
  'http-linger': {
    type: 'string',
    group: 'LIVE VIEW',
    default: '0s',
    valueHint: 'DURATION',
    description: 'After the run, keep serving its final status this long (a last scrape, a last look); Ctrl-C ends it',
  },
  report: {
    type: 'string',
    group: 'LIVE VIEW',
    valueHint: 'FILE.html',
    description: 'At the end (also after Ctrl-C or a failure), write a self-contained HTML report of the run',
  },
} as const

export const inspectArgs = {
  trace_dir: replayArgs.trace_dir,
  tasks: replayArgs.tasks,
  fragments: replayArgs.fragments,
  speed: {
    ...replayArgs.speed,
    description: 'Speed to estimate the replay time at (trace seconds per wall second, or max)',
  },
  json: { type: 'boolean', group: 'REPORTING', description: 'Print the report as JSON' },
  topology: {
    type: 'string',
    group: 'CAPACITY',
    valueHint: 'FILE',
    description:
      'Capacity: an OpenDC topology.json (hosts count x coreCount x coreSpeed); utilization is reported against it',
  },
  hosts: {
    type: 'string',
    group: 'CAPACITY',
    valueHint: 'K',
    description: 'Capacity: K hosts of --host-cpus x --host-mhz (instead of --topology)',
  },
  'host-cpus': replayArgs['host-cpus'],
  'host-mhz': replayArgs['host-mhz'],
  'host-topology': replayArgs['host-topology'],
  svg: {
    type: 'string',
    group: 'CAPACITY',
    valueHint: 'FILE',
    description:
      'Also draw the demand over trace time (per-minute mean and max, capacity, submissions per hour) as SVG',
  },
  verbose: replayArgs.verbose,
} as const

/**
 * Each replay flag's default, as its definition above writes it: options.ts falls back to these
 * when a caller's args lack a value (citty fills them in from the same definitions). The output's
 * flags read their own (outputs/<name>/).
 */
export const DEFAULTS = {
  speed: replayArgs.speed.default,
  'stats-interval': replayArgs['stats-interval'].default,
  'stall-after': replayArgs['stall-after'].default,
  'http-linger': replayArgs['http-linger'].default,
} as const

/** The replay's flags that shape its messages or reach Kafka: verify rebuilds the same replay. */
const SHARED_WITH_VERIFY = [
  'trace_dir',
  'tasks',
  'fragments',
  'brokers',
  'format',
  'from',
  'to',
  'strict',
  'host-cpus',
  'host-mhz',
  'host-topology',
  'shard',
  'shard-control',
  'client-id',
  'connect-timeout',
  'sasl',
  'sasl-username',
  'sasl-password-file',
  'tls',
  'tls-ca',
  'tls-cert',
  'tls-key',
] as const satisfies readonly (keyof typeof replayArgs)[]

export const verifyArgs = {
  // verify creates no topic: the replay's "created if missing" is dropped from its help.
  ...(Object.fromEntries(
    SHARED_WITH_VERIFY.map((flag) => [
      flag,
      { ...replayArgs[flag], description: replayArgs[flag].description.replace(', created if missing', '') },
    ]),
  ) as Pick<typeof replayArgs, (typeof SHARED_WITH_VERIFY)[number]>),
  ...Object.fromEntries(
    Object.entries(formatArgs).map(([flag, def]) => [
      flag,
      { ...def, description: def.description.replace(', created if missing', '') },
    ]),
  ),
  brokers: { ...replayArgs.brokers, description: 'Kafka bootstrap brokers to read from (default: $KAFKA_BROKERS)' },
  since: {
    type: 'string',
    group: 'READING',
    valueHint: 'OFFSET|TIME',
    description:
      'Read each partition from this offset, or from the first record at or after this ISO-8601 time (before 1970, and the default: the beginning)',
  },
  follow: {
    type: 'boolean',
    group: 'READING',
    description: "Read from the topics' ends while a replay runs, and measure how late each record arrives",
  },
  speed: {
    ...replayArgs.speed,
    description: "The replay's speed: the schedule of records without an opendt-due header is fitted with it",
  },
  json: { type: 'boolean', group: 'REPORTING', description: 'Print the report as JSON' },
  http: {
    type: 'string',
    group: 'REPORTING',
    valueHint: '[HOST:]PORT',
    description:
      'Serve the live page, /metrics, /status and /healthz on [HOST:]PORT (PORT alone: 127.0.0.1; 0: a free port)',
  },
  show: {
    type: 'string',
    group: 'READING',
    default: '5',
    valueHint: 'N',
    description: 'Differences shown per kind and topic',
  },
  quiet: { type: 'boolean', group: 'REPORTING', description: 'No progress on stderr' },
  verbose: replayArgs.verbose,
} as const

/** `dc-mock`: the replay's flags, over the settings OpenDT's config file and environment give (cli/opendt.ts). */
export const dcMockArgs = {
  ...replayArgs,
  trace_dir: {
    ...replayArgs.trace_dir,
    description: `Workload folder (default $WORKLOAD_DIR, else ${DC_MOCK_ENVIRONMENT.workloadDir})`,
  },
  config: {
    type: 'string',
    group: 'OPENDT',
    valueHint: 'FILE',
    description: "OpenDT's config file: speed, heartbeats, topic names and settings (default $CONFIG_FILE)",
  },
} as const

/**
 * A command's flag values as citty parses them, derived from its definitions above (types.ts
 * FlagValues). The index signature carries each format's own flags (formats/), read by name.
 */
export type ReplayArgs = FlagValues<typeof replayArgs>
export type VerifyArgs = FlagValues<typeof verifyArgs>
export type HealthcheckArgs = FlagValues<typeof healthcheckArgs>
export type InspectArgs = FlagValues<typeof inspectArgs>

/** `healthcheck`: where the replay to ask serves its live view (the same setting, and twin, as its --http). */
export const healthcheckArgs = {
  http: {
    ...replayArgs.http,
    group: 'LIVE VIEW',
    description:
      'Where the replay serves its live view: [HOST:]PORT as its --http (0.0.0.0 and :: are asked on this machine); default $OPENDT_REPLAY_HTTP',
  },
  timeout: {
    type: 'string',
    group: 'LIVE VIEW',
    default: '5s',
    valueHint: 'DURATION',
    description: 'How long to wait for the answer',
  },
} as const
