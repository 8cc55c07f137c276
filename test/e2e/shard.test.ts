import { beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { requireBinary, requireSurf, run, temporaryFolders } from '../helpers.ts'

const tempDir = temporaryFolders()

// Every test runs the binary, many on the whole SURF week: seconds each, more on a loaded
// machine. A test that truly hangs still fails, at a minute.
setDefaultTimeout(60_000)

/**
 * `--shard K/N` through the binary: N dry-runs of one window, put together, are the unsharded
 * dry-run, line for line (in another order), and each key's lines keep their order.
 */
let bin: string
let surf: string
beforeAll(() => {
  bin = requireBinary()
  surf = requireSurf()
})

const lines = (stdout: string) => stdout.trimEnd().split('\n')
/** A dry-run line's topic and key: what Kafka would place and order. */
const keyOf = (line: string) => line.slice(0, line.indexOf(',"value":'))
/** dc-mock stamps the topology with the wall clock: the same message at two moments differs only there. */
const unstamped = (line: string) => line.replace(/"timestamp":"[^"]*","topology"/, '"timestamp":"T","topology"')

async function shards(
  format: string[],
  n: number,
  extra: string[] = [],
): Promise<{ all: string[]; parts: string[][] }> {
  const args = [bin, 'replay', surf, '--dry-run', '--speed', 'max', '--to', '3h', ...format, ...extra]
  const all = lines((await run(args)).stdout).map(unstamped)
  const parts: string[][] = []
  for (let k = 0; k < n; k++) {
    const result = await run([...args, '--shard', `${k}/${n}`])
    expect(result.code).toBe(0)
    parts.push(lines(result.stdout).map(unstamped))
  }
  return { all, parts }
}

/** Each key's lines, in order. */
function byKey(list: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const line of list) out.set(keyOf(line), [...(out.get(keyOf(line)) ?? []), line])
  return out
}

describe('--shard K/N', () => {
  it.each([
    ['tasks-fragments', []],
    ['dc-mock', ['--format', 'dc-mock']],
  ] as const)(
    '%s: three shards together are the unsharded replay, each key in one shard, in order',
    async (_, format) => {
      const { all, parts } = await shards([...format], 3)
      expect(parts.flat().sort()).toEqual([...all].sort())
      const whole = byKey(all)
      for (const part of parts) {
        for (const [key, list] of byKey(part)) {
          // A task key lives in one shard with all its lines; heartbeats, power and topology in shard 0.
          expect(list).toEqual(whole.get(key)!)
        }
      }
      expect(parts.map((p) => p.length).every((n) => n > 0)).toBe(true)
    },
  )

  it('dc-mock with --shard-control all: every shard sends the heartbeats and the topology, power stays in shard 0', async () => {
    const { parts } = await shards(['--format', 'dc-mock'], 2, ['--shard-control', 'all'])
    const count = (part: string[], what: RegExp) => part.filter((l) => what.test(l)).length
    expect(
      parts.map((p) => [count(p, /"key":"heartbeat"/), count(p, /"dc.topology"/), count(p, /"dc.power"/)]),
    ).toEqual([
      [180, 360, 359],
      [180, 360, 0],
    ])
  })
})

describe('--start-at', () => {
  it.each([['max'], ['1000']])(
    'at --speed %s nothing is written before the instant, and the wall time is not negative',
    async (speed) => {
      const dir = tempDir('opendt-start-')
      const summary = join(dir, 'summary.json')
      const proc = Bun.spawn(
        [
          bin,
          'replay',
          surf,
          '--dry-run',
          '--speed',
          speed,
          '--to',
          '1m',
          '--start-at',
          '+3s',
          '--summary-json',
          summary,
        ],
        { stdout: 'pipe', stderr: 'pipe' },
      )
      const reader = proc.stdout.getReader()
      const first = await reader.read()
      const firstAt = Date.now()
      while (!(await reader.read()).done) {}
      expect(await proc.exited).toBe(0)
      expect(first.done).toBe(false)
      const s = JSON.parse(readFileSync(summary, 'utf8'))
      expect(firstAt).toBeGreaterThanOrEqual(Date.parse(s.startedAt))
      expect(s.wallSeconds).toBeGreaterThanOrEqual(0)
    },
    30_000,
  )
})
