import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Chromium, launchChromium, type Tab } from '../browser.ts'
import { requireBinary, requireSurf, temporaryFolders } from '../helpers.ts'
import { frameWhen, get, startLive } from '../live.ts'
import { startPrometheus } from '../prometheus.ts'
import { freshTopic, privateBrokerEnv, readTopic, sharedBroker, startBroker } from './broker.ts'

/**
 * The live view of real replays into a real broker, seen by a real browser (Debian's chromium,
 * test/browser.ts) and scraped by a real Prometheus: what the page, /status and /metrics show at
 * the end equals the summary and what Kafka's Java consumer reads back; a frozen broker shows as
 * stalled on the page and on /healthz within --stall-after, and the run recovers.
 */
setDefaultTimeout(120_000)
const tempDir = temporaryFolders()
const broker = sharedBroker()
let bin: string
let surf: string
let chromium: Chromium

beforeAll(async () => {
  bin = requireBinary()
  surf = requireSurf()
  chromium = await launchChromium()
})
afterAll(async () => {
  await chromium?.close()
})

interface SummaryJson {
  topics: Record<string, { topic: string; sent: number; acknowledged: number }>
  lateness: { messages: number; p50Ms: number; p99Ms: number; maxMs: number } | null
}

/** A paced replay of SURF's first `to` at speed 2000 into fresh topics of `bootstrap`, with `flags`; its topics. */
function intoFresh(bootstrap: string, to: string, what: string, flags: string[]) {
  const topics = { tasks: freshTopic(`${what}-tasks`), fragments: freshTopic(`${what}-fragments`) }
  const argv = [bin, 'replay', surf, '--to', to, '--speed', '2000', '--brokers', bootstrap]
  argv.push('--tasks-topic', topics.tasks, '--fragments-topic', topics.fragments, ...flags)
  return { argv, topics }
}

/** The topics hold exactly the summary's acknowledged counts, read back by Kafka's own Java consumer. */
async function expectTopicsHold(
  bootstrap: string,
  topics: { tasks: string; fragments: string },
  json: SummaryJson,
): Promise<void> {
  const [readTasks, readFragments] = await Promise.all([
    readTopic(bootstrap, topics.tasks),
    readTopic(bootstrap, topics.fragments),
  ])
  expect([readTasks.length, readFragments.length]).toEqual([
    json.topics.tasks!.acknowledged,
    json.topics.fragments!.acknowledged,
  ])
}

/** What the page shows of each topic and of the lateness, as exact values (data-value). */
async function shown(tab: Tab, streams: string[]) {
  const selectors = streams.flatMap((s) => [`[data-topic="${s}"] .sent`, `[data-topic="${s}"] .acked`])
  const lateness = ['messages', 'p50', 'p99', 'max'].map((f) => `#lateness .${f}`)
  const figures = await tab.figures([...selectors, ...lateness, '#state', '#fraction'])
  const value = (s: string) => Number(figures[s]!.value)
  return {
    state: figures['#state']!.text,
    fraction: Number(figures['#fraction']!.value),
    topics: Object.fromEntries(
      streams.map((s) => [
        s,
        { sent: value(`[data-topic="${s}"] .sent`), acknowledged: value(`[data-topic="${s}"] .acked`) },
      ]),
    ),
    lateness: Object.fromEntries(lateness.map((s) => [s.slice('#lateness .'.length), value(s)])),
  }
}

/** The summary's figures in the page's shape. */
const expectedOf = (json: SummaryJson) => ({
  state: 'done',
  fraction: 1,
  topics: Object.fromEntries(
    Object.entries(json.topics).map(([s, t]) => [s, { sent: t.sent, acknowledged: t.acknowledged }]),
  ),
  lateness: {
    messages: json.lateness!.messages,
    p50: json.lateness!.p50Ms,
    p99: json.lateness!.p99Ms,
    max: json.lateness!.maxMs,
  },
})

