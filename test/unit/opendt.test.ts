import { describe, expect, it } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dispatch } from '../../src/cli/dispatch.ts'
import { openDtLayer, parseOpenDtConfig } from '../../src/cli/opendt.ts'
import { toReplayOptions } from '../../src/cli/options.ts'
import { ROOT, temporaryFolders } from '../helpers.ts'

const tempDir = temporaryFolders()

/**
 * OpenDT's configuration as a source of options: its config files (in the shape of OpenDT's
 * config/default.yaml and config/experiments/experiment_{1,2}.yaml, written here), hostile
 * variants with their exact lines, and the precedence of flags and twins over it.
 */

/** OpenDT's config files as they are (atlarge-research/opendt config/, copied into the fixtures). */
const FIXTURES = join(ROOT, 'test/fixtures/opendt-config')
const DEFAULT_YAML = readFileSync(join(FIXTURES, 'default.yaml'), 'utf8')
const EXPERIMENT_1 = readFileSync(join(FIXTURES, 'experiment_1.yaml'), 'utf8')
const EXPERIMENT_2 = readFileSync(join(FIXTURES, 'experiment_2.yaml'), 'utf8')

const PATH = '/app/config.yaml'
const topicsOf = (text: string) => Object.fromEntries(parseOpenDtConfig(PATH, text).topics)
/** The least that OpenDT's models take, with dc-mock's three topics, and `extra` spliced in. */
const minimal = (global: string, dcMock = '{workload: SURF}', topics = '') =>
  `global: ${global}\nservices:\n  dc-mock: ${dcMock}\n  simulator: {background_load_nodes: 0}\n` +
  `kafka:\n  topics:\n    workload: {name: dc.workload}\n    power: {name: dc.power}\n    topology: {name: dc.topology}\n${topics}`

describe("OpenDT's config files as they are", () => {
  const expectedTopics = {
    workload: { name: 'dc.workload', partitions: 1, replicationFactor: 1, configs: { 'retention.ms': '86400000' } },
    power: { name: 'dc.power', partitions: 1, replicationFactor: 1, configs: { 'retention.ms': '3600000' } },
    topology: {
      name: 'dc.topology',
      partitions: 1,
      replicationFactor: 1,
      configs: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '3600000' },
    },
    system: { name: 'sys.config', partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } },
    sim_topology: {
      name: 'sim.topology',
      partitions: 1,
      replicationFactor: 1,
      configs: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0' },
    },
    results: { name: 'sim.results', partitions: 1, replicationFactor: 1, configs: { 'retention.ms': '604800000' } },
  }

  it('default.yaml: real time, heartbeats every minute, its six topics', () => {
    const config = parseOpenDtConfig(PATH, DEFAULT_YAML)
    expect([config.speed, config.heartbeatMinutes]).toEqual([1, 1n])
    expect(topicsOf(DEFAULT_YAML)).toEqual(expectedTopics)
  })

  it('experiment_1.yaml and experiment_2.yaml (a calibrator section): 300x', () => {
    for (const text of [EXPERIMENT_1, EXPERIMENT_2]) {
      const config = parseOpenDtConfig(PATH, text)
      expect([config.speed, config.heartbeatMinutes]).toEqual([300, 1n])
      expect(topicsOf(text)).toEqual(expectedTopics)
    }
  })

  it('-1 (and infinity, which dc-mock runs alike) is max speed; the aliases; what pydantic coerces', () => {
    const config = parseOpenDtConfig(
      PATH,
      minimal(
        '{speed_factor: "-1"}',
        '{workload: SURF, heartbeat_frequency_minutes: "5"}',
        '    other: {name: w, partitions: 3, replication_factor: 2.0, config: {retention.ms: "1000"}}\n',
      ),
    )
    expect([config.speed, config.heartbeatMinutes, config.topics.get('other')]).toEqual([
      Infinity,
      5n,
      { name: 'w', partitions: 3, replicationFactor: 2, configs: { 'retention.ms': '1000' } },
    ])
    expect(parseOpenDtConfig(PATH, minimal('{speed_factor: .inf}')).speed).toBe(Infinity)
    const aliased = parseOpenDtConfig(
      PATH,
      minimal('{}', '{workload: SURF}')
        .replace('global:', 'global_config: {speed_factor: 4}\nx:')
        .replace('dc-mock:', 'dc_mock: {workload: S, heartbeat_frequency_minutes: 6}\n  y:'),
    )
    expect([aliased.speed, aliased.heartbeatMinutes, aliased.keys]).toEqual([
      4,
      6n,
      { speed: 'global_config.speed_factor', heartbeat: 'services.dc_mock.heartbeat_frequency_minutes' },
    ])
    // Nothing we use: OpenDT's defaults apply later (speed 10, heartbeat 1 minute).
    const bare = parseOpenDtConfig(PATH, minimal('{}'))
    expect([bare.speed, bare.heartbeatMinutes, bare.topics.size]).toEqual([undefined, undefined, 3])
  })
})

