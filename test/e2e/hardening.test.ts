import { beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test'
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { requireBinary, run, temporaryFolders } from '../helpers.ts'
import {
  type Column,
  corruptRunLength,
  dataPageOf,
  flipPageByte,
  parquetBytes,
  rewriteFooter,
  traceColumns,
  writeTrace,
} from '../parquet.ts'

const tempDir = temporaryFolders()

// Every test runs the binary, many on the whole SURF week: seconds each, more on a loaded
// machine. A test that truly hangs still fails, at a minute.
setDefaultTimeout(60_000)

/**
 * Hostile input through the binary, one case per way it used to get past the checks. Every
 * trace is made here; each case asserts the exact line, the exit code, and an empty stdout.
 */
let bin: string
beforeAll(() => {
  bin = requireBinary()
})

const T0 = Date.UTC(2022, 9, 6, 22)
const int64 = (name: string, values: (number | bigint)[]): Column => ({ name, data: values.map(BigInt), type: 'INT64' })

/** Replays a trace made of the default columns with some replaced; returns what the binary did. */
async function replayWith(overrides: Parameters<typeof traceColumns>[0], extra: string[] = []) {
  const { tasks, fragments } = traceColumns(overrides)
  const dir = writeTrace(tempDir, tasks, fragments)
  return { dir, result: await run([bin, 'replay', dir, '--dry-run', '--speed', 'max', ...extra]) }
}

async function expectBadInput(overrides: Parameters<typeof traceColumns>[0], line: (dir: string) => string) {
  const { dir, result } = await replayWith(overrides)
  expect(result).toEqual({ code: 2, stdout: '', stderr: `[error] ${line(dir)}\n` })
}

describe('1. times a date cannot hold', () => {
  it('a submission time of 10^16 ms', async () => {
    await expectBadInput(
      { tasks: { submission_time: int64('submission_time', [T0, 10n ** 16n]) } },
      (dir) =>
        `${dir}/tasks.parquet: column "submission_time" row 1: time 10000000000000000 ms is outside the range of dates (±8640000000000000 ms around 1970)`,
    )
  })

  it('fragment durations that each fit but add up past the last date', async () => {
    const huge = 5_000_000_000_000_000n
    await expectBadInput(
      { fragments: { duration: int64('duration', [huge, huge, 1000n]) } },
      (dir) =>
        `${dir}/fragments.parquet: column "duration" row 1: the fragment's time (its task's submission plus the durations up to it) is ${T0 + 2 * Number(huge)} ms, outside the range of dates (±8640000000000000 ms around 1970)`,
    )
  })

  it('--from beyond any date', async () => {
    const result = await run([bin, 'replay', '--dry-run', '--from', '300000000d'])
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: '[error] --from: 300000000d is beyond the range of dates (8640000000000000 ms)\n',
    })
  })
})

describe('2. a corrupt run length cannot grow memory', () => {
  it('a run header declaring 2^31 repeats is an error at once', async () => {
    const { tasks, fragments } = traceColumns({
      fragments: {
        id: { name: 'id', data: Array.from({ length: 200 }, () => 'a'), type: 'STRING' },
        duration: int64('duration', Array(200).fill(10)),
        cpu_usage: { name: 'cpu_usage', data: Array.from({ length: 200 }, (_, i) => (i % 3) * 100.5), type: 'DOUBLE' },
      },
    })
    const dir = writeTrace(tempDir, tasks, fragments)
    writeFileSync(join(dir, 'fragments.parquet'), corruptRunLength(parquetBytes(fragments), 'cpu_usage'))
    const result = await run([bin, 'replay', dir, '--dry-run', '--speed', 'max'])
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `[error] ${dir}/fragments.parquet: column "cpu_usage": cannot decode (parquet run of 2147483580 values overflows the page (200 left))\n`,
    })
  })
})

