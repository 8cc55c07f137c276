import { beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { requireBinary, requireSurf, run, temporaryFolders } from '../helpers.ts'
import { openDtYaml } from '../opendt-config.ts'
import { type Column, parquetBytes, traceColumns, writeTrace } from '../parquet.ts'
import { byTopic, recordedByTopic, WALL_CLOCK } from '../recording.ts'

const tempDir = temporaryFolders()

// Every test runs the binary, many on the whole SURF week: seconds each, more on a loaded
// machine. A test that truly hangs still fails, at a minute.
setDefaultTimeout(60_000)

/**
 * `--format dc-mock` through the binary: SURF's first three hours against what OpenDT's dc-mock
 * itself sends (../shared/data/dc-mock-surf-3h), and the files a dc-mock folder adds, made bad.
 */
let bin: string
let surf: string
beforeAll(() => {
  bin = requireBinary()
  surf = requireSurf()
})

const T0 = Date.UTC(2022, 9, 6, 22)

/** A dc-mock dry-run of a folder, at max speed. */
const dryRun = (dir: string, extra: string[] = []) =>
  run([bin, 'replay', dir, '--format', 'dc-mock', '--dry-run', '--speed', 'max', ...extra])

const lines = (stdout: string) => stdout.trimEnd().split('\n')

describe("SURF's first three hours against dc-mock's own", () => {
  it('every dc.workload and dc.power message equals dc-mock, in its order; the topology equals its own', async () => {
    const result = await dryRun(surf, ['--to', '3h'])
    expect(result.code).toBe(0)
    const ours = byTopic(lines(result.stdout))
    const theirs = recordedByTopic()
    const workload = ours.get('dc.workload')!
    expect([workload.length, workload.filter((l) => l.includes('"key":"heartbeat"')).length]).toEqual([305, 180])
    expect(workload).toEqual(theirs.get('dc.workload')!)
    expect(ours.get('dc.power')!.length).toBe(359)
    expect(ours.get('dc.power')).toEqual(theirs.get('dc.power')!)
    // dc-mock stamps the topology with its wall clock (without a zone); ours is UTC with one.
    const topology = ours.get('dc.topology')!
    expect(topology.length).toBe(360)
    expect(topology[0]!).toMatch(/"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/)
    const unstamped = (line: string) => line.replace(WALL_CLOCK, '"timestamp":"T"')
    expect(new Set(topology.map(unstamped))).toEqual(new Set([unstamped(theirs.get('dc.topology')![0]!)]))
    expect(result.stderr).toBe(
      '[info] replaying 2022-10-06T22:00:00Z to 2022-10-07T01:00:00Z at max speed\n' +
        `[info] sent 305 workload, 359 power and 360 topology in ${/in (\S+ s \(\d+ msg\/s\))/.exec(result.stderr)![1]}\n`,
    )
  })
})

/** The default small trace with integer ids (tasks 0 and 1), as OpenDT's traces have them. */
const integerIds = () =>
  traceColumns({
    tasks: { id: { name: 'id', data: ['0', '1'], type: 'STRING' } },
    fragments: { id: { name: 'id', data: ['0', '0', '1'], type: 'STRING' } },
  })

/** A dc-mock folder: a small trace, plus the files given (name to bytes or text). */
function dcMockFolder(files: Record<string, Uint8Array | string>, columns = integerIds()): string {
  const dir = writeTrace(tempDir, columns.tasks, columns.fragments)
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  return dir
}

const float = (name: string, values: number[]): Column => ({ name, data: values, type: 'DOUBLE' })
const int64 = (name: string, values: number[]): Column => ({ name, data: values.map(BigInt), type: 'INT64' })

/** consumption.parquet with the given columns replacing the defaults (two rows, 30 s apart). */
function consumption(overrides: Record<string, Column> = {}): Uint8Array {
  const columns: Record<string, Column> = {
    host: { name: 'host', data: ['h1', 'h1'], type: 'STRING' },
    power_draw: float('power_draw', [100, 150.5]),
    energy_usage: float('energy_usage', [3000, 4515]),
    timestamp: int64('timestamp', [30_000, 60_000]),
    ...overrides,
  }
  return parquetBytes(Object.values(columns))
}

const TOPOLOGY = JSON.stringify({
  clusters: [
    {
      name: 'C01',
      hosts: [
        {
          name: 'H01',
          count: 2,
          cpu: { coreCount: 4, coreSpeed: 2100 },
          memory: { memorySize: 64_000_000 },
          cpuPowerModel: { modelType: 'mse', power: 300, idlePower: 25, maxPower: 174, calibrationFactor: 4 },
        },
      ],
    },
  ],
})
;('{"clusters": [{"name": "C01", "hosts": [{"name": "H01", "count": 2, "cpu": {"coreCount": 4, "coreSpeed": 2100}}]}]}')

describe('the files of a dc-mock folder', () => {
  it('power at the first task + relative ms + the offset of workload.yaml, or of --power-offset', async () => {
    const dir = dcMockFolder({
      'consumption.parquet': consumption(),
      'workload.yaml': 'timestamps:\n  consumption_offset_ms: 1000\n',
    })
    const power = (stdout: string) =>
      lines(stdout)
        .filter((l) => l.includes('"dc.power"'))
        .map((l) => JSON.parse(l).value)
    const fromYaml = await dryRun(dir)
    expect(power(fromYaml.stdout)).toEqual([
      { power_draw: 100, energy_usage: 3000, timestamp: '2022-10-06T22:00:31Z' },
      { power_draw: 150.5, energy_usage: 4515, timestamp: '2022-10-06T22:01:01Z' },
    ])
    expect(lines(fromYaml.stdout).find((l) => l.includes('"dc.power"'))).toBe(
      '{"topic":"dc.power","key":null,"value":{"power_draw":100.0,"energy_usage":3000.0,"timestamp":"2022-10-06T22:00:31Z"}}',
    )
    const fromFlag = await dryRun(dir, ['--power-offset', '2m'])
    expect(power(fromFlag.stdout).map((p) => p.timestamp)).toEqual(['2022-10-06T22:02:30Z', '2022-10-06T22:03:00Z'])
  })

  it('no consumption or topology file: no such stream, said once on stderr; the summary lists the three topics', async () => {
    const dir = dcMockFolder({})
    const summary = join(dir, 'summary.json')
    const result = await dryRun(dir, ['--summary-json', summary])
    const json = JSON.parse(readFileSync(summary, 'utf8'))
    expect([json.format, json.topics]).toEqual([
      'dc-mock',
      {
        workload: { topic: 'dc.workload', sent: 4, acknowledged: 4, ratePerSecond: json.topics.workload.ratePerSecond },
        power: { topic: 'dc.power', sent: 0, acknowledged: 0, ratePerSecond: 0 },
        topology: { topic: 'dc.topology', sent: 0, acknowledged: 0, ratePerSecond: 0 },
      },
    ])
    expect(result.code).toBe(0)
    expect(lines(result.stdout).map((l) => JSON.parse(l).topic)).toEqual([
      'dc.workload',
      'dc.workload',
      'dc.workload',
      'dc.workload',
    ])
    expect(result.stderr).toStartWith(
      '[info] no consumption.parquet in the trace folder (nor --consumption): no power stream\n' +
        '[info] no topology.json in the trace folder (nor --topology): no topology stream\n',
    )
  })

  it('the heartbeat tail reaches the last fragment, plus one; tasks and heartbeats in time order', async () => {
    const dir = dcMockFolder({ 'topology.json': TOPOLOGY })
    const result = await dryRun(dir, ['--heartbeat', '1s', '--topology-interval', '1s'])
    const messages = lines(result.stdout).map((l) => JSON.parse(l))
    // Task a at T0 (fragments to T0 + 2 s), task b at T0 + 1 s (to T0 + 2 s): the trace ends at T0 + 2 s.
    expect(messages.map((m) => `${m.topic} ${m.key} ${m.value.timestamp.slice(11, 19)}`)).toEqual([
      'dc.workload heartbeat 22:00:00',
      'dc.workload 0 22:00:00',
      'dc.topology datacenter ' + messages[2].value.timestamp.slice(11, 19),
      'dc.workload heartbeat 22:00:01',
      'dc.workload 1 22:00:01',
      'dc.topology datacenter ' + messages[5].value.timestamp.slice(11, 19),
      'dc.workload heartbeat 22:00:02',
      'dc.topology datacenter ' + messages[7].value.timestamp.slice(11, 19),
    ])
  })

  it.each([
    [
      'topology.json',
      '{"clusters": [\n  {"name": "C01",, "hosts": []}\n]}\n',
      (dir: string) => `${dir}/topology.json: invalid JSON at line 2, column 18: expected a "name" in an object`,
    ],
    [
      'topology.json',
      TOPOLOGY.replace('"coreCount":4', '"coreCount":0'),
      (dir: string) =>
        `${dir}/topology.json: clusters[0].hosts[0].cpu.coreCount: expected a whole number above 0, got 0`,
    ],
    [
      'topology.json',
      TOPOLOGY.replace('"mse"', '"linear"'),
      (dir: string) =>
        `${dir}/topology.json: clusters[0].hosts[0].cpuPowerModel.modelType: expected "mse" or "asymptotic", got "linear"`,
    ],
    [
      'consumption.parquet',
      consumption({ power_draw: float('power_draw', [100, -5]) }),
      (dir: string) => `${dir}/consumption.parquet: column "power_draw" row 1: negative value -5`,
    ],
    [
      'consumption.parquet',
      consumption({ timestamp: float('timestamp', [30_000, 30_000.5]) }),
      (dir: string) => `${dir}/consumption.parquet: column "timestamp" row 1: value 30000.5 is not a whole number`,
    ],
    [
      'consumption.parquet',
      parquetBytes([float('power_draw', [1]), int64('timestamp', [0])]),
      (dir: string) =>
        `${dir}/consumption.parquet: missing required column "energy_usage" (columns: power_draw, timestamp)`,
    ],
    [
      'consumption.parquet',
      'power,energy\n1,2\n',
      (dir: string) => `${dir}/consumption.parquet: not a parquet file (it does not start with PAR1; 17 bytes)`,
    ],
    [
      'consumption.parquet',
      consumption({ timestamp: int64('timestamp', [30_000, 260_000_000_000_000]) }),
      (dir: string) =>
        `${dir}/consumption.parquet: column "timestamp" row 1: the row's time (the first task's 2022-10-06T22:00:00Z + ` +
        "260000000000000 ms + an offset of 0 ms) is outside years 1-9999, which OpenDT's times cannot leave",
    ],
    [
      'workload.yaml',
      'timestamps:\n  consumption_offset_ms: 1.5\n',
      (dir: string) =>
        `${dir}/workload.yaml: timestamps.consumption_offset_ms: expected a whole number of milliseconds, got 1.5`,
    ],
  ] as const)('a bad %s is one line, exit 2, nothing sent', async (name, content, line) => {
    const dir = dcMockFolder({ 'consumption.parquet': consumption(), [name]: content })
    const result = await dryRun(dir)
    expect({ code: result.code, stdout: result.stdout, error: result.stderr.split('\n').at(-2) }).toEqual({
      code: 2,
      stdout: '',
      error: `[error] ${line(dir)}`,
    })
  })

  it('a task id that is no integer is skipped and counted, or under --strict an error naming the row', async () => {
    const columns = traceColumns({ tasks: { id: { name: 'id', data: ['7', 'b'], type: 'STRING' } } })
    columns.fragments[0] = { name: 'id', data: ['7', '7', 'b'], type: 'STRING' }
    const dir = dcMockFolder({}, columns)
    const lenient = await dryRun(dir)
    expect(lines(lenient.stdout).map((l) => JSON.parse(l).key)).toEqual(['heartbeat', '7', 'heartbeat'])
    expect(lenient.stderr).toContain(
      `[warn] skipped 1 tasks whose id is not an integer, as OpenDT does (first: ${dir}/tasks.parquet column "id" row 1: task id "b" is not an integer; --strict makes this an error)\n`,
    )
    const strict = await dryRun(dir, ['--strict'])
    expect([strict.code, strict.stdout, strict.stderr.split('\n').at(-2)]).toEqual([
      2,
      '',
      `[error] ${dir}/tasks.parquet: column "id" row 1: task id "b" is not an integer (OpenDT reads task ids as integers; --strict)`,
    ])
  })

  it('inspect: a topology.json OpenDT would refuse still gives the capacity, and says why replay would refuse it', async () => {
    const capacityOnly =
      '{"clusters": [{"name": "C01", "hosts": [{"name": "H01", "count": 2, "cpu": {"coreCount": 4, "coreSpeed": 1000}}]}]}'
    const dir = dcMockFolder({ 'topology.json': capacityOnly })
    const result = await run([bin, 'inspect', dir, '--json', '--topology', join(dir, 'topology.json')])
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout)
    expect([report.demand.capacity.mhz, report.dcMock.messages['dc.topology'], report.dcMock.topologyProblem]).toEqual([
      8000,
      0,
      `${dir}/topology.json: clusters[0].hosts[0].memory: expected an object, got nothing`,
    ])
    const refused = await dryRun(dir)
    expect([refused.code, refused.stderr.trimEnd().split('\n').at(-1)]).toEqual([
      2,
      `[error] ${report.dcMock.topologyProblem}`,
    ])
  })

  it('sharded, a task id that is no integer is counted by shard 0 only', async () => {
    const columns = traceColumns({ tasks: { id: { name: 'id', data: ['7', 'b'], type: 'STRING' } } })
    columns.fragments[0] = { name: 'id', data: ['7', '7', 'b'], type: 'STRING' }
    const dir = dcMockFolder({}, columns)
    const shards = await Promise.all([0, 1].map((k) => dryRun(dir, ['--shard', `${k}/2`])))
    expect(shards.map((r) => [r.code, r.stderr.includes('skipped 1 tasks whose id is not an integer')])).toEqual([
      [0, true],
      [0, false],
    ])
    const sevens = shards.map((r) => lines(r.stdout).filter((l) => l.includes('"key":"7"')).length)
    expect(sevens.sort()).toEqual([0, 1])
  })

  it('--format takes one of two names', async () => {
    const result = await run([bin, 'replay', '--format', 'dcmock', '--dry-run'])
    expect([result.code, result.stdout, result.stderr]).toEqual([
      2,
      '',
      '[error] --format: expected tasks-fragments or dc-mock, got "dcmock"\n',
    ])
  })
})

describe('whole SURF', () => {
  it('7,850 tasks, 10,081 heartbeats (through the last fragment at 168 h), 20,159 power rows', async () => {
    const result = await dryRun(surf)
    expect(result.code).toBe(0)
    const counts = new Map<string, number>()
    let heartbeats = 0
    let last = ''
    for (const line of lines(result.stdout)) {
      const m = JSON.parse(line.slice(0, line.indexOf(',"value"')) + '}')
      counts.set(m.topic, (counts.get(m.topic) ?? 0) + 1)
      if (m.key === 'heartbeat') {
        heartbeats++
        last = line
      }
    }
    expect([counts.get('dc.workload'), heartbeats, counts.get('dc.power'), counts.get('dc.topology')]).toEqual([
      17_931, 10_081, 20_159, 20_161,
    ])
    expect(last).toContain(`"timestamp":"${new Date(T0 + 168 * 3_600_000).toISOString().slice(0, 19)}+00:00"`)
  }, 60_000)
})

describe("as OpenDT's dc-mock, through the binary", () => {
  /** Runs the binary with no arguments and only this environment (and PATH), as OpenDT's compose does. */
  const bare = (env: Record<string, string>) =>
    run([bin], { env: { ...env, PATH: process.env.PATH ?? '/usr/bin:/bin' }, clean: true })
  const config = (text: string) => {
    const dir = writeTrace(tempDir, integerIds().tasks, integerIds().fragments)
    writeFileSync(join(dir, 'config.yaml'), text)
    return join(dir, 'config.yaml')
  }

  it("SURF's first three hours from the environment alone: dc-mock's own messages", async () => {
    const path = config(openDtYaml(-1))
    const result = await bare({
      CONFIG_FILE: path,
      WORKLOAD_DIR: surf,
      KAFKA_BOOTSTRAP_SERVERS: 'kafka:29092',
      OPENDT_REPLAY_DRY_RUN: '1',
      OPENDT_REPLAY_TO: '3h',
    })
    expect(result.code).toBe(0)
    const ours = byTopic(lines(result.stdout))
    const theirs = recordedByTopic()
    expect(ours.get('dc.workload')).toEqual(theirs.get('dc.workload')!)
    expect(ours.get('dc.power')).toEqual(theirs.get('dc.power')!)
    expect(ours.get('dc.topology')!.length).toBe(360)
  })

  it('bad configuration: one line naming the file, the key and the value; exit 2; nothing on stdout', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ CONFIG_FILE: '/no/config.yaml' }, 'CONFIG_FILE: /no/config.yaml: no such file'],
      [{ CONFIG_FILE: config(openDtYaml(0)) }, 'global.speed_factor: 0 is refused'],
      [{ CONFIG_FILE: config(openDtYaml(-2)) }, 'global.speed_factor: -2 is refused'],
      [
        { CONFIG_FILE: config(openDtYaml().replace('name: "dc.power"', 'partitions: 1')) },
        'kafka.topics.power.name: missing',
      ],
      [
        {
          CONFIG_FILE: config(
            openDtYaml().replace('heartbeat_frequency_minutes: 1', 'heartbeat_frequency_minutes: 010'),
          ),
        },
        'services.dc-mock.heartbeat_frequency_minutes: 010 is 8 to OpenDT',
      ],
      [{ CONFIG_FILE: config('kafka: [\n') }, 'invalid YAML'],
      [
        { CONFIG_FILE: config(openDtYaml()), WORKLOAD_DIR: '/no/workload' },
        'WORKLOAD_DIR /no/workload: no such folder',
      ],
    ]
    for (const [env, line] of cases) {
      const result = await bare({ WORKLOAD_DIR: surf, ...env })
      const errors = result.stderr.split('\n').filter((l) => l.startsWith('[error]'))
      expect([result.code, result.stdout, errors.length, errors[0]]).toEqual([2, '', 1, expect.stringContaining(line)])
    }
  })
})
