import { beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test'
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { requireBinary, run, SURF, temporaryFolders } from '../helpers.ts'
import { frameWhen, get, startLive } from '../live.ts'

const tempDir = temporaryFolders()
setDefaultTimeout(60_000)

let bin: string
beforeAll(() => {
  bin = requireBinary()
})

/** The TCP ports a process listens on: its socket fds' inodes found in LISTEN state (0A) in /proc/net/tcp{,6}. */
function listening(pid: number): number {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        return [/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? []].flat()
      } catch {
        return []
      }
    }),
  )
  return ['tcp', 'tcp6']
    .flatMap((table) => readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1))
    .map((row) => row.trim().split(/\s+/))
    .filter((cols) => cols[3] === '0A' && inodes.has(cols[9]!)).length
}

/** `replay ARGS` refused before anything is loaded or sent: exit 2, nothing on stdout, `line` on stderr. */
async function refused(args: string[], line: string, env?: Record<string, string>): Promise<void> {
  expect(await run([bin, 'replay', ...args], { env })).toEqual({
    code: 2,
    stdout: '',
    stderr: `[error] ${line}\n`,
  })
}

describe('the live view of a replay (--http)', () => {
  it('serves the run while it runs; at the end /status holds the summary, and the health check passes', async () => {
    const dir = tempDir('opendt-live-')
    const summary = join(dir, 'summary.json')
    const live = await startLive([
      bin,
      'replay',
      '--dry-run',
      '--speed',
      '200',
      '--http',
      '0',
      '--http-linger',
      '60s',
      '--summary-json',
      summary,
    ])
    expect(live.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    // The URL is printed once.
    expect(live.stderr().match(/live view at/g)).toEqual(['live view at'])
    const done = await frameWhen(live.url, (s) => s.state === 'done')
    const status = JSON.parse((await get(live.url, 'status')).text)
    expect(status.state).toBe('done')
    const health = await run([bin, 'healthcheck', '--http', live.url.slice('http://'.length, -1)])
    expect(health.code).toBe(0)
    expect(health.stdout).toMatch(/^healthy: 200 \{"state":"done"/)
    live.proc.kill('SIGTERM')
    const exit = await live.exited
    expect(exit.code).toBe(0)
    const json = JSON.parse(readFileSync(summary, 'utf8'))
    expect(status.summary).toEqual(json)
    expect(done.status.summary).toEqual(json)
    expect(
      status.topics.map((t: { stream: string; sent: number; acknowledged: number }) => [
        t.stream,
        t.sent,
        t.acknowledged,
      ]),
    ).toEqual([
      ['tasks', 4, 4],
      ['fragments', 12, 12],
    ])
    expect(status.lateness).toEqual({ ...json.lateness, currentMs: 0 })
    expect(exit.stdout.split('\n').filter(Boolean).length).toBe(16)
  })

  it('a port in use: one line, exit 2, nothing sent', async () => {
    const taken = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    try {
      const result = await run([bin, 'replay', '--dry-run', '--speed', 'max', '--http', String(taken.port)])
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: `[error] --http 127.0.0.1:${taken.port}: address in use\n`,
      })
    } finally {
      taken.stop(true)
    }
  })

  it('a malformed or unknown address, a linger without --http, a report that cannot be written: one line, exit 2', async () => {
    await refused(
      ['--dry-run', '--http', 'localhost:'],
      '--http: expected [HOST:]PORT with PORT 0 to 65535, got "localhost:"',
    )
    await refused(
      ['--dry-run', '--report', '/nonexistent/r.html'],
      '--report: /nonexistent/r.html: the folder /nonexistent does not exist (it is not created)',
    )
    await refused(['--dry-run', '--http', 'nosuchhost.invalid:8080'], '--http nosuchhost.invalid:8080: no such host')
    await refused(
      ['--dry-run', '--http-linger', '5s'],
      '--http-linger needs --http: without it nothing is served to linger',
    )
    await refused(['--dry-run'], 'OPENDT_REPLAY_HTTP: port 99999 is beyond 65535, got "99999"', {
      OPENDT_REPLAY_HTTP: '99999',
    })
  })

  it('with --http the process listens on one port; without it, on none', async () => {
    const live = await startLive([bin, 'replay', '--dry-run', '--speed', '1', '--http', '0'])
    expect(listening(live.proc.pid)).toBe(1)
    live.proc.kill('SIGINT')
    expect((await live.exited).code).toBe(130)
    const proc = Bun.spawn([bin, 'replay', '--dry-run', '--speed', '1'], { stdout: 'pipe', stderr: 'pipe' })
    // The first line on stdout: the run is under way.
    const reader = proc.stdout.getReader()
    await reader.read()
    expect(listening(proc.pid)).toBe(0)
    proc.kill('SIGINT')
    expect(await proc.exited).toBe(130)
  })

  it('the health check of nothing listening: exit 1, one line', async () => {
    const free = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    const port = free.port
    free.stop(true)
    const result = await run([bin, 'healthcheck', '--http', String(port)])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe(
      `unhealthy: no answer from http://127.0.0.1:${port}/healthz: connection refused (nothing listens there)\n`,
    )
  })

  it('a report never overwrites a file of the run, nor goes where it cannot be written', async () => {
    const dir = tempDir('opendt-live-report-')
    const summary = join(dir, 's.json')
    const refusedMax = (args: string[], line: string) => refused([...args, '--dry-run', '--speed', 'max'], line)
    await refusedMax(
      [SURF, '--report', join(SURF, 'topology.json')],
      `--report: ${join(SURF, 'topology.json')} is in the trace's folder ${SURF}: write the report elsewhere`,
    )
    await refusedMax(
      ['--summary-json', summary, '--report', summary],
      `--report: ${summary} is also --summary-json's file`,
    )
    await refusedMax(['--report', '/dev/full'], '--report: /dev/full is not a regular file')
    expect(existsSync(summary)).toBe(false)
  })

  it('Ctrl-C while the trace loads: nothing sent, exit 130, and the report says interrupted', async () => {
    const dir = tempDir('opendt-live-early-')
    const report = join(dir, 'r.html')
    // The live view is up before the trace is loaded: the signal comes while the workers load.
    const live = await startLive([
      bin,
      'replay',
      SURF,
      '--dry-run',
      '--speed',
      '1000',
      '--http',
      '0',
      '--report',
      report,
    ])
    live.proc.kill('SIGINT')
    const exit = await live.exited
    expect([exit.code, exit.stdout]).toEqual([130, ''])
    expect(exit.stderr.trimEnd().split('\n').at(-1)).toBe(
      '[info] stopped by SIGINT: sent 0 tasks and 0 fragments in 0.00 s (0 msg/s)',
    )
    expect(readFileSync(report, 'utf8')).toContain('\\"state\\":\\"interrupted\\"'.replaceAll('\\', ''))
  })

  it('the reader of stdout goes away: the report says interrupted, and claims nothing it did not write', async () => {
    const dir = tempDir('opendt-live-gone-')
    const report = join(dir, 'r.html')
    const proc = Bun.spawn([bin, 'replay', SURF, '--dry-run', '--speed', 'max', '--to', '6h', '--report', report], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const reader = proc.stdout.getReader()
    await reader.read()
    await reader.cancel()
    expect(await proc.exited).toBe(141)
    const html = readFileSync(report, 'utf8')
    const snapshot = JSON.parse(
      html.slice(
        html.indexOf('>', html.indexOf('id="snapshot"')) + 1,
        html.indexOf('</script>', html.indexOf('id="snapshot"')),
      ),
    )
    expect(snapshot.status.state).toBe('interrupted')
    const written = snapshot.status.topics.reduce((n: number, t: { acknowledged: number }) => n + t.acknowledged, 0)
    // Everything before the position was written: no progress without a line written.
    expect(written > 0 || snapshot.status.trace.fraction === 0).toBe(true)
  })

  it("the health check: a 200 that is not opendt-replay's is unhealthy, in one line; port 0 and a zero timeout are bad input", async () => {
    const other = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('hello\n  world\n') })
    try {
      expect(await run([bin, 'healthcheck', '--http', String(other.port)])).toEqual({
        code: 1,
        stdout: "unhealthy: 200 not opendt-replay's /healthz: hello world\n",
        stderr: '',
      })
    } finally {
      other.stop(true)
    }
    expect(await run([bin, 'healthcheck', '--http', '0'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "[error] --http: port 0 names no server: give the replay's port\n",
    })
    expect(await run([bin, 'healthcheck', '--http', '9', '--timeout', '0'])).toEqual({
      code: 2,
      stdout: '',
      stderr: '[error] --timeout: must be longer than 0, got "0"\n',
    })
  })
})