/** The refusals of parseOpenDtConfig beyond OpenDT's models (those are opendt-reference.test.ts's). */
describe('broken config files: one line naming the file, the key and the value', () => {
  const cases: [string, string][] = [
    ['global: [\n', `${PATH}: invalid YAML: YAML Parse error: Unexpected token`],
    [
      minimal('{speed_factor: .nan}'),
      `${PATH}: global.speed_factor: .nan is refused: OpenDT reads it as NaN, and its dc-mock then fails at its first pause (Python's time.sleep refuses NaN)`,
    ],
    [
      minimal('{speed_factor: "nan"}'),
      `${PATH}: global.speed_factor: "nan" is refused: OpenDT reads it as NaN, and its dc-mock then fails at its first pause (Python's time.sleep refuses NaN)`,
    ],
    [
      minimal('{}', undefined, '    p: {name: p, partitions: 2147483648}\n'),
      `${PATH}: kafka.topics.p.partitions: expected a whole number above 0, at most 2147483647 (Kafka's limit), got 2147483648`,
    ],
    [
      minimal('{}', undefined, '    p: {name: p, replication_factor: 40000}\n'),
      `${PATH}: kafka.topics.p.replication_factor: expected a whole number above 0, at most 32767 (Kafka's limit), got 40000`,
    ],
    [
      minimal('{}', '{workload: SURF, heartbeat_frequency_minutes: 010}'),
      `${PATH}: services.dc-mock.heartbeat_frequency_minutes: 010 is 8 to OpenDT's YAML reader (PyYAML, YAML 1.1), and 10 to ours (YAML 1.2); refused rather than guessed: write it so both read it alike`,
    ],
  ]
  for (const [text, line] of cases) {
    it(JSON.stringify(text.slice(0, 60)), () => {
      expect(() => parseOpenDtConfig(PATH, text)).toThrow(line)
    })
  }
})

