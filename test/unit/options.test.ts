import { describe, expect, it } from 'bun:test'
import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { dispatch } from '../../src/cli/dispatch.ts'
import type { ReplayArgs } from '../../src/cli/flags.ts'
import { toInspectOptions, toReplayOptions, toVerifyOptions } from '../../src/cli/options.ts'
import { EXIT_CODES, exitCodeLines, ReplayError } from '../../src/errors.ts'
import { temporaryFolders } from '../helpers.ts'

/** The replay flags of an argv, as the binary would parse them (environment twins included). */
async function replayArgs(argv: string[], env: Record<string, string> = {}) {
  const invocation = await dispatch(['replay', ...argv], { env, version: 'test', width: 80 })
  if (invocation.command !== 'replay') throw new Error(`not a replay: ${invocation.command}`)
  return invocation
}

async function failure(argv: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { args, outsideArgv } = await replayArgs(argv, env)
    toReplayOptions(args, { env, outsideArgv, read: () => 'PEM' })
  } catch (error) {
    expect(error).toBeInstanceOf(ReplayError)
    expect((error as ReplayError).exitCode).toBe(2)
    return (error as Error).message
  }
  throw new Error(`no error for ${argv.join(' ')}`)
}

describe('flags to options: one line naming the flag and the value, bad input', () => {
  it.each([
    [
      ['no/such/dir', '--dry-run'],
      'no/such/dir: no such directory (TRACE_DIR must hold tasks.parquet and fragments.parquet)',
    ],
    [
      ['test/fixtures/bad/null/tasks.parquet', '--dry-run'],
      'test/fixtures/bad/null/tasks.parquet: not a directory (TRACE_DIR must hold tasks.parquet and fragments.parquet)',
    ],
    [['--dry-run', '--speed', 'fast'], '--speed: expected a positive number or "max", got "fast"'],
    [
      ['--dry-run', '--from', 'yesterday'],
      '--from: expected an offset like 90s, 30m, 2h, 1d or an ISO-8601 time, got "yesterday"',
    ],
    [['--dry-run', '--from', '2h', '--to', '1h'], '--from 2h is not before --to 1h: the window is empty'],
    [
      ['--dry-run', '--max-gap', '2022-10-08'],
      '--max-gap: expected a duration like 500ms, 30s or 2m, got "2022-10-08"',
    ],
    [['--dry-run', '--stats-interval', '0'], '--stats-interval: must be longer than 0, got "0"'],
    [['--dry-run', '--frobnicate'], 'unknown option --frobnicate (see opendt-replay replay --help)'],
    [[], 'no output chosen: pass --brokers HOST:PORT (or set KAFKA_BROKERS) to send to Kafka, or --dry-run for stdout'],
    [['--dry-run', '--brokers', 'localhost:9092'], '--brokers and --dry-run exclude each other: pick Kafka or stdout'],
    // Kafka's own flags on a dry run: meaningless, yet a malformed one is refused as with Kafka.
    [['--dry-run', '--batch-size', '0'], '--batch-size: expected a size in bytes like 16384, 64k or 1m, got "0"'],
    [['--dry-run', '--linger', 'abc'], '--linger: expected a duration like 500ms, 30s or 2m, got "abc"'],
    [['--dry-run', '--compression', 'bogus'], '--compression: expected none, gzip, snappy, lz4 or zstd, got "bogus"'],
    [['--dry-run', '--acks', '2'], '--acks: expected all, 1 or 0, got "2"'],
    [['--dry-run', '--partitions', '0'], '--partitions: expected a whole number of at least 1, got "0"'],
    [
      ['--dry-run', '--checkpoint', 'cp.json'],
      '--checkpoint needs Kafka output (--brokers): a dry-run has nothing to resume',
    ],
    [['--brokers', 'k:9092', '--resume'], '--resume needs --checkpoint FILE'],
    [['--brokers', 'localhost'], '--brokers: "localhost" is not HOST:PORT'],
    [['--brokers', 'localhost:99999'], '--brokers: "localhost:99999": port 99999 is not between 1 and 65535'],
    [
      ['--brokers', 'k:9092', '--acks', '1'],
      '--acks 1 needs --no-idempotent (the idempotent producer waits for all replicas)',
    ],
    [['--brokers', 'k:9092', '--acks', 'some'], '--acks: expected all, 1 or 0, got "some"'],
    [['--brokers', 'k:9092', '--partitions', '0'], '--partitions: expected a whole number of at least 1, got "0"'],
    [
      ['--brokers', 'k:9092', '--replication-factor', 'x'],
      '--replication-factor: expected a whole number of at least 1, got "x"',
    ],
    [['--brokers', 'k:9092', '--record-time', 'now'], '--record-time: expected send or trace, got "now"'],
    [
      ['--brokers', 'k:9092', '--tasks-topic', 'a b'],
      '--tasks-topic: "a b" is not a valid topic name (letters, digits, . _ -; not . or ..)',
    ],
    [
      ['--dry-run', '--format', 'dc-mock', '--power-topic', '..'],
      '--power-topic: ".." is not a valid topic name (letters, digits, . _ -; not . or ..)',
    ],
    [
      ['--dry-run', '--tasks-topic', 'x'.repeat(250)],
      '--tasks-topic: a topic name has at most 249 characters, got 250',
    ],
    [
      ['--dry-run', '--topology', 'topology.json'],
      "--topology is a --format dc-mock flag; this run's format is tasks-fragments",
    ],
    [
      ['--dry-run', '--format', 'dc-mock', '--tasks-topic', 't'],
      "--tasks-topic is a --format tasks-fragments flag; this run's format is dc-mock",
    ],
    [
      ['--dry-run', '--format', 'dc-mock', '--workload-topic', 'w', '--power-topic', 'w'],
      '--workload-topic and --power-topic are both "w": use a topic per stream',
    ],
    [
      ['--dry-run', '--format', 'dc-mock', '--heartbeat', '0.1ms'],
      '--heartbeat: 0.1ms is under 1ms (0 turns heartbeats off)',
    ],
    [
      ['--dry-run', '--format', 'dc-mock', '--topology-interval', '0'],
      '--topology-interval: must be at least 1ms, got "0"',
    ],
    [['--dry-run', '--shard', '3/3'], '--shard: expected K/N with 0 <= K < N (0/3, 1/3, 2/3), got "3/3"'],
    [['--dry-run', '--shard', '1'], '--shard: expected K/N with 0 <= K < N (0/3, 1/3, 2/3), got "1"'],
    [['--dry-run', '--shard-control', 'all'], '--shard-control needs --shard K/N'],
    [['--dry-run', '--shard', '0/2', '--shard-control', 'some'], '--shard-control: expected first or all, got "some"'],
    [['--dry-run', '--shard', '0/2'], '--shard needs a trace (TRACE_DIR): the demo is not sharded'],
    [
      ['--dry-run', '--start-at', '90s'],
      '--start-at: expected an ISO-8601 time (2026-11-26T15:00:00Z) or +DURATION (+30s), got "90s"',
    ],
    [
      ['--dry-run', '--format', 'dc-mock', '--power-offset', '-x'],
      '--power-offset: expected a duration like 500ms, 30s or 2m, got "x"',
    ],
    [
      ['--brokers', 'k:9092', '--fragments-topic', 'tasks'],
      '--tasks-topic and --fragments-topic are both "tasks": use a topic per stream',
    ],
    [
      ['--brokers', 'k:9092', '--send-retries', '0'],
      '--send-retries 0 needs --no-idempotent (the idempotent producer must retry)',
    ],
    [['--brokers', 'k:9092', '--send-retries', '-1'], '--send-retries: expected a whole number, got "-1"'],
    [
      ['--brokers', 'k:9092', '--connect-timeout', 'soon'],
      '--connect-timeout: expected a duration like 500ms, 30s or 2m, got "soon"',
    ],
    [
      ['--brokers', 'k:9092', '--batch-size', '1.5m'],
      '--batch-size: expected a size in bytes like 16384, 64k or 1m, got "1.5m"',
    ],
    [
      ['--brokers', 'k:9092', '--batch-size', '0'],
      '--batch-size: expected a size in bytes like 16384, 64k or 1m, got "0"',
    ],
    [['--brokers', 'k:9092', '--batch-size', '101m'], '--batch-size: at most 104857600 bytes, got "101m"'],
    [['--brokers', 'k:9092', '--linger', '5'], '--linger: expected a duration like 500ms, 30s or 2m, got "5"'],
    [
      ['--brokers', 'k:9092', '--sasl', 'kerberos'],
      '--sasl: expected plain, scram-sha-256 or scram-sha-512, got "kerberos"',
    ],
    [['--brokers', 'k:9092', '--sasl', 'plain'], '--sasl plain needs --sasl-username'],
    [
      ['--brokers', 'k:9092', '--sasl', 'plain', '--sasl-username', 'u'],
      '--sasl plain needs a password: set KAFKA_SASL_PASSWORD or pass --sasl-password-file FILE',
    ],
    [
      ['--brokers', 'k:9092', '--sasl-username', 'u'],
      '--sasl-username and --sasl-password-file need --sasl plain|scram-sha-256|scram-sha-512',
    ],
    [['--brokers', 'k:9092', '--tls-cert', 'c.pem'], '--tls-cert and --tls-key go together'],
    [
      ['--brokers', 'k:9092', '--tls-ca', 'ca.pem'],
      '--tls-ca: ca.pem is not a PEM certificate (-----BEGIN CERTIFICATE-----)',
    ],
    [
      ['--brokers', 'k:9092', '--no-idempotent', '--acks', 'constructor'],
      '--acks: expected all, 1 or 0, got "constructor"',
    ],
    [
      ['--brokers', 'k:9092', '--no-idempotent', '--acks', '__proto__'],
      '--acks: expected all, 1 or 0, got "__proto__"',
    ],
    [['--dry-run', '--speed', '-1'], '--speed: expected a positive number or "max", got "-1"'],
    [['--dry-run', '--from', '-1s'], '--from: expected an offset like 90s, 30m, 2h, 1d or an ISO-8601 time, got "-1s"'],
    [['--dry-run', '--summary-json', '/'], '--summary-json: / is a directory'],
    [
      ['--dry-run', '--summary-json', '/no/such/folder/s.json'],
      '--summary-json: /no/such/folder/s.json: the folder /no/such/folder does not exist (it is not created)',
    ],
    // The edges an outside sweep found past the checks (issue 19).
    [['--dry-run', '--to', '0s'], '--from 0 (the trace start, by default) is not before --to 0s: the window is empty'],
    [['--dry-run', '--start-at', '+8d'], '--start-at: +8d is 8.0 days ahead; a start may be at most 7 days ahead'],
    [
      ['--dry-run', '--start-at', '+99999999d'],
      '--start-at: +99999999d is 99999999.0 days ahead; a start may be at most 7 days ahead',
    ],
    [['--dry-run', '--shard', '0/1000001'], '--shard: N is at most 1000000, got "0/1000001"'],
    [
      ['--dry-run', '--max-gap', '99999999999999d'],
      '--max-gap: 99999999999999d is beyond the range of dates (8640000000000000 ms)',
    ],
    [
      ['--brokers', 'k:9092', '--partitions', '2147483648'],
      `--partitions: at most 2147483647 (Kafka's limit), got "2147483648"`,
    ],
    [
      ['--brokers', 'k:9092', '--replication-factor', '32768'],
      `--replication-factor: at most 32767 (Kafka's limit), got "32768"`,
    ],
    [
      ['--dry-run', '--host-cpus', '99999999999999999999', '--host-mhz', '3000'],
      `--host-cpus: at most 2147483647 (OpenDC's CPU count), got "99999999999999999999"`,
    ],
  ])('%j', async (argv, message) => {
    expect(await failure(argv)).toBe(message)
  })

  it('--start-at a year ahead as an instant is refused too, naming the days', async () => {
    const next = new Date(Date.now() + 365 * 86_400_000).toISOString()
    expect(await failure(['--dry-run', '--start-at', next])).toMatch(
      /^--start-at: \S+ is 36[45]\.\d days ahead; a start may be at most 7 days ahead$/,
    )
  })

  it.each([
    [
      '{"clusters":[{"hosts":[{"cpu":{"coreCount":2.5,"coreSpeed":2100}}]}]}',
      'clusters[0].hosts[0].cpu.coreCount: expected a whole number from 1 to 2147483647, got 2.5',
    ],
    [
      '{"clusters":[{"hosts":[{"cpu":{"coreCount":2,"coreSpeed":1e400}}]}]}',
      "clusters[0].hosts[0].cpu.coreSpeed: expected a positive number, got a number beyond a double's range",
    ],
    [
      '{"clusters":[{"hosts":[{"count":3,"cpu":{"coreCount":2,"coreSpeed":1e308}}]}]}',
      "clusters[0].hosts[0]: count x coreCount x coreSpeed is beyond a double's range",
    ],
  ])('--host-topology %s', async (json, message) => {
    const { args, outsideArgv } = await replayArgs(['--dry-run', '--host-topology', 'h.json'])
    expect(() => toReplayOptions(args, { env: {}, outsideArgv, read: () => json })).toThrow(`h.json: ${message}`)
  })

  it.each([
    [
      { OPENDT_REPLAY_DRY_RUN: '1', OPENDT_REPLAY_SPEED: 'fast' },
      'OPENDT_REPLAY_SPEED: expected a positive number or "max", got "fast"',
    ],
    [
      { OPENDT_REPLAY_DRY_RUN: '1', OPENDT_REPLAY_TO: 'later' },
      'OPENDT_REPLAY_TO: expected an offset like 90s, 30m, 2h, 1d or an ISO-8601 time, got "later"',
    ],
    [
      { OPENDT_REPLAY_BROKERS: 'k:9092', OPENDT_REPLAY_ACKS: 'some' },
      'OPENDT_REPLAY_ACKS: expected all, 1 or 0, got "some"',
    ],
    [{ OPENDT_REPLAY_BROKERS: 'k' }, 'OPENDT_REPLAY_BROKERS: "k" is not HOST:PORT'],
    [{ KAFKA_BROKERS: 'k' }, 'KAFKA_BROKERS: "k" is not HOST:PORT'],
    [{ OPENDT_REPLAY_DRY_RUN: 'maybe' }, 'OPENDT_REPLAY_DRY_RUN: expected 1/true/yes or 0/false/no, got "maybe"'],
  ])('a value from the environment names its variable: %j', async (env, message) => {
    expect(await failure([], env)).toBe(message)
  })

  it('maps a full set of Kafka flags', async () => {
    const argv = [
      '--brokers',
      'a:1,b:2',
      '--acks',
      '0',
      '--no-idempotent',
      '--partitions',
      '3',
      '--record-time',
      'trace',
    ]
    const { args } = await replayArgs([
      ...argv,
      '--speed',
      '100',
      '--from',
      '1d',
      '--max-lag',
      '5s',
      '--tls-ca',
      'ca.pem',
      '--batch-size',
      '64k',
      '--linger',
      '20ms',
    ])
    const pem = (path: string) => `-----BEGIN CERTIFICATE-----\n${path}\n-----END CERTIFICATE-----\n`
    const { options, demo } = toReplayOptions(args, { read: pem })
    expect(demo).toBe(true)
    expect(options).toEqual({
      spec: {
        trace: { demo: true },
        format: 'tasks-fragments',
        formatOptions: undefined,
        from: { offset: 86_400_000 },
        to: undefined,
        strict: false,
        maxGapMs: undefined,
      },
      speed: 100,
      // Only the format's own streams have topics.
      topics: { tasks: 'tasks', fragments: 'fragments' },
      output: {
        kind: 'kafka',
        config: {
          brokers: ['a:1', 'b:2'],
          clientId: 'opendt-replay',
          acks: 0,
          idempotent: false,
          recordTime: 'trace',
          connectTimeoutMs: 30_000,
          sendRetries: 8,
          compression: 'none',
          batchBytes: 65_536,
          lingerMs: 20,
          sasl: undefined,
          tls: { ca: pem('ca.pem'), cert: undefined, key: undefined },
          partitions: 3,
          replicationFactor: 1,
        },
      },
      verbose: false,
      quiet: false,
      statsIntervalMs: 60_000,
      maxLagMs: 5_000,
      stallAfterMs: 30_000,
      httpLingerMs: 0,
    })
  })

  it('inspect needs a trace', () => {
    expect(() => toInspectOptions({} as ReplayArgs)).toThrow(
      'inspect needs a trace: pass TRACE_DIR (or --tasks and --fragments)',
    )
    expect(toInspectOptions({ tasks: 'x/tasks.parquet', speed: 'max' }) as unknown).toEqual({
      trace: { demo: false, tasks: 'x/tasks.parquet', fragments: 'x/fragments.parquet' },
      speed: Infinity,
      json: false,
      formats: { 'dc-mock': { powerOffsetMs: 0 } },
    })
  })
})

