import { beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test'
import { copyFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { FIXTURES, requireBinary, requireSurf, run, temporaryFolders } from '../helpers.ts'

const tempDir = temporaryFolders()

// Every test runs the binary, many on the whole SURF week: seconds each, more on a loaded
// machine. A test that truly hangs still fails, at a minute.
setDefaultTimeout(60_000)

let bin: string
let surf: string
beforeAll(() => {
  bin = requireBinary()
  surf = requireSurf()
})

/** Streams a command's stdout line by line (no 300 MB string), returning exit code and stderr. */
async function eachLine(args: string[], onLine: (line: string) => void) {
  const proc = Bun.spawn(args, { stdout: 'pipe', stderr: 'pipe' })
  const stderr = new Response(proc.stderr).text()
  const decoder = new TextDecoder()
  let rest = ''
  for await (const chunk of proc.stdout) {
    const text = rest + decoder.decode(chunk, { stream: true })
    const lines = text.split('\n')
    rest = lines.pop()!
    for (const line of lines) onLine(line)
  }
  expect(rest).toBe('') // the output ends with a newline
  return { code: await proc.exited, stderr: await stderr }
}

const TIME = /"submission_time":"([^"]+)"/
// SURF times are whole seconds, so ISO text compares like time.
const DAY_1 = '2022-10-07T22:00:00Z'
const DAY_2 = '2022-10-08T22:00:00Z'
/** Per-test limit for the tests that replay all of SURF. */
const SLOW = 60_000

describe('compiled binary on the SURF trace', () => {
  it(
    'sends exactly 7,850 tasks and 2,323,475 fragments, each stream in time order, the same bytes every run',
    async () => {
      const runs: { counts: Record<string, number>; window: Record<string, number>; hash: string }[] = []
      for (let r = 0; r < 2; r++) {
        const counts: Record<string, number> = { tasks: 0, fragments: 0 }
        const window: Record<string, number> = { tasks: 0, fragments: 0 }
        const last: Record<string, string> = { tasks: '', fragments: '' }
        const hasher = new Bun.CryptoHasher('sha256')
        let disorder = 0
        const { code, stderr } = await eachLine([bin, 'replay', surf, '--dry-run', '--speed', 'max'], (line) => {
          hasher.update(line)
          const topic = line.startsWith('{"topic":"tasks"') ? 'tasks' : 'fragments'
          counts[topic]!++
          const time = TIME.exec(line)![1]!
          if (time < last[topic]!) disorder++ // whole seconds only in SURF: text order is time order
          last[topic] = time
          if (time >= DAY_1 && time < DAY_2) window[topic]!++
        })
        expect(code).toBe(0)
        expect(disorder).toBe(0)
        expect(stderr).toMatch(
          /^\[info\] replaying 2022-10-06T22:00:00Z to end at max speed\n\[info\] sent 7850 tasks and 2323475 fragments in [\d.]+ s \(\d+ msg\/s\)\n$/,
        )
        runs.push({ counts, window, hash: hasher.digest('hex') })
      }
      expect(runs[0]!.counts).toEqual({ tasks: 7850, fragments: 2_323_475 })
      expect(runs[1]!.hash).toBe(runs[0]!.hash)

      // A window replays exactly the lines of the full run that fall into it, relative or absolute.
      const windowed = await run([bin, 'replay', surf, '--dry-run', '--speed', 'max', '--from', '1d', '--to', '2d'])
      const lines = windowed.stdout.split('\n').slice(0, -1)
      expect(lines.filter((l) => l.startsWith('{"topic":"tasks"')).length).toBe(runs[0]!.window.tasks!)
      expect(lines.filter((l) => l.startsWith('{"topic":"fragments"')).length).toBe(runs[0]!.window.fragments!)
      const absolute = await run([
        bin,
        'replay',
        surf,
        '--dry-run',
        '--speed',
        'max',
        '--from',
        '2022-10-07T22:00:00Z',
        '--to',
        '2022-10-08T22:00:00Z',
      ])
      expect(absolute.stdout).toBe(windowed.stdout)
    },
    SLOW,
  )

  it('the last fragment lands at 2022-10-13T22:00:00Z (168 h after the first task)', async () => {
    const { stdout, code } = await run([bin, 'replay', surf, '--dry-run', '--speed', 'max', '--from', '167h59m30s'])
    expect(code).toBe(0)
    const times = stdout
      .trim()
      .split('\n')
      .map((l) => TIME.exec(l)![1])
    expect(times.at(-1)).toBe('2022-10-13T22:00:00Z')
  })

  it('runs copied alone into an empty folder', async () => {
    const dir = tempDir('opendt-alone-')
    copyFileSync(bin, join(dir, 'opendt-replay'))
    const args = ['replay', surf, '--dry-run', '--speed', 'max', '--from', '3d', '--to', '3d1h']
    const alone = await run([join(dir, 'opendt-replay'), ...args], { cwd: dir })
    const here = await run([bin, ...args])
    expect(alone.code).toBe(0)
    expect(alone.stdout.length).toBeGreaterThan(0)
    expect(alone.stdout).toBe(here.stdout)
  })
})