describe('3. integers beyond 2^53', () => {
  const big = 2n ** 53n
  it('int64 ids 2^53 and 2^53 + 1 are two tasks, printed exactly', async () => {
    const { result } = await replayWith({
      tasks: { id: int64('id', [big, big + 1n]) },
      fragments: { id: int64('id', [big, big, big + 1n]) },
    })
    expect(result.code).toBe(0)
    const keys = result.stdout
      .trim()
      .split('\n')
      .map((l) => l.slice(l.indexOf('"key":') + 6, l.indexOf(',"value"')))
    expect(keys).toEqual([
      '{"id":9007199254740992}',
      '{"id":9007199254740993}',
      '{"id":9007199254740992}',
      '{"id":9007199254740992}',
      '{"id":9007199254740993}',
    ])
  })

  it('an unsigned id 2^64 - 1 is printed unsigned', async () => {
    const { tasks, fragments } = traceColumns({
      tasks: { id: int64('id', [-1n, 7n]) },
      fragments: { id: int64('id', [-1n, -1n, 7n]) },
    })
    const dir = writeTrace(tempDir, tasks, fragments)
    const unsigned = (bytes: Uint8Array) =>
      rewriteFooter(bytes, (m) => {
        for (const e of m.schema) if (e.name === 'id') e.converted_type = 'UINT_64'
      })
    writeFileSync(join(dir, 'tasks.parquet'), unsigned(parquetBytes(tasks)))
    writeFileSync(join(dir, 'fragments.parquet'), unsigned(parquetBytes(fragments)))
    const result = await run([bin, 'replay', dir, '--dry-run', '--speed', 'max'])
    expect(result.code).toBe(0)
    expect(result.stdout.split('\n')[0]).toStartWith('{"topic":"tasks","key":{"id":18446744073709551615},')
  })

  it('an unsigned duration 2^64 - 1 is bad input naming the value, not "negative -1"', async () => {
    const { tasks, fragments } = traceColumns({ fragments: { duration: int64('duration', [-1n, 1n, 1n]) } })
    const dir = writeTrace(tempDir, tasks, fragments)
    const bytes = rewriteFooter(parquetBytes(fragments), (m) => {
      for (const e of m.schema) if (e.name === 'duration') e.converted_type = 'UINT_64'
    })
    writeFileSync(join(dir, 'fragments.parquet'), bytes)
    expect(await run([bin, 'replay', dir, '--dry-run'])).toEqual({
      code: 2,
      stdout: '',
      stderr: `[error] ${dir}/fragments.parquet: column "duration" row 0: value 18446744073709551615 is beyond 2^53 - 1 (9007199254740991), the largest exact integer\n`,
    })
  })

  it('a task duration of 2^63 - 1', async () => {
    await expectBadInput(
      { tasks: { duration: int64('duration', [2n ** 63n - 1n, 1n]) } },
      (dir) =>
        `${dir}/tasks.parquet: column "duration" row 0: value 9223372036854775807 is beyond 2^53 - 1 (9007199254740991), the largest exact integer`,
    )
  })
})

describe('4. files that cannot be read', () => {
  it('a symlink loop', async () => {
    const { tasks, fragments } = traceColumns()
    const dir = writeTrace(tempDir, tasks, fragments)
    const loop = join(dir, 'loop.parquet')
    symlinkSync(loop, loop)
    const result = await run([
      bin,
      'replay',
      '--tasks',
      loop,
      '--fragments',
      join(dir, 'fragments.parquet'),
      '--dry-run',
    ])
    expect(result).toEqual({ code: 2, stdout: '', stderr: `[error] ${loop}: too many levels of symbolic links\n` })
  })

  it('a file its reader may not open (mode 000, another user)', async () => {
    const { tasks, fragments } = traceColumns()
    const dir = writeTrace(tempDir, tasks, fragments)
    chmodSync(dir, 0o755)
    chmodSync(join(dir, 'tasks.parquet'), 0o000)
    // root may read anything: run the binary as nobody then.
    const as = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []
    const replay = await run([...as, bin, 'replay', dir, '--dry-run'])
    expect(replay).toEqual({ code: 2, stdout: '', stderr: `[error] ${dir}/tasks.parquet: permission denied\n` })
    const inspect = await run([...as, bin, 'inspect', dir])
    expect(inspect).toEqual({ code: 2, stdout: '', stderr: `[error] ${dir}/tasks.parquet: permission denied\n` })
  })
})