describe('verify: the replay its flags define, and where to read', () => {
  const temporaryFolder = temporaryFolders()
  async function verifyOptions(argv: string[], env: Record<string, string> = {}) {
    const invocation = await dispatch(['verify', ...argv], { env, version: 'test', width: 80 })
    if (invocation.command !== 'verify') throw new Error(`not verify: ${invocation.command}`)
    return toVerifyOptions(invocation.args, { env, outsideArgv: invocation.outsideArgv }).options
  }

  it('reads the same flags as replay, and its own', async () => {
    const options = await verifyOptions([
      'test/fixtures/v2-int-ids',
      '--brokers',
      'k1:9092',
      '--from',
      '1h',
      '--fragments-topic',
      'f',
      '--since',
      '2026-11-26T15:00:00Z',
      '--show',
      '3',
      '--json',
    ])
    expect([options.spec.from, options.topics.fragments, options.config.brokers]).toEqual([
      { offset: 3_600_000 },
      'f',
      ['k1:9092'],
    ])
    expect([options.from, options.follow, options.shown, options.json]).toEqual([
      { time: Date.parse('2026-11-26T15:00:00Z') },
      false,
      3,
      true,
    ])
    const following = await verifyOptions(['--brokers', 'k:9092', '--follow', '--speed', '100'])
    expect([following.follow, following.speed, following.from]).toEqual([true, 100, { earliest: true }])
    expect((await verifyOptions(['--since', '1500'], { KAFKA_BROKERS: 'k:9092' })).from).toEqual({ offset: 1500 })
    // As --from reads a time: without a zone it is UTC.
    expect((await verifyOptions(['--brokers', 'k:9092', '--since', '2026-11-26T15:00:00'])).from).toEqual({
      time: Date.parse('2026-11-26T15:00:00Z'),
    })
    expect((await verifyOptions(['--brokers', 'k:9092'])).from).toEqual({ earliest: true })
    // Before 1970 (Kafka's -1 and -2 are "latest" and "earliest", other negatives refused): every
    // record is at or after it, so the read starts at the beginning; 1970 itself is a time.
    for (const [since, from] of [
      ['1969-12-31T23:59:59.999Z', { earliest: true }],
      ['1969-12-31T23:59:59.998Z', { earliest: true }],
      ['1960-01-01T00:00:00Z', { earliest: true }],
      ['0001-01-01', { earliest: true }],
      ['1970-01-01T00:00:00Z', { time: 0 }],
    ] as const) {
      expect([since, (await verifyOptions(['--brokers', 'k:9092', '--since', since])).from]).toEqual([since, from])
    }
  })

  it('--http: the address as given and how it was named, and the capacity the live view draws', async () => {
    const folder = temporaryFolder('opendt-capacity-')
    for (const file of ['tasks.parquet', 'fragments.parquet'])
      copyFileSync(join('test/fixtures/v2-int-ids', file), join(folder, file))
    const hosts = (count: number, coreCount: number, coreSpeed: number) =>
      JSON.stringify({ clusters: [{ hosts: [{ count, cpu: { coreCount, coreSpeed } }] }] })
    const brokers = ['--brokers', 'k:9092']
    expect(await verifyOptions([folder, ...brokers])).not.toContainKey('http')
    const none = await verifyOptions([folder, ...brokers], { OPENDT_REPLAY_HTTP: '8080' })
    expect([none.http, none.capacity]).toEqual([{ listen: '8080', flag: 'OPENDT_REPLAY_HTTP' }, null])
    writeFileSync(join(folder, 'topology.json'), hosts(277, 16, 2100))
    const beside = await verifyOptions([folder, ...brokers, '--http', '0'])
    expect([beside.http, beside.capacity]).toEqual([
      { listen: '0', flag: '--http' },
      { mhz: 277 * 16 * 2100, source: `${join(folder, 'topology.json')}: 277 hosts x 16 cores x 2100 MHz` },
    ])
    const whatIf = join(folder, 'what-if.json')
    writeFileSync(whatIf, hosts(10, 64, 3000))
    expect((await verifyOptions([folder, ...brokers, '--http', '0', '--host-topology', whatIf])).capacity).toEqual({
      mhz: 10 * 64 * 3000,
      source: `${whatIf}: 10 hosts x 64 cores x 3000 MHz`,
    })
    expect(
      (await verifyOptions([folder, ...brokers, '--http', '0', '--host-cpus', '4', '--host-mhz', '2500'])).capacity,
    ).toEqual({
      mhz: 277 * 4 * 2500,
      source: `${join(folder, 'topology.json')}'s 277 hosts as what-if hosts of 4 x 2500 MHz`,
    })
    // One beside the trace that is no topology: none, and verify goes on.
    writeFileSync(join(folder, 'topology.json'), '{"clusters": []}')
    expect((await verifyOptions([folder, ...brokers, '--http', '0'])).capacity).toBeNull()
  })

  it.each([
    [[], 'verify needs the brokers to read from: --brokers HOST:PORT (or KAFKA_BROKERS)'],
    [
      ['--brokers', 'k:9092', '--since', 'yesterday'],
      '--since: expected an offset (0, 1500) or an ISO-8601 time (2026-11-26T15:00:00Z), got "yesterday"',
    ],
    [['--brokers', 'k:9092', '--show', '0'], '--show: expected a whole number of at least 1, got "0"'],
    [
      ['--brokers', 'k:9092', '--since', '2022-02-30'],
      '--since: expected an offset (0, 1500) or an ISO-8601 time (2026-11-26T15:00:00Z), got "2022-02-30"',
    ],
    [
      ['--brokers', 'k:9092', '--follow', '--since', '0'],
      "--since and --follow exclude each other: --follow reads from the topics' ends",
    ],
    [['--brokers', 'k:9092', '--acks', '1'], 'unknown option --acks (see opendt-replay verify --help)'],
    [
      ['--brokers', 'k:9092', '--since', '9007199254740993'],
      '--since: an offset is at most 9007199254740991, got "9007199254740993"',
    ],
  ])('%p fails: %s', async (argv, message) => {
    await expect(verifyOptions(argv)).rejects.toThrow(message)
  })
})