describe('compiled binary on other OpenDC layouts (expected output from an independent reference)', () => {
  it.each([
    [
      'v5-interleaved',
      '[warn] skipped 1 fragments whose task is not in the tasks file (--strict makes this an error)\n',
    ],
    [
      'v2-int-ids',
      '[info] tasks file has no duration column (schema v2): durations are the sums of fragment durations\n',
    ],
    ['v3-micros-zstd', ''],
  ])('%s', async (name, note) => {
    const result = await run([bin, 'replay', join(FIXTURES, name), '--dry-run', '--speed', 'max'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(readFileSync(join(FIXTURES, name, 'expected.ndjson'), 'utf8'))
    expect(result.stderr.startsWith(note + '[info] replaying ')).toBe(true)
  })
})

describe('the command line', () => {
  it('with no trace replays the built-in demo and says so', async () => {
    const result = await run([bin, 'replay', '--dry-run', '--speed', 'max'])
    expect(result.code).toBe(0)
    const lines = result.stdout.trim().split('\n')
    expect(lines.length).toBe(16)
    expect(lines[0]).toBe(
      '{"topic":"tasks","key":{"id":"task-1"},"value":{"submission_time":"2022-10-06T22:00:00Z","duration":60000,"cpu_count":4,"cpu_capacity":8400.0,"mem_capacity":16000}}',
    )
    expect(result.stderr.split('\n')[0]).toBe(
      '[info] no trace given: replaying the built-in demo trace (4 tasks, 12 fragments); pass TRACE_DIR for a real one',
    )
  })

  // The whole table of flag errors is in test/unit/options.test.ts; these rows check the binary's boundary.
  it.each([
    [
      ['replay', 'test/fixtures/bad/null', '--dry-run'],
      'test/fixtures/bad/null/tasks.parquet: column "cpu_count" row 2: null',
    ],
    [['replay', '--dry-run', '--speed', 'fast'], '--speed: expected a positive number or "max", got "fast"'],
    [['replay', '--dry-run', '--frobnicate'], 'unknown option --frobnicate (see opendt-replay replay --help)'],
    [
      ['frob'],
      'unknown command "frob" (commands: replay, inspect, verify, dc-mock, healthcheck; see opendt-replay --help)',
    ],
  ])('%j fails with one line and exit 2, nothing on stdout', async (args, message) => {
    const result = await run([bin, ...args])
    expect(result).toEqual({ code: 2, stdout: '', stderr: `[error] ${message}\n` })
  })

  it('--quiet leaves only the summary on stderr', async () => {
    const result = await run([bin, 'replay', '--dry-run', '--speed', 'max', '--quiet'])
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/^\[info\] sent 4 tasks and 12 fragments in [\d.]+ s \(\d+ msg\/s\)\n$/)
  })

  it('without a terminal, progress is one plain line every --stats-interval', async () => {
    const result = await run([bin, 'replay', '--dry-run', '--speed', '20', '--stats-interval', '1s'])
    const progress = result.stderr.split('\n').filter((l) => l.includes(' msg/s late '))
    expect(progress.length).toBeGreaterThanOrEqual(1)
    for (const line of progress) {
      expect(line).toMatch(
        /^\[info\] (2022-10-06T22:0\d:\d\dZ|waiting) [\d.]+% tasks \d+ sent, fragments \d+ sent \d+ msg\/s late [\d.]+ ms ETA \S+( \S+)?$/,
      )
    }
  })

  it('--max-lag stops a run that cannot keep up, exit 4', async () => {
    // At 1e9 the week is due within 0.6 ms: no machine writes 2.3 M lines that fast.
    const result = await run([bin, 'replay', surf, '--dry-run', '--speed', '1e9', '--max-lag', '1ms'])
    expect(result.code).toBe(4)
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(
      /^\[error\] (tasks|fragments) fell [\d.]+ ms behind schedule \(--max-lag 1\.00 ms\): stopped; sent \d+ tasks and \d+ fragments in /,
    )
  })

  it('--summary-json writes the summary for scripts', async () => {
    const file = join(tempDir('opendt-summary-'), 'summary.json')
    const before = Date.now()
    const result = await run([bin, 'replay', '--dry-run', '--speed', 'max', '--summary-json', file])
    const after = Date.now()
    expect(result.code).toBe(0)
    const json = JSON.parse(readFileSync(file, 'utf8'))
    // The replayer's clock (performance.timeOrigin + now) may stand a few ms off this process's Date.now().
    const started = Date.parse(json.startedAt)
    expect(started >= before - 1000 && started <= after + 1000).toBe(true)
    expect({
      ...json,
      startedAt: 'T',
      wallSeconds: 0,
      topics: {
        tasks: { ...json.topics.tasks, ratePerSecond: 0 },
        fragments: { ...json.topics.fragments, ratePerSecond: 0 },
      },
    }).toEqual({
      exitCode: 0,
      reason: 'completed',
      error: null,
      output: 'stdout',
      brokers: null,
      speed: 'max',
      window: { from: '2022-10-06T22:00:00Z', to: null },
      startedAt: 'T',
      shard: null,
      wallSeconds: 0,
      skippedTraceSeconds: 0,
      format: 'tasks-fragments',
      topics: {
        tasks: { topic: 'tasks', sent: 4, acknowledged: 4, ratePerSecond: 0 },
        fragments: { topic: 'fragments', sent: 12, acknowledged: 12, ratePerSecond: 0 },
      },
      lateness: null,
    })
    const bad = await run([bin, 'replay', 'test/fixtures/bad/nan', '--dry-run', '--summary-json', file])
    expect(bad.code).toBe(2)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      exitCode: 2,
      reason: 'bad-input',
      error: 'test/fixtures/bad/nan/fragments.parquet: column "cpu_usage" row 3: NaN',
    })
  })

  it("--max-gap shortens idle stretches: the demo's 95 s of trace shrink to 24 s, same lines", async () => {
    const file = join(tempDir('opendt-gap-'), 'summary.json')
    const compressed = await run([
      bin,
      'replay',
      '--dry-run',
      '--speed',
      '100',
      '--max-gap',
      '2s',
      '--summary-json',
      file,
    ])
    expect(compressed.code).toBe(0)
    expect(compressed.stdout).toBe((await run([bin, 'replay', '--dry-run', '--speed', 'max'])).stdout)
    expect(compressed.stderr).toContain('; skipped 1m 11s of idle trace time (--max-gap)\n')
    // 13 distinct event times from the window start: 12 gaps, each now 2 s; 95 s - 24 s skipped.
    expect(JSON.parse(readFileSync(file, 'utf8')).skippedTraceSeconds).toBe(71)
  })

  it('flags can come from the environment; the command line wins', async () => {
    const fromEnv = await run([bin, 'replay'], { env: { OPENDT_REPLAY_DRY_RUN: '1', OPENDT_REPLAY_SPEED: 'max' } })
    expect(fromEnv.code).toBe(0)
    expect(fromEnv.stdout.trim().split('\n').length).toBe(16)
    const flagWins = await run([bin, 'replay', '--dry-run', '--speed', 'max'], {
      env: { OPENDT_REPLAY_SPEED: 'fast', KAFKA_BROKERS: 'k:9092' },
    })
    expect(flagWins.code).toBe(0)
    expect(await run([bin, 'replay', '--dry-run'], { env: { OPENDT_REPLAY_STRICT: 'maybe' } })).toEqual({
      code: 2,
      stdout: '',
      stderr: '[error] OPENDT_REPLAY_STRICT: expected 1/true/yes or 0/false/no, got "maybe"\n',
    })
    expect(await run([bin, 'replay', '--dry-run'], { env: { OPENDT_REPLAY_SPEED: 'fast' } })).toEqual({
      code: 2,
      stdout: '',
      stderr: '[error] OPENDT_REPLAY_SPEED: expected a positive number or "max", got "fast"\n',
    })
  })

  it('OPENDT_REPLAY_VERBOSE=1 acts like --verbose: an error shows its stack', async () => {
    const quiet = await run([bin, 'replay', 'no/such/dir', '--dry-run'])
    const verbose = await run([bin, 'replay', 'no/such/dir', '--dry-run'], { env: { OPENDT_REPLAY_VERBOSE: '1' } })
    expect(quiet.stderr).toBe(
      '[error] no/such/dir: no such directory (TRACE_DIR must hold tasks.parquet and fragments.parquet)\n',
    )
    const lines = verbose.stderr.split('\n')
    expect(lines[0]).toBe(quiet.stderr.trim())
    expect(lines[1]).toBe(
      '[error] ReplayError: no/such/dir: no such directory (TRACE_DIR must hold tasks.parquet and fragments.parquet)',
    )
    expect(lines.filter((l) => l.trimStart().startsWith('at ')).length).toBeGreaterThan(0)
    expect(verbose.code).toBe(2)
  })

  it('--help and --version answer on stdout', async () => {
    const help = await run([bin, 'replay', '--help'])
    expect(help.code).toBe(0)
    for (const flag of ['--tasks', '--fragments', '--dry-run', '--speed', '--from', '--to', '--strict'])
      expect(help.stdout).toContain(flag)
    for (const args of [['--help'], ['replay', '--help'], ['inspect', '--help']]) {
      const help = await run([bin, ...args])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain('EXAMPLES')
      expect(help.stdout).toContain('EXIT CODES')
      expect(help.stdout).not.toContain('\x1b[') // no colour codes through a pipe
    }
    expect((await run([bin, 'replay', '--help'])).stdout).toContain(
      'Every flag has a twin: OPENDT_REPLAY_ and the flag',
    )
    const version = await run([bin, '--version'])
    const head = Bun.spawnSync(['git', 'rev-parse', '--short=12', 'HEAD']).stdout.toString().trim()
    expect(version.stdout).toMatch(
      new RegExp(
        `^opendt-replay 0\\.1\\.0 \\(commit ${head}(-dirty)?, bun ${Bun.version.replaceAll('.', '\\.')}\\)\n$`,
      ),
    )
  })

  it('a reader that goes away (| head) ends the run quietly with 141, like a Unix tool', async () => {
    const proc = Bun.spawn([bin, 'replay', surf, '--dry-run', '--speed', 'max'], { stdout: 'pipe', stderr: 'pipe' })
    const reader = proc.stdout.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value!).startsWith('{"topic":"tasks","key":{"id":"2133099"}')).toBe(true)
    await reader.cancel()
    expect(await proc.exited).toBe(141)
    expect(await new Response(proc.stderr).text()).not.toContain('[error]')
  })

  it('SIGINT stops pacing and reports exactly what was written, exit 130', async () => {
    const proc = Bun.spawn([bin, 'replay', '--dry-run'], { stdout: 'pipe', stderr: 'pipe' })
    const reader = proc.stdout.getReader()
    let text = new TextDecoder().decode((await reader.read()).value!) // the first task is due at once
    proc.kill('SIGINT')
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value)
    expect(await proc.exited).toBe(130)
    const lines = text.trim().split('\n')
    const tasks = lines.filter((l) => l.startsWith('{"topic":"tasks"')).length
    const stderr = await new Response(proc.stderr).text()
    expect(stderr).toContain(`[info] stopped by SIGINT: sent ${tasks} tasks and ${lines.length - tasks} fragments in `)
    expect(lines.length).toBeLessThan(16)
  })

  it('a stdout that cannot be written (a full disk) is an output error, exit 6', async () => {
    const proc = Bun.spawn([bin, 'replay', '--dry-run', '--speed', 'max'], {
      stdout: Bun.file('/dev/full'),
      stderr: 'pipe',
    })
    expect(await proc.exited).toBe(6)
    const lines = (await new Response(proc.stderr).text()).trim().split('\n')
    // The one error line still says what was written: nothing, on a full disk.
    expect(lines.at(-1)).toMatch(
      /^\[error\] cannot write to stdout: ENOSPC: no space left on device, write; sent 0 tasks and 0 fragments in \d+\.\d\d s \(0 msg\/s\)$/,
    )
    expect(lines.length).toBe(3) // the demo notice, the window, the error
  })

  it('SIGTERM stops the same way, exit 143', async () => {
    const proc = Bun.spawn([bin, 'replay', '--dry-run'], { stdout: 'pipe', stderr: 'pipe' })
    const reader = proc.stdout.getReader()
    await reader.read()
    proc.kill('SIGTERM')
    while (!(await reader.read()).done) {}
    expect(await proc.exited).toBe(143)
    expect(await new Response(proc.stderr).text()).toContain('[info] stopped by SIGTERM: sent ')
  })

  it("paces: at --speed 100 the demo (95 s of trace) takes at least 0.95 s on the producer's clock", async () => {
    // The producer's own figures, not the reader's arrival times (which a loaded machine shifts).
    const summary = join(tempDir('opendt-pace-'), 'summary.json')
    const result = await run([bin, 'replay', '--dry-run', '--speed', '100', '--summary-json', summary])
    expect([result.code, result.stdout.trimEnd().split('\n').length]).toEqual([0, 16])
    const json = JSON.parse(readFileSync(summary, 'utf8'))
    expect(json.wallSeconds).toBeGreaterThanOrEqual(0.95)
    expect(json.lateness.messages).toBe(16)
  }, 30_000)
})