describe('the layer: OpenDT settings under the command line and the twins', () => {
  const config = parseOpenDtConfig(PATH, EXPERIMENT_1)
  const env = { WORKLOAD_DIR: '/w', KAFKA_BOOTSTRAP_SERVERS: 'kafka:29092' }

  it('alone: every setting from OpenDT, and where it came from', () => {
    const layer = openDtLayer({ configPath: PATH, config, env, given: new Set(), traceGiven: false })
    expect(layer.settings.map((s) => `--${s.flag}=${s.value}`)).toEqual([
      '--format=dc-mock',
      '--brokers=kafka:29092',
      '--speed=300',
      '--heartbeat=1m',
      '--workload-topic=dc.workload',
      '--power-topic=dc.power',
      '--topology-topic=dc.topology',
    ])
    expect(layer.traceDir).toEqual({ value: '/w', source: 'WORKLOAD_DIR' })
    expect(layer.lines).toEqual([
      "--format dc-mock: OpenDT's dc-mock",
      'TRACE_DIR /w: WORKLOAD_DIR',
      '--brokers kafka:29092: KAFKA_BOOTSTRAP_SERVERS',
      '--speed 300: /app/config.yaml: global.speed_factor',
      '--heartbeat 1m: /app/config.yaml: services.dc-mock.heartbeat_frequency_minutes',
      '--workload-topic dc.workload: /app/config.yaml: kafka.topics.workload.name',
      '--power-topic dc.power: /app/config.yaml: kafka.topics.power.name',
      '--topology-topic dc.topology: /app/config.yaml: kafka.topics.topology.name',
    ])
    expect(Object.fromEntries(layer.topics)).toEqual({
      'dc.workload': {
        partitions: 1,
        replicationFactor: 1,
        configs: { 'retention.ms': '86400000' },
        source: `${PATH}: kafka.topics.workload`,
      },
      'dc.power': {
        partitions: 1,
        replicationFactor: 1,
        configs: { 'retention.ms': '3600000' },
        source: `${PATH}: kafka.topics.power`,
      },
      'dc.topology': {
        partitions: 1,
        replicationFactor: 1,
        configs: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '3600000' },
        source: `${PATH}: kafka.topics.topology`,
      },
    })
  })

  it("flags win: a given flag is left alone, and its topic keeps the run's own partitions", () => {
    const given = new Set(['speed', 'power-topic', 'partitions', 'dry-run'])
    const layer = openDtLayer({ configPath: PATH, config, env: {}, given, traceGiven: true })
    expect(layer.settings.map((s) => s.flag)).toEqual(['format', 'heartbeat', 'workload-topic', 'topology-topic'])
    expect(layer.lines).toEqual([
      "--format dc-mock: OpenDT's dc-mock",
      'TRACE_DIR: as given (over WORKLOAD_DIR)',
      '--dry-run: as given (stdout instead of KAFKA_BOOTSTRAP_SERVERS)',
      '--speed: as given (over /app/config.yaml: global.speed_factor)',
      '--heartbeat 1m: /app/config.yaml: services.dc-mock.heartbeat_frequency_minutes',
      '--workload-topic dc.workload: /app/config.yaml: kafka.topics.workload.name',
      '--power-topic: as given (over /app/config.yaml: kafka.topics.power.name)',
      '--topology-topic dc.topology: /app/config.yaml: kafka.topics.topology.name',
    ])
    expect(layer.topics.get('dc.workload')).toEqual({
      partitions: undefined,
      replicationFactor: 1,
      configs: { 'retention.ms': '86400000' },
      source: `${PATH}: kafka.topics.workload`,
    })
    expect(layer.topics.has('dc.power')).toBe(false)
  })

  it("a dc-mock topic missing from the file: refused, as OpenDT's dc-mock stops there, unless its flag names it", () => {
    const text = minimal('{}').replace('    power: {name: dc.power}\n', '')
    const input = { configPath: PATH, config: parseOpenDtConfig(PATH, text), env: {}, traceGiven: true }
    expect(() => openDtLayer({ ...input, given: new Set() })).toThrow(
      `${PATH}: kafka.topics.power: missing: OpenDT's dc-mock takes the power topic's name from it (add it, or give --power-topic)`,
    )
    const layer = openDtLayer({ ...input, given: new Set(['power-topic']) })
    expect(layer.lines).toContain('--power-topic: as given (kafka.topics.power unset)')
  })

  it("dc-mock's defaults without its environment; KAFKA_BROKERS (ours) over KAFKA_BOOTSTRAP_SERVERS", () => {
    const empty = parseOpenDtConfig(PATH, minimal('{}'))
    const layer = openDtLayer({ configPath: PATH, config: empty, env: {}, given: new Set(), traceGiven: false })
    expect(layer.lines.slice(1, 5)).toEqual([
      "TRACE_DIR /app/workload: WORKLOAD_DIR unset: dc-mock's default",
      "--brokers kafka:29092: KAFKA_BOOTSTRAP_SERVERS unset: dc-mock's default",
      "--speed 10: /app/config.yaml: global.speed_factor unset: OpenDT's default",
      "--heartbeat 1m: /app/config.yaml: services.dc-mock.heartbeat_frequency_minutes unset: OpenDT's default",
    ])
    const ours = openDtLayer({
      configPath: PATH,
      config: empty,
      env: { KAFKA_BROKERS: 'k1:9092', KAFKA_BOOTSTRAP_SERVERS: 'kafka:29092' },
      given: new Set(),
      traceGiven: true,
    })
    expect(ours.lines[2]).toBe('--brokers k1:9092: KAFKA_BROKERS (over KAFKA_BOOTSTRAP_SERVERS)')
    expect(ours.settings.some((s) => s.flag === 'brokers')).toBe(false)
  })
})

