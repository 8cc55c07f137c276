#!/usr/bin/env bun
/**
 * What the live view costs (issue 27, "Speed and footprint"), on a real local broker. Run after
 * `bun run build`:
 *
 *   bun scripts/bench-live.ts [TRACE_DIR] [--pairs N] [--pace-to DURATION] [--pages N] [--points-speed S] [--bin PATH]
 *   (default ../shared/data/surf, 3 pairs, --pace-to 8h, 3 pages; KAFKA_BROKERS, or a broker of
 *   scripts/kafka.sh, started if none runs and stopped afterwards: KAFKA_STATE_DIR gives it a
 *   folder of its own)
 *
 * Every run replays into fresh topics with --summary-json and `--start-at` a few seconds ahead,
 * so that with --http the Chromium pages (test/browser.ts) are open on /events before the
 * first message goes out, and stay until the run is done: each in a browser of its own, as three
 * people would watch (tabs of one browser share its window, where only the front one draws). The summary's wall time starts at the
 * release, so the wait is not counted; the runs without --http wait the same.
 * 1. Throughput: the whole trace at --speed max, with `--http 0` and three pages, and without
 *    --http, alternating, N pairs: msg/s = messages sent / the summary's wall time.
 * 2. Pacing: --speed 1000 --to DURATION (8h: 28.8 s), the same way: the summary's lateness p99.
 * 3. Peak RSS of each run: the child's rusage (ru_maxrss, the kernel's high-water mark of the
 *    whole process, every thread included, as /usr/bin/time reports it); the pages' own memory is
 *    Chromium's, not counted.
 * 4. /metrics under load: one more --speed max run with --http and three pages, during which this
 *    script GETs /metrics every 25 ms (200 at most), each timed from the request to the last byte;
 *    only the requests that ended before the run did count.
 * 5. Points: at the end of each whole-trace run with --http, every page's charts' data-points
 *    (#rate-chart, #lateness-chart, #demand-chart), and the history that a new /events stream
 *    opens with (its points, and the demand's buckets). With --points-speed S, one more whole-trace
 *    run at --speed S (480: 21 min, 5,040 samples at 4 a second: the first to be thinned) reports the same.
 * 6. Page weight: the bytes of GET /.
 * The load average is printed at the start and the end, and with each run.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type Chromium, launchChromium, type Tab } from '../test/browser.ts'
import { scriptArgs } from './args.ts'
import { localBroker } from './local-broker.ts'

const root = resolve(import.meta.dir, '..')
const { option, positional } = scriptArgs()
const bin = resolve(option('--bin') ?? join(root, 'dist', 'opendt-replay'))
const pairs = Number(option('--pairs') ?? 3)
const paceTo = option('--pace-to') ?? '8h'
const pointsSpeed = option('--points-speed')
/** Pages on /events during each run with --http (0: the server alone, to tell its cost from the browsers'). */
const PAGES = Number(option('--pages') ?? 3)
/** After every option: what is left is the trace. */
const trace = resolve(positional()[0] ?? join(root, '..', 'shared', 'data', 'surf'))
/** How far ahead of the spawn the release is: loading the trace, the topics, three pages. */
const LEAD_MS = 8_000
const CHARTS = ['#rate-chart', '#lateness-chart', '#demand-chart'] as const

const local = process.env.KAFKA_BROKERS ? null : localBroker()
const broker = process.env.KAFKA_BROKERS ?? local!.bootstrap
const summaryPath = join(tmpdir(), `bench-live-${process.pid}.json`)
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')

interface Summary {
  wallSeconds: number
  topics: Record<string, { sent: number; acknowledged: number }>
  lateness: { messages: number; p50Ms: number; p99Ms: number; maxMs: number } | null
}

