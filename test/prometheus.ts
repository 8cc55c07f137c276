import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Prometheus itself, for the tests of `/metrics`: its linter (`promtool check metrics`) and a real
 * server that scrapes a target, both from Debian's `prometheus` package (scripts/tools.sh installs
 * it; the test command runs that). Nothing here parses the exposition format: Prometheus does.
 */

/**
 * `promtool check metrics` on a text (read on its stdin): its exit code and what it printed. It
 * exits 0 and prints nothing for a text that parses and passes its lint (metric names, units,
 * counters ending in `_total`, HELP present); otherwise 1, with a line per problem.
 */
export async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(['promtool', 'check', 'metrics'], { stdin: new Blob([text]), stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  return { code, output: out + err }
}

/** One series of an instant query's answer: its labels and its value as Prometheus spells it. */
export interface Sample {
  metric: Record<string, string>
  value: string
}

export interface Prometheus {
  /** `http://127.0.0.1:PORT`. */
  url: string
  /** An instant query (GET /api/v1/query) at the server's now: the vector's series. */
  query(expr: string): Promise<Sample[]>
  /**
   * Waits until `target` (HOST:PORT) has been scraped, successfully, by a scrape that began after
   * `after` (epoch ms), and its samples are queryable. Throws with the target's last error if it
   * is not within `timeoutMs`.
   */
  scrapedAfter(target: string, after: number, timeoutMs?: number): Promise<void>
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes its folder. */
  stop(): Promise<void>
}

/** A port free on 127.0.0.1 now (the OS's pick); the caller retries if another process takes it first. */
function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = probe.port
  probe.stop(true)
  return port
}

/** Its answer's `data`, or an error naming the request and what Prometheus said. */
async function api<T>(url: string): Promise<T> {
  const response = await fetch(url)
  const body = (await response.json()) as { status: string; data: T; error?: string }
  if (body.status !== 'success') throw new Error(`Prometheus ${url}: ${response.status} ${body.error}`)
  return body.data
}

/**
 * Starts a Prometheus server of its own on a free 127.0.0.1 port, with its config and TSDB in a
 * fresh folder of the temp dir, scraping `targets` (HOST:PORT, path /metrics) every second, and
 * resolves once it answers /-/ready. Stop it with `stop()`.
 */
export async function startPrometheus(targets: string[], timeoutMs = 60_000): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'opendt-prometheus-'))
  const config = join(dir, 'prometheus.yml')
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: opendt',
      '    static_configs:',
      `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
      '',
    ].join('\n'),
  )
  let failure = ''
  // A port picked free may be taken before Prometheus binds it: then it exits at once, and we retry.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = freePort()
    const url = `http://127.0.0.1:${port}`
    const proc = Bun.spawn(
      [
        'prometheus',
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdout: 'ignore', stderr: 'pipe' },
    )
    const log = new Response(proc.stderr).text() // drained as it comes, so a chatty server never blocks
    let exited = false
    void proc.exited.then(() => {
      exited = true
    })
    const stop = async () => {
      proc.kill('SIGTERM')
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      await proc.exited
      clearTimeout(killer)
      await log
      rmSync(dir, { recursive: true, force: true })
    }
    const deadline = Date.now() + timeoutMs
    while (!exited && Date.now() < deadline) {
      const ready = await fetch(`${url}/-/ready`).then(
        (r) => r.status === 200,
        () => false,
      )
      if (ready) return server(url, stop)
      await Bun.sleep(50)
    }
    if (!exited) {
      await stop()
      throw new Error(`prometheus on ${url} not ready after ${timeoutMs} ms:\n${await log}`)
    }
    failure = await log
    if (!failure.includes('address already in use')) break
  }
  rmSync(dir, { recursive: true, force: true })
  throw new Error(`prometheus exited before it was ready:\n${failure}`)
}

function server(url: string, stop: () => Promise<void>): Prometheus {
  const query = async (expr: string): Promise<Sample[]> => {
    const data = await api<{
      resultType: string
      result: { metric: Record<string, string>; value: [number, string] }[]
    }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)
    if (data.resultType !== 'vector') throw new Error(`Prometheus query ${expr}: a ${data.resultType}, not a vector`)
    return data.result.map((r) => ({ metric: r.metric, value: r.value[1] }))
  }

  const scrapedAfter = async (target: string, after: number, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    let seen = 'not among the active targets'
    while (Date.now() < deadline) {
      const { activeTargets } = await api<{
        activeTargets: { labels: Record<string, string>; lastScrape: string; health: string; lastError: string }[]
      }>(`${url}/api/v1/targets?state=active`)
      const found = activeTargets.find((t) => t.labels.instance === target)
      if (found) {
        seen = `health ${found.health}, last scrape ${found.lastScrape}, last error "${found.lastError}"`
        const began = Date.parse(found.lastScrape)
        if (found.health === 'up' && began > after) {
          // The target's lastScrape is set as its scrape is reported, which may be before the
          // scrape's samples are committed; `up` is committed with them, stamped with the scrape's
          // time (aligned by at most a few ms), so once it carries this scrape's time they are in.
          const up = await query(`timestamp(up{instance=${JSON.stringify(target)}})`)
          if (up.some((s) => Number(s.value) * 1000 >= began - 50)) return
        }
      }
      await Bun.sleep(100)
    }
    throw new Error(`Prometheus ${url}: ${target} not scraped after ${new Date(after).toISOString()}: ${seen}`)
  }

  return { url, query, scrapedAfter, stop }
}