describe('5. writes that must not vanish', () => {
  const full = (args: string[]) => {
    const proc = Bun.spawn([bin, ...args], { stdout: Bun.file('/dev/full'), stderr: 'pipe' })
    return Promise.all([proc.exited, new Response(proc.stderr).text()])
  }
  /** Runs with stdout closed (`>&-`), through a shell. */
  const closed = (args: string[]) => run(['bash', '-c', '"$0" "$@" >&-', bin, ...args])

  it.each([[['--help']], [['--version']], [['inspect', 'test/fixtures/v2-int-ids']]])(
    '%j into a full disk: exit 6',
    async (args) => {
      expect(await full(args)).toEqual([6, '[error] cannot write to stdout: ENOSPC: no space left on device, write\n'])
    },
  )

  it.each([[['--version']], [['--help']], [['inspect', 'test/fixtures/v2-int-ids']], [['replay', '--dry-run']]])(
    '%j with stdout closed: exit 6, nothing reported as sent',
    async (args) => {
      expect(await closed(args)).toEqual({
        code: 6,
        stdout: '',
        stderr: '[error] stdout is closed (>&-): nothing written there would be kept\n',
      })
    },
  )

  it('into Kafka, a closed stdout does not matter (nothing goes there)', async () => {
    const result = await closed(['replay', '--brokers', 'localhost:1', '--connect-timeout', '1ms'])
    expect(result.code).toBe(3)
  })
})

describe('6. many row groups', () => {
  it('2,500 one-row groups (more than one read batch of 1,024) give the bytes one group gives', async () => {
    const n = 2500
    const ids = Array.from({ length: n }, (_, i) => `t${i}`)
    const { tasks, fragments } = traceColumns({
      tasks: {
        id: { name: 'id', data: ids, type: 'STRING' },
        submission_time: int64(
          'submission_time',
          ids.map((_, i) => T0 + i * 1000),
        ),
        duration: int64('duration', Array(n).fill(1000)),
        cpu_count: { name: 'cpu_count', data: Array(n).fill(1), type: 'INT32' },
        cpu_capacity: { name: 'cpu_capacity', data: ids.map((_, i) => 1000 + i), type: 'DOUBLE' },
        mem_capacity: int64('mem_capacity', Array(n).fill(64)),
      },
      fragments: {
        id: { name: 'id', data: ids, type: 'STRING' },
        duration: int64(
          'duration',
          ids.map((_, i) => 1000 + i),
        ),
        cpu_usage: { name: 'cpu_usage', data: ids.map((_, i) => 500 + i), type: 'DOUBLE' },
      },
    })
    const many = await run([
      bin,
      'replay',
      writeTrace(tempDir, tasks, fragments, { rowGroupSize: 1 }),
      '--dry-run',
      '--speed',
      'max',
    ])
    const one = await run([bin, 'replay', writeTrace(tempDir, tasks, fragments), '--dry-run', '--speed', 'max'])
    expect(many.code).toBe(0)
    expect(many.stdout.split('\n').length).toBe(2 * n + 1)
    expect(many.stdout).toBe(one.stdout)
  }, 30_000)
})

describe('7. --summary-json is checked before anything is sent', () => {
  it.each([
    ['a folder', () => tempDir('summary-'), (p: string) => `--summary-json: ${p} is a directory`],
    [
      'a missing folder',
      () => join(tempDir('summary-'), 'no', 'such', 's.json'),
      (p: string) =>
        `--summary-json: ${p}: the folder ${p.slice(0, -'/s.json'.length)} does not exist (it is not created)`,
    ],
  ])('%s', async (_, path, line) => {
    const p = path()
    const result = await run([bin, 'replay', '--dry-run', '--speed', 'max', '--summary-json', p])
    expect(result).toEqual({ code: 2, stdout: '', stderr: `[error] ${line(p)}\n` })
    expect(existsSync(join(p, '..'))).toBe(!p.endsWith('s.json'))
  })

  it('a file the user may not write (as nobody, in a folder of root)', async () => {
    const dir = tempDir('summary-')
    chmodSync(dir, 0o755)
    const as = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []
    if (as.length === 0) chmodSync(dir, 0o555)
    const result = await run([
      ...as,
      bin,
      'replay',
      '--dry-run',
      '--speed',
      'max',
      '--summary-json',
      join(dir, 's.json'),
    ])
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `[error] --summary-json: cannot write ${dir}/s.json: permission denied\n`,
    })
  })
})

describe('8. Kafka flag values fail at parse time', () => {
  it.each([
    [['--acks', 'constructor', '--no-idempotent'], '--acks: expected all, 1 or 0, got "constructor"'],
    [['--acks', '__proto__', '--no-idempotent'], '--acks: expected all, 1 or 0, got "__proto__"'],
    [['--tls-ca', 'README.md'], '--tls-ca: README.md is not a PEM certificate (-----BEGIN CERTIFICATE-----)'],
  ])('%j', async (args, line) => {
    const brokers = args[0] === '--tls-ca' ? 'localhost:9092' : 'localhost:99999'
    const result = await run([bin, 'replay', '--brokers', brokers, ...args])
    const expected = brokers.endsWith('99999')
      ? '--brokers: "localhost:99999": port 99999 is not between 1 and 65535'
      : line
    expect(result).toEqual({ code: 2, stdout: '', stderr: `[error] ${expected}\n` })
  })
})