interface Run {
  http: boolean
  summary: Summary
  /** Messages sent per second of the summary's wall time. */
  rate: number
  rssMB: number
  /** The replay's CPU time, user + system, seconds (every thread). */
  cpuSeconds: number
  /** The browsers' CPU time from the spawn to the summary line, seconds (every Chromium process of this script); 0 without --http. */
  browserCpuSeconds: number
  /** The 1-minute load average when the run was spawned. */
  load: number
  /** With --http: what the pages and the server showed at the end. */
  live?: LiveEnd
  /** The timed GETs that ended before the run did (the run with the scrapes). */
  scrapes?: Scrape[]
}

interface LiveEnd {
  /** Per page, per chart: its data-points. */
  points: Record<string, number>[]
  /** The same, of a page opened after the run was done. */
  latePoints: Record<string, number>
  /** The history a new /events stream opens with. */
  historyPoints: number
  demandBuckets: number
  pageBytes: number
  pageErrors: number
}

/**
 * CPU time so far, seconds, of this script's Chromium processes (its descendants named chrom*),
 * from /proc/PID/stat: utime + stime, in clock ticks of 1/100 s.
 */
function browserCpu(): number {
  const procs = new Map<number, { ppid: number; comm: string; ticks: number }>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      const fields = stat.slice(close + 2).split(' ') // from the state (field 3) on
      procs.set(Number(name), {
        ppid: Number(fields[1]),
        comm: stat.slice(stat.indexOf('(') + 1, close),
        ticks: Number(fields[11]) + Number(fields[12]),
      })
    } catch {} // gone meanwhile
  }
  const mine = (pid: number): boolean => {
    for (let p = procs.get(pid); p; p = procs.get(p.ppid)) if (p.ppid === process.pid) return true
    return false
  }
  let ticks = 0
  for (const [pid, p] of procs) if (p.comm.startsWith('chrom') && mine(pid)) ticks += p.ticks
  return ticks / 100
}

/** stderr as it comes: each `until` resolves with the first match of its pattern. */
function watchStderr(stream: ReadableStream<Uint8Array>) {
  let text = ''
  const waiting: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = []
  const ended = (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true })
      for (const w of [...waiting]) {
        const m = w.pattern.exec(text)
        if (m) {
          waiting.splice(waiting.indexOf(w), 1)
          w.resolve(m)
        }
      }
    }
  })()
  return {
    text: () => text,
    ended,
    until: (pattern: RegExp) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const m = pattern.exec(text)
        if (m) return resolve(m)
        waiting.push({ pattern, resolve })
        void ended.then(() => reject(new Error(`replay ended without ${pattern}:\n${text}`)))
      }),
  }
}