describe('entering the mode', () => {
  const context = (env: Record<string, string>, files: Record<string, string> = {}) => {
    const notes: string[] = []
    return {
      notes,
      context: {
        env,
        version: 'v',
        width: 80,
        info: (text: string) => void notes.push(text),
        read: (path: string) => {
          if (!(path in files)) throw new Error(`${path}: no such file`)
          return files[path]!
        },
      },
    }
  }
  const workloadDir = tempDir('opendt-workload-')
  const env = { CONFIG_FILE: PATH, WORKLOAD_DIR: workloadDir, KAFKA_BOOTSTRAP_SERVERS: 'kafka:29092' }

  it('bare, with CONFIG_FILE set: dc-mock, said once; the options are those of the dc-mock flags', async () => {
    const { notes, context: c } = context(env, { [PATH]: EXPERIMENT_1 })
    const invocation = await dispatch([], c)
    if (invocation.command !== 'replay') throw new Error(invocation.command)
    expect(notes).toEqual([
      "no command given and CONFIG_FILE is set: running as OpenDT's dc-mock (opendt-replay dc-mock); opendt-replay --help lists the commands",
    ])
    expect(invocation.opendt?.lines[0]).toBe(`as OpenDT's dc-mock, from CONFIG_FILE ${PATH}:`)
    const { options } = toReplayOptions(invocation.args, { env: {}, outsideArgv: invocation.outsideArgv })
    const flags = await dispatch(
      ['replay', workloadDir, '--format', 'dc-mock', '--brokers', 'kafka:29092', '--speed', '300', '--heartbeat', '1m'],
      context({}).context,
    )
    if (flags.command !== 'replay') throw new Error(flags.command)
    expect(options).toEqual(toReplayOptions(flags.args, { env: {} }).options)
  })

  it('bare without CONFIG_FILE: the help, as before; `replay` with CONFIG_FILE set ignores it', async () => {
    const { context: c } = context({ WORKLOAD_DIR: workloadDir })
    expect((await dispatch([], c)).command).toBe('print')
    const { notes, context: c2 } = context(env)
    const replay = await dispatch(['replay', '--dry-run'], c2)
    expect([replay.command, 'opendt' in replay, notes]).toEqual(['replay', false, []])
  })

  it('a value from the config file that the replay refuses is named by its key', async () => {
    const text = EXPERIMENT_1.replace('name: "dc.power"', 'name: "dc power"')
    const invocation = await dispatch(['dc-mock'], context(env, { [PATH]: text }).context)
    if (invocation.command !== 'replay') throw new Error(invocation.command)
    expect(() => toReplayOptions(invocation.args, { env: {}, outsideArgv: invocation.outsideArgv })).toThrow(
      `${PATH}: kafka.topics.power.name: "dc power" is not a valid topic name`,
    )
  })

  it('a missing config file, a missing workload folder, another format: one line each', async () => {
    await expect(dispatch(['dc-mock'], context({ ...env, CONFIG_FILE: '/nope.yaml' }).context)).rejects.toThrow(
      'CONFIG_FILE: /nope.yaml: no such file',
    )
    await expect(dispatch(['dc-mock', '--config', '/no.yaml'], context(env).context)).rejects.toThrow(
      '--config: /no.yaml: no such file',
    )
    await expect(dispatch(['dc-mock'], context({}).context)).rejects.toThrow(
      "opendt-replay dc-mock needs OpenDT's config file: set CONFIG_FILE (as OpenDT's compose does) or pass --config FILE",
    )
    const files = { [PATH]: DEFAULT_YAML }
    await expect(dispatch(['dc-mock'], context({ ...env, WORKLOAD_DIR: '/nope' }, files).context)).rejects.toThrow(
      "WORKLOAD_DIR /nope: no such folder (OpenDT's workload folder, with tasks.parquet and fragments.parquet)",
    )
    // A symbolic-link loop: the same kind of line, naming the variable.
    const loop = mkdtempSync(join(tmpdir(), 'opendt-loop-'))
    symlinkSync(join(loop, 'b'), join(loop, 'a'))
    symlinkSync(join(loop, 'a'), join(loop, 'b'))
    try {
      await expect(
        dispatch(['dc-mock'], context({ ...env, WORKLOAD_DIR: join(loop, 'a') }, files).context),
      ).rejects.toThrow(`WORKLOAD_DIR ${join(loop, 'a')}: too many levels of symbolic links`)
    } finally {
      rmSync(loop, { recursive: true })
    }
    await expect(dispatch(['dc-mock', '--format', 'tasks-fragments'], context(env, files).context)).rejects.toThrow(
      "--format tasks-fragments: opendt-replay dc-mock sends dc-mock's format; use replay for another",
    )
  })
})