describe('the live page of a replay into Kafka, in Chromium', () => {
  it('shows "done" with the summary\'s figures, which the topics hold; the report shows them offline', async () => {
    const dir = tempDir('opendt-live-kafka-')
    const summary = join(dir, 'summary.json')
    const report = join(dir, 'report.html')
    const { argv, topics } = intoFresh(broker.bootstrap, '3h', 'live', [
      ...['--http', '0', '--http-linger', '60s'],
      ...['--summary-json', summary, '--report', report],
    ])
    const live = await startLive(argv)
    const tab = await chromium.open(live.url)
    await tab.waitForText('#state', 'done')
    const page = await shown(tab, ['tasks', 'fragments'])
    // The page opened while the trace loaded: the demand, computed then, still reached it.
    const demandPoints = await tab.attribute('#demand-chart', 'data-points')
    const shot = join(dir, 'live.png')
    await tab.screenshot(process.env.OPENDT_REPLAY_SCREENSHOT ?? shot, '#demand')
    expect(statSync(process.env.OPENDT_REPLAY_SCREENSHOT ?? shot).size).toBeLessThanOrEqual(200 * 1024)
    expect(tab.errors).toEqual([])
    live.proc.kill('SIGTERM')
    const exit = await live.exited
    expect(exit.code).toBe(0)
    const json = JSON.parse(readFileSync(summary, 'utf8')) as SummaryJson
    expect(page).toEqual(expectedOf(json))
    await expectTopicsHold(broker.bootstrap, topics, json)
    expect(json.topics.fragments!.acknowledged).toBeGreaterThan(0)
    // The report, with the network off: the same figures, and no request but its own file.
    const offline = await chromium.open(pathToFileURL(report).href, { offline: true })
    await offline.waitForText('#state', 'done')
    expect(await shown(offline, ['tasks', 'fragments'])).toEqual(expectedOf(json))
    expect(offline.requests).toEqual([pathToFileURL(report).href])
    expect(Number(demandPoints)).toBeGreaterThan(0)
    expect(await offline.attribute('#demand-chart', 'data-points')).toBe(demandPoints)
    expect(offline.errors).toEqual([])
  })

  it("a real Prometheus scrapes the replay: its acknowledged totals equal the summary's", async () => {
    const dir = tempDir('opendt-live-prom-')
    const summary = join(dir, 'summary.json')
    // A free port, for Prometheus' configuration before the replay starts.
    const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    const port = probe.port
    probe.stop(true)
    const target = `127.0.0.1:${port}`
    const prometheus = await startPrometheus([target])
    try {
      const { argv, topics } = intoFresh(broker.bootstrap, '2h', 'prom', [
        ...['--http', target, '--http-linger', '60s', '--summary-json', summary],
      ])
      const { tasks, fragments } = topics
      const live = await startLive(argv)
      await frameWhen(live.url, (s) => s.state === 'done')
      const ended = Date.now()
      await prometheus.scrapedAfter(target, ended)
      const samples = await prometheus.query('opendt_replay_messages_acknowledged_total')
      live.proc.kill('SIGTERM')
      expect((await live.exited).code).toBe(0)
      const json = JSON.parse(readFileSync(summary, 'utf8')) as SummaryJson
      const byTopic = Object.fromEntries(samples.map((s) => [s.metric.topic, Number(s.value)]))
      expect(byTopic).toEqual({
        [tasks]: json.topics.tasks!.acknowledged,
        [fragments]: json.topics.fragments!.acknowledged,
      })
    } finally {
      await prometheus.stop()
    }
  })
})