let topicSerial = 0
/** One replay into fresh topics; with `browsers`, served with --http and watched by PAGES pages, one per browser. */
async function run(speed: string, to: string | null, browsers: Chromium[] | null, scrape = false): Promise<Run> {
  const stamp = `${Date.now()}-${topicSerial++}`
  const startAt = new Date(Date.now() + LEAD_MS).toISOString()
  const args = [
    bin,
    'replay',
    trace,
    '--brokers',
    broker,
    '--speed',
    speed,
    ...(to ? ['--to', to] : []),
    '--tasks-topic',
    `bench-live-t-${stamp}`,
    '--fragments-topic',
    `bench-live-f-${stamp}`,
    '--start-at',
    startAt,
    '--summary-json',
    summaryPath,
    ...(browsers ? ['--http', '0', '--http-linger', '60s'] : []),
  ]
  const load1 = loadavg()[0]!
  const browserCpu0 = browserCpu()
  rmSync(summaryPath, { force: true })
  const proc = Bun.spawn(args, { stdout: 'ignore', stderr: 'pipe' })
  const stderr = watchStderr(proc.stderr)
  let live: LiveEnd | undefined
  let scrapes: Scrape[] | undefined
  let browserCpuSeconds = 0
  if (browsers) {
    const url = (await stderr.until(/live view at (\S+)/))[1]!
    const tabs = await Promise.all(browsers.slice(0, PAGES).map((b) => b.open(url)))
    await Promise.all(tabs.map((t) => t.waitForText('#connection', 'live')))
    // The pages must be on /events before the release: else the run is not the one measured.
    const state = ((await (await fetch(`${url}status`)).json()) as { state: string }).state
    if (state !== 'starting' && state !== 'waiting') throw new Error(`pages connected only once the run was ${state}`)
    if (scrape) scrapes = await scrapeMetrics(url, Date.parse(startAt))
    await stderr.until(/ in [\d.]+ s \(\d+ msg\/s\)/) // the summary line: the run is over, the server lingers
    // Before any tab closes: a closed tab's renderer takes its CPU time with it.
    browserCpuSeconds = browserCpu() - browserCpu0
    await Promise.all(tabs.map((t) => t.waitForText('#state', 'done')))
    // And a page opened now, once the run is done: what a late visitor sees.
    const late = await browsers[0]!.open(url)
    await late.waitForText('#state', 'done')
    live = await liveEnd(url, tabs, late)
    await Promise.all([...tabs, late].map((t) => t.page.close()))
    proc.kill('SIGINT') // ends the linger
  }
  const code = await proc.exited
  await stderr.ended
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}:\n${stderr.text()}`)
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Summary
  const sent = Object.values(summary.topics).reduce((n, t) => n + t.sent, 0)
  const end = Date.parse(startAt) + summary.wallSeconds * 1000
  const usage = proc.resourceUsage()!
  return {
    http: browsers !== null,
    summary,
    rate: sent / summary.wallSeconds,
    rssMB: Number(usage.maxRSS) / 1024 / 1024,
    cpuSeconds: Number(usage.cpuTime.total) / 1e6,
    browserCpuSeconds,
    load: load1,
    live,
    scrapes: scrapes?.filter((s) => s.endedAt <= end),
  }
}

/** One timed GET: request to last byte, and when it ended (epoch ms). */
interface Scrape {
  path: 'metrics' | 'healthz'
  ms: number
  endedAt: number
}

/**
 * From the release on, 200 times: GET /metrics, then GET /healthz (whose answer costs nothing to
 * write: the floor that the machine's load sets), 10 ms apart.
 */
async function scrapeMetrics(url: string, release: number): Promise<Scrape[]> {
  await Bun.sleep(Math.max(0, release - Date.now()))
  const scrapes: Scrape[] = []
  for (let i = 0; i < 400; i++) {
    const path = i % 2 === 0 ? 'metrics' : 'healthz'
    const t0 = performance.now()
    const response = await fetch(`${url}${path}`)
    await response.text()
    scrapes.push({ path, ms: performance.now() - t0, endedAt: Date.now() })
    if (!response.ok) throw new Error(`/${path} answered ${response.status}`)
    await Bun.sleep(10)
  }
  return scrapes
}

/** A page's charts' data-points. */
const chartPoints = async (tab: Tab) =>
  Object.fromEntries(
    await Promise.all(CHARTS.map(async (c) => [c, Number(await tab.attribute(c, 'data-points'))] as const)),
  )

/** What the pages and the server hold at the end of a run. */
async function liveEnd(url: string, tabs: Tab[], late: Tab): Promise<LiveEnd> {
  const points = await Promise.all(tabs.map(chartPoints))
  // A new stream's first frame carries the whole history.
  const events = await fetch(`${url}events`)
  const reader = events.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
  }
  await reader.cancel()
  const data = /^data: (.*)$/m.exec(text)?.[1]
  if (!data) throw new Error(`/events: no frame in ${text.slice(0, 200)}`)
  const frame = JSON.parse(data) as { history: { points: unknown[]; demand: { t: number[] } | null } }
  const page = await fetch(url)
  return {
    points,
    latePoints: await chartPoints(late),
    historyPoints: frame.history.points.length,
    demandBuckets: frame.history.demand?.t.length ?? 0,
    pageBytes: (await page.arrayBuffer()).byteLength,
    pageErrors: tabs.reduce((n, t) => n + t.errors.length, 0),
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}
const list = (xs: number[], digits = 0) => xs.map((x) => x.toFixed(digits)).join(', ')
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**')

const startLoad = load()
console.log(
  `trace: ${trace}; broker ${broker}; ${navigator.hardwareConcurrency} cores; bun ${Bun.version}; load average at start ${startLoad}\n`,
)
const browsers = await Promise.all(Array.from({ length: Math.max(1, PAGES) }, () => launchChromium()))
try {
  /** N pairs, alternating (with --http first in odd pairs, without first in even ones). */
  const paired = async (speed: string, to: string | null, what: string) => {
    const withHttp: Run[] = []
    const without: Run[] = []
    for (let i = 0; i < pairs; i++) {
      for (const http of i % 2 === 0 ? [true, false] : [false, true]) {
        const r = await run(speed, to, http ? browsers : null)
        ;(http ? withHttp : without).push(r)
        const late = r.summary.lateness ? `, lateness p99 ${r.summary.lateness.p99Ms} ms` : ''
        console.log(
          `${what} pair ${i + 1}, ${http ? `--http + ${PAGES} pages` : 'without --http'}: ${Math.round(r.rate)} msg/s${late}, ` +
            `peak RSS ${r.rssMB.toFixed(0)} MB, CPU ${r.cpuSeconds.toFixed(2)} s${r.http ? ` (browsers ${r.browserCpuSeconds.toFixed(2)} s)` : ''}, load ${r.load.toFixed(2)}` +
            (r.live ? `, points ${JSON.stringify(r.live.points[0])}, history ${r.live.historyPoints}` : ''),
        )
      }
    }
    return { withHttp, without }
  }
  const max = await paired('max', null, '--speed max')
  const paced = await paired('1000', paceTo, `--speed 1000 --to ${paceTo}`)
  const scraped = await run('max', null, browsers, true)
  console.log(`--speed max with /metrics scrapes: ${Math.round(scraped.rate)} msg/s, load ${scraped.load.toFixed(2)}`)
  const long = pointsSpeed ? await run(pointsSpeed, null, browsers) : undefined

  const ratios = max.withHttp.map((r, i) => r.rate / max.without[i]!.rate)
  const p99 = (r: Run) => r.summary.lateness!.p99Ms
  const deltas = paced.withHttp.map((r, i) => p99(r) - p99(paced.without[i]!))
  const rss = (rs: Run[]) => median(rs.map((r) => r.rssMB))
  const rssGrowth = rss(max.withHttp) - rss(max.without)
  const rssGrowthPaced = rss(paced.withHttp) - rss(paced.without)
  const timed = (path: Scrape['path']) => scraped.scrapes!.filter((s) => s.path === path).map((s) => s.ms)
  const m = timed('metrics')
  const h = timed('healthz')
  const times = (xs: number[]) =>
    `median ${median(xs).toFixed(2)}, p99 ${quantile(xs, 0.99).toFixed(2)}, max ${Math.max(...xs).toFixed(2)} ms`
  const ends = [...max.withHttp, scraped].map((r) => r.live!)
  const chartMax = Math.max(...ends.flatMap((e) => [...e.points, e.latePoints].flatMap((p) => Object.values(p))))
  const historyMax = Math.max(...ends.map((e) => e.historyPoints))
  const pageBytes = ends[0]!.pageBytes
  const errors = ends.reduce((n, e) => n + e.pageErrors, 0)
  const points = (e: LiveEnd) =>
    `${CHARTS.map((c) => `${c} ${e.points.map((p) => p[c]!).join('/')}`).join(', ')} (per page); a page opened at the end: ${CHARTS.map((c) => e.latePoints[c]).join(', ')}; /events history ${e.historyPoints} points, demand ${e.demandBuckets} buckets`

  console.log(
    `\n| measure (${pairs} pairs, alternating) | with --http + ${PAGES} pages | without --http | figure | goal |`,
  )
  console.log('| --- | --- | --- | --- | --- |')
  console.log(
    `| 1. throughput, whole trace --speed max, msg/s | ${list(max.withHttp.map((r) => r.rate))} | ${list(max.without.map((r) => r.rate))} | ` +
      `with/without per pair ${list(
        ratios.map((x) => x * 100),
        1,
      )} %, median ${(median(ratios) * 100).toFixed(1)} % | >= 97 %: ${verdict(median(ratios) >= 0.97)} |`,
  )
  console.log(
    `| 2. lateness p99, --speed 1000 --to ${paceTo}, ms | ${list(paced.withHttp.map(p99), 3)} | ${list(paced.without.map(p99), 3)} | ` +
      `difference per pair ${list(deltas, 3)} ms, median ${median(deltas).toFixed(3)} ms | <= +0.5 ms: ${verdict(median(deltas) <= 0.5)} |`,
  )
  console.log(
    `| 3. peak RSS, --speed max runs, MB | ${list(max.withHttp.map((r) => r.rssMB))} | ${list(max.without.map((r) => r.rssMB))} | ` +
      `median ${rss(max.withHttp).toFixed(0)} - ${rss(max.without).toFixed(0)} = ${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(0)} MB | <= +30 MB: ${verdict(rssGrowth <= 30)} |`,
  )
  console.log(
    `|    peak RSS, --speed 1000 runs, MB | ${list(paced.withHttp.map((r) => r.rssMB))} | ${list(paced.without.map((r) => r.rssMB))} | ` +
      `median ${rss(paced.withHttp).toFixed(0)} - ${rss(paced.without).toFixed(0)} = ${rssGrowthPaced >= 0 ? '+' : ''}${rssGrowthPaced.toFixed(0)} MB | <= +30 MB: ${verdict(rssGrowthPaced <= 30)} |`,
  )
  for (const [name, runs] of [
    ['--speed max', max],
    ['--speed 1000', paced],
  ] as const) {
    const cpu = (rs: Run[]) =>
      list(
        rs.map((r) => r.cpuSeconds),
        2,
      )
    console.log(
      `|    CPU time, ${name} runs, s: the replay (the browsers) | ${cpu(runs.withHttp)} (${list(
        runs.withHttp.map((r) => r.browserCpuSeconds),
        2,
      )}) | ${cpu(runs.without)} | median ${median(runs.withHttp.map((r) => r.cpuSeconds)).toFixed(2)} (${median(runs.withHttp.map((r) => r.browserCpuSeconds)).toFixed(2)}) against ${median(runs.without.map((r) => r.cpuSeconds)).toFixed(2)} | |`,
    )
  }
  console.log(
    `| 4. GET /metrics during a --speed max run (${Math.round(scraped.rate)} msg/s), ${m.length} requests | ${times(m)} | | ` +
      `GET /healthz between them, ${h.length}: ${times(h)} | <= 10 ms: p99 ${verdict(quantile(m, 0.99) <= 10)}, max ${verdict(Math.max(...m) <= 10)} |`,
  )
  console.log(
    `| 5. points at the end of a whole-trace run | ${points(ends[0]!)} | | largest of ${ends.length} runs x ${PAGES} pages: chart ${chartMax}, history ${historyMax} | <= ~5,000: ${verdict(Math.max(chartMax, historyMax) <= 5000)} |`,
  )
  if (long) {
    console.log(
      `|    the same, --speed ${pointsSpeed} (${long.summary.wallSeconds.toFixed(0)} s) | ${points(long.live!)} | | | <= ~5,000: ${verdict(Math.max(...long.live!.points.flatMap((p) => Object.values(p)), long.live!.historyPoints) <= 5000)} |`,
    )
  }
  console.log(
    `| 6. GET / | ${pageBytes} bytes | | ${(pageBytes / 1024).toFixed(1)} KB | <= 300 KB: ${verdict(pageBytes <= 300 * 1024)} |`,
  )
  console.log(`\npage errors (uncaught or console) over every page: ${errors}`)
  console.log(`load average at start ${startLoad}, at end ${load()}`)
} finally {
  await Promise.all(browsers.map((b) => b.close()))
  rmSync(summaryPath, { force: true })
  local?.stop()
}