describe('dispatch', () => {
  it('help and version are texts to print; an unknown command is bad input', async () => {
    expect(await dispatch(['--version'], { env: {}, version: 'opendt-replay 9', width: 80 })).toEqual({
      command: 'print',
      text: 'opendt-replay 9\n',
    })
    const help = await dispatch(['inspect', '--help'], { env: {}, version: '', width: 80 })
    expect(help.command === 'print' && help.text.includes('EXIT CODES') && !help.text.includes('\x1b[')).toBe(true)
    await expect(dispatch(['frob'], { env: {}, version: '', width: 80 })).rejects.toThrow(
      'unknown command "frob" (commands: replay, inspect, verify, dc-mock, healthcheck; see opendt-replay --help)',
    )
  })
})

describe('the exit codes --help lists', () => {
  it('are the codes the taxonomy gives, each listed once', () => {
    const listed = exitCodeLines('replay')
      .flatMap(([codes]) => codes.split('/').map(Number))
      .sort((a, b) => a - b)
    expect(listed).toEqual([...new Set(Object.values(EXIT_CODES))].sort((a, b) => a - b))
  })

  it("verify's: every code but --max-lag's, in verify's meaning", () => {
    expect(exitCodeLines('verify').map(([codes]) => codes)).toEqual(['0', '1', '2', '3', '5', '6', '130/143', '141'])
    expect(exitCodeLines('verify')[1]).toEqual(['1', 'they do not (or an internal error)'])
  })
})

describe('a topology nested 100,000 levels deep', () => {
  it('is refused by its depth, not a stack overflow', async () => {
    const deep = `{"clusters":[{"hosts":[{"cpu":{"coreCount":${'['.repeat(100_000)}${']'.repeat(100_000)},"coreSpeed":1}}]}]}`
    const { args, outsideArgv } = await replayArgs(['--dry-run', '--host-topology', 'deep.json'])
    expect(() => toReplayOptions(args, { env: {}, outsideArgv, read: () => deep })).toThrow(
      'deep.json: nested deeper than 256 levels',
    )
  })
})