describe('a frozen broker, live', () => {
  it('the page and /healthz show "stalled" within --stall-after, then recover; nothing is lost', async () => {
    const env = privateBrokerEnv()
    const own = await startBroker(env)
    const pid = Number(readFileSync(join(env.KAFKA_STATE_DIR!, 'pid'), 'utf8'))
    let frozen = false
    try {
      const dir = tempDir('opendt-live-stall-')
      const summary = join(dir, 'summary.json')
      const { argv, topics } = intoFresh(own.bootstrap, '8h', 'stall', [
        ...['--http', '0', '--stall-after', '3s', '--stats-interval', '1s', '--summary-json', summary],
      ])
      const live = await startLive(argv)
      const tab = await chromium.open(live.url)
      // Under way: acknowledgements are coming.
      await frameWhen(live.url, (s) => s.state === 'running' && s.topics[1]!.acknowledged > 0)
      await tab.waitForText('#state', 'running')
      process.kill(pid, 'SIGSTOP')
      frozen = true
      const stoppedAt = Date.now()
      await tab.waitForText('#state', 'stalled')
      // Within --stall-after (3 s), give or take a frame and the page's redraw on a loaded machine.
      expect(Date.now() - stoppedAt).toBeLessThan(3000 + 3000)
      expect(await tab.text('#state-detail')).toContain(`no acknowledgement from ${own.bootstrap}`)
      // /healthz fails once stalled for --stall-after: the frame that says so, then the answer.
      const late = await frameWhen(live.url, (s) => s.state === 'stalled' && s.stalled!.seconds >= 3)
      const since = Date.parse(late.status.stalled!.since)
      // Stalled since the last acknowledgement: before the freeze, or just after (answers already
      // on their way when the broker stopped).
      expect(since - stoppedAt).toBeLessThan(1000)
      const health = await get(live.url, 'healthz')
      expect(health.status).toBe(503)
      expect(JSON.parse(health.text).state).toBe('stalled')
      expect(late.status.trace.etaSeconds).toBeNull()
      // The progress line says so too, with the reason.
      await live.stderrUntil(`: no acknowledgement from ${own.bootstrap}`)
      process.kill(pid, 'SIGCONT')
      frozen = false
      await frameWhen(live.url, (s) => s.state === 'running' || s.state === 'done')
      expect((await get(live.url, 'healthz')).status).toBe(200)
      const exit = await live.exited
      expect(exit.code).toBe(0)
      const json = JSON.parse(readFileSync(summary, 'utf8')) as SummaryJson
      await expectTopicsHold(own.bootstrap, topics, json)
      expect(json.topics.fragments!.acknowledged).toBe(json.topics.fragments!.sent)
      expect(exit.stderr).toMatch(new RegExp(`\\[info\\] stalled \\d+s: no acknowledgement from ${own.bootstrap} `))
    } finally {
      if (frozen) process.kill(pid, 'SIGCONT')
      await own.stop()
    }
  })
})

describe('no credential in any answer', () => {
  it('the SASL password and the TLS key appear in no endpoint, frame, or report', async () => {
    const dir = tempDir('opendt-live-secret-')
    const password = 'Hunter2-sasl-secret-4711'
    const key = 'TOPSECRETKEYMATERIAL0123456789abcdef'
    const files = {
      password: join(dir, 'pw'),
      key: join(dir, 'key.pem'),
      cert: join(dir, 'cert.pem'),
      report: join(dir, 'r.html'),
    }
    await Bun.write(files.password, password)
    await Bun.write(files.key, `-----BEGIN PRIVATE KEY-----\n${key}\n-----END PRIVATE KEY-----\n`)
    await Bun.write(files.cert, '-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n')
    const live = await startLive([
      bin,
      'replay',
      '--brokers',
      broker.bootstrap,
      '--sasl',
      'plain',
      '--sasl-username',
      'someone',
      '--sasl-password-file',
      files.password,
      '--tls-cert',
      files.cert,
      '--tls-key',
      files.key,
      '--connect-timeout',
      '2s',
      '--http',
      '0',
      '--http-linger',
      '60s',
      '--report',
      files.report,
    ])
    const answers: string[] = []
    const everything = async () => {
      for (const path of ['', 'status', 'metrics', 'healthz']) answers.push((await get(live.url, path)).text)
    }
    await everything()
    const failed = await frameWhen(live.url, (s) => s.state === 'failed')
    answers.push(JSON.stringify(failed))
    await everything()
    live.proc.kill('SIGTERM')
    const exit = await live.exited
    expect(exit.code).toBe(3)
    answers.push(readFileSync(files.report, 'utf8'), exit.stderr)
    expect(failed.status.settings.brokers).toEqual([broker.bootstrap])
    for (const text of answers) {
      expect(text).not.toContain(password)
      expect(text).not.toContain(key)
    }
  })
})