describe('9. page checksums', () => {
  it('a flipped value in a checksummed page is an error naming both checksums', async () => {
    const usage: Column = { name: 'cpu_usage', data: [500, 600, 700], type: 'DOUBLE', encoding: 'PLAIN' }
    const { tasks, fragments } = traceColumns({ fragments: { cpu_usage: usage } })
    const dir = writeTrace(tempDir, tasks, fragments, { checksums: true })
    const valid = new Uint8Array(readFileSync(join(dir, 'fragments.parquet')))
    const flipped = flipPageByte(valid, 'cpu_usage', 9)
    writeFileSync(join(dir, 'fragments.parquet'), flipped)
    const page = (bytes: Uint8Array) => {
      const { start, end } = dataPageOf(bytes, 'cpu_usage')
      return Bun.hash.crc32(bytes.subarray(start, end))
    }
    const result = await run([bin, 'replay', dir, '--dry-run', '--speed', 'max'])
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `[error] ${dir}/fragments.parquet: column "cpu_usage": cannot decode (parquet page checksum mismatch: the header says ${page(valid)}, the page has ${page(flipped)})\n`,
    })
  })
})

describe('10. smaller things', () => {
  it.each([
    [['--speed', '-1'], '--speed: expected a positive number or "max", got "-1"'],
    [['--from', '-1s'], '--from: expected an offset like 90s, 30m, 2h, 1d or an ISO-8601 time, got "-1s"'],
    [['--from', '2022-02-30T00:00:00Z'], '--from: 2022-02-30T00:00:00Z is not a date (2022-02 has no day 30)'],
    [['--speed', '1e-320'], '--speed: 1e-320 is too slow (the least is 0.000001: a week of trace in 19,000 years)'],
  ])('%j', async (args, line) => {
    expect(await run([bin, 'replay', '--dry-run', ...args])).toEqual({
      code: 2,
      stdout: '',
      stderr: `[error] ${line}\n`,
    })
  })

  it('ids that are not valid UTF-8', async () => {
    const bytes = (...b: number[]) => new Uint8Array(b)
    await expectBadInput(
      {
        tasks: { id: { name: 'id', data: [bytes(0x61), bytes(0xff)], type: 'BYTE_ARRAY' } },
        fragments: { id: { name: 'id', data: [bytes(0x61), bytes(0x61), bytes(0xfe)], type: 'BYTE_ARRAY' } },
      },
      (dir) => `${dir}/tasks.parquet: column "id" row 1: id is not valid UTF-8 (bytes ff)`,
    )
  })

  // Titles name the column and the refusal (a %j of the column would fail on its BigInt data).
  it.each([
    ['cpu_count', 'negative value -2', { name: 'cpu_count', data: [1, -2], type: 'INT32' } as Column],
    ['mem_capacity', 'negative value -1', int64('mem_capacity', [64, -1])],
    [
      'mem_capacity',
      'value 1e+21 is beyond 2^53 - 1 (9007199254740991), the largest exact integer',
      { name: 'mem_capacity', data: [64, 1e21], type: 'DOUBLE' } as Column,
    ],
  ])('%s: %s', async (name, what, column) => {
    await expectBadInput(
      { tasks: { [name]: column } },
      (dir) => `${dir}/tasks.parquet: column "${name}" row 1: ${what}`,
    )
  })

  it('| head -1 ends the run when head does, not at the next due line an hour later', async () => {
    const { result } = await replayWith({ tasks: { submission_time: int64('submission_time', [T0, T0 + 3_600_000]) } })
    expect(result.code).toBe(0) // the trace: a task now, its fragments, and one an hour later
    const { tasks, fragments } = traceColumns({
      tasks: { submission_time: int64('submission_time', [T0, T0 + 3_600_000]) },
    })
    const dir = writeTrace(tempDir, tasks, fragments)
    const proc = Bun.spawn([bin, 'replay', dir, '--dry-run', '--speed', '1'], { stdout: 'pipe', stderr: 'pipe' })
    const reader = proc.stdout.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toStartWith('{"topic":"tasks","key":{"id":"a"}')
    await reader.cancel() // the reader goes away, as head does after one line
    expect(await proc.exited).toBe(141)
  }, 10_000)
})
