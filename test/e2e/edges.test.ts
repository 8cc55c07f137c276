import { beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test'
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { requireBinary, run, temporaryFolders } from '../helpers.ts'
import { traceColumns, writeTrace } from '../parquet.ts'

const tempDir = temporaryFolders()

// Every test runs the binary, many on the whole SURF week: seconds each, more on a loaded
// machine. A test that truly hangs still fails, at a minute.
setDefaultTimeout(60_000)

/**
 * The edges an outside sweep found past the checks (what-if, inspect, flags): each case asserts
 * the exact line, exit 2 and an empty stdout, where the binary used to write bad data or fail
 * with an internal error.
 */
let bin: string
beforeAll(() => {
  bin = requireBinary()
})

/** A small trace (tasks a and b, three fragments) with fragment usages replaced. */
function traceWithUsage(usage: number[]): string {
  const { tasks, fragments } = traceColumns({
    fragments: { cpu_usage: { name: 'cpu_usage', data: usage, type: 'DOUBLE' } },
  })
  return writeTrace(tempDir, tasks, fragments)
}

async function expectRefused(args: string[], line: string) {
  const result = await run([bin, ...args])
  expect(result).toEqual({ code: 2, stdout: '', stderr: `[error] ${line}\n` })
}

describe('what-if values that overflow are refused, never written', () => {
  it('a host whose throughput (CPUs x MHz) is not finite', async () => {
    await expectRefused(
      [
        'replay',
        traceWithUsage([500, 600, 700]),
        '--dry-run',
        '--speed',
        'max',
        '--host-cpus',
        '10',
        '--host-mhz',
        '1e308',
      ],
      '--host-cpus 10 --host-mhz 1e308: what-if host 10 x 1e+308 MHz: its throughput (CPUs x MHz) is not a finite number',
    )
  })

  it('a host so slow the fragments would end after year 9999', async () => {
    const dir = traceWithUsage([500, 600, 700])
    await expectRefused(
      ['replay', dir, '--dry-run', '--speed', 'max', '--host-cpus', '1', '--host-mhz', '1e-300'],
      `--host-cpus 1 --host-mhz 1e-300: too slow: ${dir}/fragments.parquet: task "a": its fragments would end after year 9999 on a what-if host of 1 x 1e-300 MHz (1100000 ms x MHz of work), where OpenDT's times end`,
    )
    // The same host from a topology file: the field is named.
    const file = join(dir, 'h.json')
    const cpu = { coreCount: 1, coreSpeed: 1e-300 }
    writeFileSync(
      file,
      JSON.stringify({ clusters: [{ name: 'C', hosts: [{ name: 'h', count: 1, cpu, memory: { memorySize: 1 } }] }] }),
    )
    await expectRefused(
      ['replay', dir, '--dry-run', '--speed', 'max', '--host-topology', file],
      `--host-topology ${file}: its first host's cpu.coreSpeed 1e-300 (cpu.coreCount 1): too slow: ${dir}/fragments.parquet: task "a": its fragments would end after year 9999 on a what-if host of 1 x 1e-300 MHz (1100000 ms x MHz of work), where OpenDT's times end`,
    )
  })

  it("a topology.json that starts with a UTF-8 BOM: refused alike by all three readers, as Python's json refuses it", async () => {
    const dir = traceWithUsage([500, 600, 700])
    const file = join(dir, 'topology.json')
    const cpu = { coreCount: 4, coreSpeed: 2000 }
    const model = { modelType: 'mse', power: 400, idlePower: 32, maxPower: 180 }
    const host = { name: 'h', count: 1, cpu, memory: { memorySize: 1000 }, cpuPowerModel: model }
    writeFileSync(file, `\ufeff${JSON.stringify({ clusters: [{ name: 'C', hosts: [host] }] })}`)
    const line = `${file}: starts with a UTF-8 byte order mark (BOM), which Python's json (OpenDT's reader) refuses; save it without one`
    await expectRefused(['replay', dir, '--dry-run', '--speed', 'max', '--format', 'dc-mock'], line)
    await expectRefused(['replay', dir, '--dry-run', '--speed', 'max', '--host-topology', file], line)
    await expectRefused(['inspect', dir, '--topology', file], line)
  })

  it('a usage whose work is beyond a double', async () => {
    const dir = traceWithUsage([1e308, 600, 700])
    await expectRefused(
      ['replay', dir, '--dry-run', '--speed', 'max', '--host-cpus', '1', '--host-mhz', '1'],
      `${dir}/fragments.parquet: task "a": its fragments' work (duration x cpu_usage, summed) is beyond a double's range`,
    )
  })

  it.each([
    [
      'replay',
      ['--dry-run', '--speed', 'max', '--host-cpus', '2', '--host-mhz', '1000'],
      ' on a what-if host of 2 x 1000 MHz',
    ],
    ['inspect', [], ''],
  ])('a negative usage, in %s: the task, fragment and value', async (command, extra, on) => {
    const dir = traceWithUsage([500, -600, 700])
    await expectRefused(
      [command, dir, ...extra],
      `${dir}/fragments.parquet: task "a", fragment 2: column "cpu_usage" is -600; cycles${on} need a finite usage of at least 0`,
    )
  })
})

describe('ids come out as the file spells them, or are refused with a reason', () => {
  const tasksWithIds = (ids: string[]) => {
    const n = ids.length
    const T0 = Date.UTC(2022, 9, 6, 22)
    const { tasks, fragments } = traceColumns({
      tasks: {
        id: { name: 'id', data: ids, type: 'STRING' },
        submission_time: { name: 'submission_time', data: ids.map((_, i) => BigInt(T0 + i * 1000)), type: 'INT64' },
        duration: { name: 'duration', data: ids.map(() => 1000n), type: 'INT64' },
        cpu_count: { name: 'cpu_count', data: ids.map(() => 1), type: 'INT32' },
        cpu_capacity: { name: 'cpu_capacity', data: ids.map(() => 1000), type: 'DOUBLE' },
        mem_capacity: { name: 'mem_capacity', data: ids.map(() => 64n), type: 'INT64' },
      },
      fragments: {
        id: { name: 'id', data: ids, type: 'STRING' },
        duration: { name: 'duration', data: ids.map(() => 1000n), type: 'INT64' },
        cpu_usage: { name: 'cpu_usage', data: ids.map(() => 500), type: 'DOUBLE' },
      },
    })
    expect(tasks[0]!.data.length).toBe(n)
    return writeTrace(tempDir, tasks, fragments)
  }

  it('an id starting with U+FEFF keeps it: "\\ufeff1" and "1" are two tasks', async () => {
    const dir = tasksWithIds(['\ufeff1', '1'])
    const result = await run([bin, 'replay', dir, '--dry-run', '--speed', 'max'])
    expect(result.code).toBe(0)
    const keys = result.stdout
      .trimEnd()
      .split('\n')
      .filter((l) => l.startsWith('{"topic":"tasks"'))
      .map((l) => JSON.parse(l).key.id)
    expect(keys).toEqual(['\ufeff1', '1'])
  })

  it('dc-mock: an id of 5,000 digits, which OpenDT (Python) cannot read as an integer', async () => {
    const long = '7'.repeat(5000)
    const dir = tasksWithIds(['1', long])
    // dc-mock says first which side files the folder lacks; then the refusal.
    const result = await run([bin, 'replay', dir, '--dry-run', '--speed', 'max', '--format', 'dc-mock'])
    expect([result.code, result.stdout, result.stderr.trimEnd().split('\n').at(-1)]).toEqual([
      2,
      '',
      `[error] ${dir}/tasks.parquet: column "id" row 1: task id of 5000 digits: OpenDT reads ids as integers, and Python reads integers of at most 4300 digits`,
    ])
  })
})

describe('only regular files are read: a FIFO or a device is refused at once, never waited on', () => {
  /** A small trace folder with `name` replaced by a FIFO (or a symlink to /dev/zero). */
  function traceWith(name: string, kind: 'fifo' | 'zero'): string {
    const { tasks, fragments } = traceColumns()
    const dir = writeTrace(tempDir, tasks, fragments)
    const path = join(dir, name)
    rmSync(path, { force: true })
    if (kind === 'fifo') execFileSync('mkfifo', [path])
    else symlinkSync('/dev/zero', path)
    return dir
  }
  const FIFO = 'is not a regular file (a FIFO, device or socket)'
  const kafka = ['--brokers', '127.0.0.1:1', '--connect-timeout', '1s']

  it.each([
    ['tasks.parquet', 'fifo', [], (d: string) => `${d}/tasks.parquet: ${FIFO}, expected a parquet file`],
    ['fragments.parquet', 'fifo', [], (d: string) => `${d}/fragments.parquet: ${FIFO}, expected a parquet file`],
    ['workload.yaml', 'fifo', ['--format', 'dc-mock'], (d: string) => `${d}/workload.yaml: ${FIFO}, expected a file`],
    ['workload.yaml', 'zero', ['--format', 'dc-mock'], (d: string) => `${d}/workload.yaml: ${FIFO}, expected a file`],
    [
      'consumption.parquet',
      'fifo',
      ['--format', 'dc-mock'],
      (d: string) => `${d}/consumption.parquet: ${FIFO}, expected a parquet file`,
    ],
    [
      'h.json',
      'fifo',
      ['--host-topology', 'H'],
      (d: string) => `--host-topology: ${d}/h.json: ${FIFO}, expected a file`,
    ],
    [
      'h.json',
      'zero',
      ['--host-topology', 'H'],
      (d: string) => `--host-topology: ${d}/h.json: ${FIFO}, expected a file`,
    ],
    ['ca.pem', 'fifo', [...kafka, '--tls-ca', 'H'], (d: string) => `--tls-ca: ${d}/ca.pem: ${FIFO}, expected a file`],
    [
      'pw',
      'fifo',
      [...kafka, '--sasl', 'plain', '--sasl-username', 'u', '--sasl-password-file', 'H'],
      (d: string) => `--sasl-password-file: ${d}/pw: ${FIFO}, expected a file`,
    ],
    [
      'cp.json',
      'fifo',
      [...kafka, '--checkpoint', 'H', '--resume'],
      (d: string) => `--checkpoint: cannot read ${d}/cp.json: ${FIFO}, expected a file`,
    ],
  ] as const)('replay, %s as a %s', async (name, kind, extra, line) => {
    const dir = traceWith(name, kind)
    const args = extra.map((a) => (a === 'H' ? join(dir, name) : a))
    const output = args.includes('--brokers') ? [] : ['--dry-run']
    const result = await run([bin, 'replay', dir, ...output, '--speed', 'max', ...args])
    expect([result.code, result.stdout, result.stderr.trimEnd().split('\n').at(-1)]).toEqual([
      2,
      '',
      `[error] ${line(dir)}`,
    ])
  })

  it('inspect --topology of a FIFO', async () => {
    const dir = traceWith('t.json', 'fifo')
    await expectRefused(
      ['inspect', dir, '--topology', join(dir, 't.json')],
      `--topology: ${dir}/t.json: ${FIFO}, expected a file`,
    )
  })
})

describe('smaller edges', () => {
  it('a 10 MB value in workload.yaml is echoed as 100 characters and its length', async () => {
    const dir = traceWithUsage([500, 600, 700])
    writeFileSync(join(dir, 'workload.yaml'), `timestamps:\n  consumption_offset_ms: "${'x'.repeat(10 << 20)}"\n`)
    await expectRefused(
      ['replay', dir, '--dry-run', '--speed', 'max', '--format', 'dc-mock'],
      `${dir}/workload.yaml: timestamps.consumption_offset_ms: expected a whole number of milliseconds, got "${'x'.repeat(100)}…" (10485760 characters)`,
    )
  })

  it('SIGHUP stops a run as SIGTERM does: the summary, --summary-json, exit 143', async () => {
    const summary = join(tempDir('opendt-hup-'), 's.json')
    const proc = Bun.spawn([bin, 'replay', '--dry-run', '--speed', '1', '--summary-json', summary], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    await proc.stdout.getReader().read() // the first line is out: the run is under way
    proc.kill('SIGHUP')
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited])
    expect(code).toBe(143)
    expect(stderr.trimEnd().split('\n').at(-1)).toStartWith('[info] stopped by SIGTERM: sent ')
    expect(JSON.parse(readFileSync(summary, 'utf8')).reason).toBe('sigterm')
  })

  it('--shard: every line names the shard, and only shard 0 reports the fragments without a task', async () => {
    const { tasks, fragments } = traceColumns({
      fragments: { id: { name: 'id', data: ['a', 'a', 'zzz'], type: 'STRING' } },
    })
    const dir = writeTrace(tempDir, tasks, fragments)
    const lines = async (k: number) =>
      (await run([bin, 'replay', dir, '--dry-run', '--speed', 'max', '--shard', `${k}/2`])).stderr.trimEnd().split('\n')
    const [zero, one] = [await lines(0), await lines(1)]
    for (const [k, all] of [
      [0, zero],
      [1, one],
    ] as const) {
      expect(all.every((l) => l.startsWith(`[info] [shard ${k}/2] `) || l.startsWith(`[warn] [shard ${k}/2] `))).toBe(
        true,
      )
    }
    expect(zero.filter((l) => l.includes('whose task is not in the tasks file'))).toEqual([
      '[warn] [shard 0/2] skipped 1 fragments whose task is not in the tasks file (--strict makes this an error)',
    ])
    expect(one.filter((l) => l.includes('whose task is not in the tasks file'))).toEqual([])
  })

  it("inspect --svg's title on a what-if host is XML text, not URL-encoded", async () => {
    const svg = join(tempDir('opendt-svg-'), 'd.svg')
    const fixture = join(import.meta.dir, '..', 'fixtures', 'v5-interleaved')
    const result = await run([bin, 'inspect', fixture, '--host-cpus', '2', '--host-mhz', '1000', '--svg', svg])
    expect(result.code).toBe(0)
    expect(readFileSync(svg, 'utf8')).toContain(', every task on 2 x 1000 MHz</text>')
  })

  it('a misspelt environment twin is named on stderr, with the nearest one', async () => {
    const result = await run([bin, 'replay', '--dry-run', '--speed', 'max'], { env: { OPENDT_REPLAY_SPEEED: '5' } })
    expect(result.stderr.split('\n')[0]).toBe(
      '[warn] OPENDT_REPLAY_SPEEED is not a setting of opendt-replay (did you mean OPENDT_REPLAY_SPEED?): ignored',
    )
  })
})
