import { beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { requireBinary, requireSurf, run, temporaryFolders } from '../helpers.ts'
import { type Column, traceColumns, writeTrace } from '../parquet.ts'

const tempDir = temporaryFolders()

// Every test runs the binary, many on the whole SURF week: seconds each, more on a loaded
// machine. A test that truly hangs still fails, at a minute.
setDefaultTimeout(60_000)

/** What-if hardware and the demand report, through the binary. */
let bin: string
let surf: string
beforeAll(() => {
  bin = requireBinary()
  surf = requireSurf()
})

const T0 = Date.UTC(2022, 9, 6, 22)
const int64 = (name: string, values: number[]): Column => ({ name, data: values.map(BigInt), type: 'INT64' })

/** The seed's example: one task, one fragment of 5000 ms at 1000 MHz, one CPU. */
function seedTrace(usage = 1000): string {
  const { tasks, fragments } = traceColumns({
    tasks: {
      id: { name: 'id', data: ['t'], type: 'STRING' },
      submission_time: int64('submission_time', [T0]),
      duration: int64('duration', [5000]),
      cpu_count: { name: 'cpu_count', data: [1], type: 'INT32' },
      cpu_capacity: { name: 'cpu_capacity', data: [1000], type: 'DOUBLE' },
      mem_capacity: int64('mem_capacity', [64]),
    },
    fragments: {
      id: { name: 'id', data: ['t'], type: 'STRING' },
      duration: int64('duration', [5000]),
      cpu_usage: { name: 'cpu_usage', data: [usage], type: 'DOUBLE' },
    },
  })
  return writeTrace(tempDir, tasks, fragments)
}

function topology(hosts: unknown[]): string {
  const path = join(tempDir('topology-'), 'topology.json')
  writeFileSync(path, JSON.stringify({ clusters: [{ name: 'C01', hosts }] }, null, 2))
  return path
}

const lines = (cpus: number, mhz: number, ms: number, at = T0 + ms) => [
  `{"topic":"tasks","key":{"id":"t"},"value":{"submission_time":"2022-10-06T22:00:00Z","duration":${ms},"cpu_count":${cpus},"cpu_capacity":${cpus * mhz}.0,"mem_capacity":64}}`,
  `{"topic":"fragments","key":{"id":"t"},"value":{"submission_time":"${new Date(at).toISOString().replace('.000Z', 'Z')}","duration":${ms},"cpu_usage":${cpus * mhz}.0}}`,
  '',
]

describe('what-if replay: the seed worked examples', () => {
  it.each([
    [2, 1000, 2500],
    [1, 5000, 1000],
  ])('on %i x %i MHz the fragment lasts %i ms', async (cpus, mhz, ms) => {
    const dir = seedTrace()
    const result = await run([
      bin,
      'replay',
      dir,
      '--dry-run',
      '--speed',
      'max',
      '--host-cpus',
      String(cpus),
      '--host-mhz',
      String(mhz),
    ])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(lines(cpus, mhz, ms).join('\n'))
  })

  it('--host-topology takes the first host: 2 cores at 1000 MHz', async () => {
    const file = topology([
      { name: 'H01', count: 8, cpu: { coreCount: 2, coreSpeed: 1000 } },
      { name: 'H02', count: 1, cpu: { coreCount: 64, coreSpeed: 3000 } },
    ])
    const result = await run([bin, 'replay', seedTrace(), '--dry-run', '--speed', 'max', '--host-topology', file])
    expect(result.stdout).toBe(lines(2, 1000, 2500).join('\n'))
  })

  it('zero usage gives zero duration', async () => {
    const result = await run([
      bin,
      'replay',
      seedTrace(0),
      '--dry-run',
      '--speed',
      'max',
      '--host-cpus',
      '2',
      '--host-mhz',
      '1000',
    ])
    expect(result.stdout).toBe(lines(2, 1000, 0).join('\n'))
  })

  it('no drift across the longest SURF task (14,401 fragments): its last time is the exact sum, rounded once', async () => {
    const id = '{"id":"2163913"}'
    const of = (stdout: string) =>
      stdout.split('\n').filter((l) => l.startsWith('{"topic":"fragments"') && l.includes(`"key":${id}`))
    const original = of((await run([bin, 'replay', surf, '--dry-run', '--speed', 'max'])).stdout)
    const retimed = of(
      (await run([bin, 'replay', surf, '--dry-run', '--speed', 'max', '--host-cpus', '3', '--host-mhz', '700'])).stdout,
    )
    expect([original.length, retimed.length]).toEqual([14_401, 14_401])
    // exact work in MHz ms, as integers
    let work = 0n
    for (const l of original) {
      const v = JSON.parse(l).value as { duration: number; cpu_usage: number }
      work += BigInt(v.duration) * BigInt(v.cpu_usage)
    }
    const submit = Date.parse(JSON.parse(original[0]!).value.submission_time) - 30_000 // every SURF fragment lasts 30 s
    // submit + work / 2100, rounded half up, in integers
    const exact = BigInt(submit) * 2100n + work
    const expected = Number((exact * 2n + 2100n) / (2n * 2100n))
    expect(Date.parse(JSON.parse(retimed.at(-1)!).value.submission_time)).toBe(expected)
  }, 60_000)
})

/** SURF's figures as scripts/demand_reference.py (DuckDB) printed them, on the trace and on 16 x 2100 MHz. */
const REFERENCE = {
  trace: {
    totalCycles: '1524009661650000000',
    peak: 4522686,
    peakAt: '2022-10-08T14:33:19Z',
    mean: 2519857.2447916665,
  },
  host: { totalCycles: '1524009661650000000', peak: 4368000, peakAt: '2022-10-07T08:03:22Z', mean: 2519882.2436234485 },
}

describe('inspect: demand and capacity', () => {
  it.each([
    ['the trace', [] as string[], REFERENCE.trace],
    ['every task on 16 x 2100 MHz', ['--host-cpus', '16', '--host-mhz', '2100'], REFERENCE.host],
  ])('SURF, %s: total cycles, peak and mean equal the DuckDB reference', async (_, flags, ref) => {
    const result = await run([bin, 'inspect', surf, '--json', ...flags])
    const d = JSON.parse(result.stdout).demand
    expect([d.totalCycles, d.mhz.peak, d.peakAt, d.mhz.mean]).toEqual([ref.totalCycles, ref.peak, ref.peakAt, ref.mean])
  })

  // The v5 fixture (interleaved fragments, an orphan, a task without fragments, fractional usage)
  // on two hosts, as scripts/demand_reference.py printed its figures.
  it.each([
    ['2', '1000', 6000, 3293.38758995298],
    ['7', '333.5', 7003.5, 3620.454059757245],
  ])('the v5 fixture on %s x %s MHz: figures equal the DuckDB reference', async (cpus, mhz, peak, mean) => {
    const dir = join(import.meta.dir, '..', 'fixtures', 'v5-interleaved')
    const result = await run([bin, 'inspect', dir, '--json', '--host-cpus', cpus, '--host-mhz', mhz])
    const d = JSON.parse(result.stdout).demand
    expect([d.totalCycles, d.mhz.peak, d.peakAt, d.mhz.mean]).toEqual([
      '356512500000',
      peak,
      '2022-10-06T22:00:10Z',
      mean,
    ])
  })

  it('SURF against its own topology: 277 x 16 x 2100 = 9,307,200 MHz', async () => {
    const result = await run([bin, 'inspect', surf, '--json', '--topology', join(surf, 'topology.json')])
    expect(JSON.parse(result.stdout).demand.capacity).toEqual({
      mhz: 9_307_200,
      source: join(surf, 'topology.json'),
      peakUtilization: 4522686 / 9_307_200,
      meanUtilization: 2519857.2447916665 / 9_307_200,
      minutesOverCapacity: 0,
    })
  })

  it('the report, in words, for the seed trace on 2 hosts of 1 x 1000 MHz', async () => {
    const result = await run([bin, 'inspect', seedTrace(), '--hosts', '2', '--host-cpus', '1', '--host-mhz', '1000'])
    expect(result.code).toBe(0)
    expect(result.stdout.split('\n').slice(-9, -1)).toEqual([
      'what-if host               1 x 1000 MHz: every task retimed to its cycles',
      'total cycles               5000000000',
      'most demanding tasks       t (5.000e+9 cycles)',
      'CPU demand                 mean 1,000 MHz, p50 1,000 MHz, p99 1,000 MHz, peak 1,000 MHz at 2022-10-06T22:00:00Z',
      'capacity                   2,000 MHz (2 hosts of 1 x 1000 MHz): peak utilization 50.0 %, mean 50.0 %, over capacity 0.0 min',
      'dc-mock messages           dc.workload 2 (0 tasks, 2 heartbeats), dc.power 0, dc.topology 0; 1 tasks skipped (id not an integer)',
      'dc-mock largest message    none',
      'dc-mock files              power none (no power stream); topology none (no topology stream)',
    ])
  })

  it('--svg writes one SVG file that parses as XML, with both curves per minute and the capacity line', async () => {
    const svg = join(tempDir('svg-'), 'surf.svg')
    const result = await run([bin, 'inspect', surf, '--topology', join(surf, 'topology.json'), '--svg', svg])
    expect(result.code).toBe(0)
    // Python's ElementTree: an XML parser that is not ours.
    const script =
      'import sys, xml.etree.ElementTree as E\n' +
      'r = E.parse(sys.argv[1]).getroot()\n' +
      'n = "{http://www.w3.org/2000/svg}"\n' +
      'print(r.tag, *[len(p.get("points").split()) for p in r.iter(n + "polyline")], len(list(r.iter(n + "rect"))) > 100)'
    const parsed = Bun.spawnSync(['python3', '-c', script, svg])
    // 7 days of minutes: the first task is at 22:00:00, the last fragment ends at 22:00:00 a week later
    expect(parsed.stdout.toString()).toBe('{http://www.w3.org/2000/svg}svg 10080 10080 True\n')
    expect(readFileSync(svg, 'utf8')).toContain('<line id="capacity"')
  })
})

describe('what-if flags: one line, exit 2', () => {
  const noHost = () => topology([])
  const broken = () => {
    const path = join(tempDir('topology-'), 'topology.json')
    writeFileSync(path, '{\n  "clusters": [\n    { "hosts": [ } ]\n}\n')
    return path
  }
  it.each([
    [['--host-cpus', '0', '--host-mhz', '1000'], () => '--host-cpus: expected a whole number of at least 1, got "0"'],
    [['--host-cpus', '2', '--host-mhz', '-1'], () => '--host-mhz: expected a positive number, got "-1"'],
    [['--host-cpus', '2', '--host-mhz', 'NaN'], () => '--host-mhz: expected a positive number, got "NaN"'],
    [['--host-cpus', '2'], () => '--host-cpus and --host-mhz go together'],
    [['--host-topology', 'NOHOST'], (p: string) => `${p}: no host (every clusters[].hosts is empty)`],
    [['--host-topology', 'BROKEN'], (p: string) => `${p}: invalid JSON at line 3, column 18: unexpected "}"`],
  ])('%j', async (args, line) => {
    const file = args.includes('NOHOST') ? noHost() : args.includes('BROKEN') ? broken() : ''
    const argv = args.map((a) => (a === 'NOHOST' || a === 'BROKEN' ? file : a))
    expect(await run([bin, 'replay', '--dry-run', ...argv])).toEqual({
      code: 2,
      stdout: '',
      stderr: `[error] ${line(file)}\n`,
    })
  })

  it('a host without cores', async () => {
    const file = topology([{ name: 'H01', count: 2, cpu: { coreSpeed: 2100 } }])
    expect(await run([bin, 'inspect', surf, '--topology', file])).toEqual({
      code: 2,
      stdout: '',
      stderr: `[error] ${file}: clusters[0].hosts[0].cpu.coreCount: expected a positive number, got nothing\n`,
    })
  })

  it('--hosts needs the host', async () => {
    expect(await run([bin, 'inspect', surf, '--hosts', '3'])).toEqual({
      code: 2,
      stdout: '',
      stderr: '[error] --hosts K needs the host: --host-cpus N --host-mhz M (or --host-topology FILE)\n',
    })
  })
})
