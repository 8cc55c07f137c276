import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { MAX_PNG_BYTES } from '../../scripts/screenshot.ts'
import { livePage } from '../../src/live/page.ts'
import { reportHtml } from '../../src/live/report.ts'
import { startLiveServer } from '../../src/live/server.ts'
import type { LiveFrame, LiveHistory, LiveSource, LiveStatus } from '../../src/live/status.ts'
import { type Chromium, launchChromium, type Tab } from '../browser.ts'
import { temporaryFolders } from '../helpers.ts'
import { fakeDemand, fakeHistory, fakePoints, fakeStatus, STAGES } from '../live-run.ts'

/**
 * The live page and the report in Chromium. The page is served by the live server over a source
 * that the test moves on (running, stalled, done), under the server's content security policy.
 * Every figure the page shows must be the status's own, to the digit.
 */
setDefaultTimeout(60_000)
const tempDir = temporaryFolders()

let chromium: Chromium
beforeAll(async () => {
  chromium = await launchChromium()
})
afterAll(async () => {
  await chromium?.close()
})

/**
 * The live server (live/server.ts) serving livePage() over a source that the test moves on:
 * `push` makes a frame current (its points join the history) and hands it to the subscribers.
 */
async function liveServer(first: LiveFrame) {
  let status = first.status
  const history: LiveHistory = first.history ?? { points: [], demand: null }
  const subscribers = new Set<(frame: LiveFrame) => void>()
  const source: LiveSource = {
    status: () => status,
    history: () => ({ points: [...history.points], demand: history.demand }),
    latenessHistogram: () => ({ counts: [], count: 0, sumMs: 0, maxMs: 0 }),
    subscribe(onFrame) {
      subscribers.add(onFrame)
      return () => subscribers.delete(onFrame)
    },
  }
  const pages = { page: livePage, metrics: () => '' }
  const server = await startLiveServer({ host: '127.0.0.1', port: 0, name: '--http' }, source, pages)
  return {
    url: server.url,
    push(frame: LiveFrame) {
      status = frame.status
      history.points.push(...frame.points)
      for (const onFrame of subscribers) onFrame(frame)
    },
    stop: () => server.stop(),
  }
}

/** A count as the page spells it: every digit, in groups of three. */
const grouped = (n: number) => n.toLocaleString('en-US').replaceAll(',', '\u202f')

/** What the page must show of `status`: per selector, its text and data-value. */
function expectedFigures(status: LiveStatus): Record<string, { text: string; value: string | null }> {
  const figure = (n: number) => ({ text: grouped(n), value: String(n) })
  const total = (field: 'sent' | 'acknowledged' | 'bytesAcknowledged') =>
    figure(status.topics.reduce((sum, t) => sum + t[field], 0))
  const expected: Record<string, { text: string; value: string | null }> = {
    '#state': { text: status.state, value: null },
    '#summary [data-field="sent"]': total('sent'),
    '#summary [data-field="acknowledged"]': total('acknowledged'),
    '#summary [data-field="bytesAcknowledged"]': total('bytesAcknowledged'),
    '#summary [data-field="retries"]': figure(status.retries),
    '#summary [data-field="errors"]': figure(status.errors),
    '#trace-from': { text: status.trace.from!, value: status.trace.from },
    '#trace-to': { text: status.trace.to!, value: status.trace.to },
    '#trace-acknowledged': { text: status.trace.acknowledged!, value: status.trace.acknowledged },
    '#lateness .messages': figure(status.lateness.messages),
    '#settings [data-setting="format"]': { text: 'tasks-fragments', value: 'tasks-fragments' },
    '#settings [data-setting="speed"]': { text: '300x', value: '300' },
    '#settings [data-setting="shard"]': { text: '1/2', value: '1/2' },
    '#settings [data-setting="brokers"]': {
      text: '127.0.0.1:9092, kafka-2:9092',
      value: '127.0.0.1:9092, kafka-2:9092',
    },
    '#settings [data-setting="stallAfter"]': { text: '30s', value: '30' },
    '#settings [data-setting="topics"]': {
      text: 'tasks → surf-tasks, fragments → surf-fragments',
      value: 'tasks → surf-tasks, fragments → surf-fragments',
    },
    '#taken': { text: status.now, value: status.now },
  }
  for (const t of status.topics) {
    const row = `[data-topic="${t.stream}"]`
    expected[`${row} .topic`] = { text: t.topic, value: null }
    expected[`${row} .sent`] = figure(t.sent)
    expected[`${row} .acked`] = figure(t.acknowledged)
    expected[`${row} .bytes`] = figure(t.bytesAcknowledged)
    for (const [name, n] of Object.entries(t.check ?? {})) expected[`${row} .${name}`] = figure(n)
  }
  for (const name of ['p50', 'p99', 'max', 'current'] as const) {
    expected[`#lateness .${name}`] = {
      text: expect.any(String) as unknown as string,
      value: String(status.lateness[`${name}Ms`]),
    }
  }
  return expected
}

async function expectShows(tab: Tab, status: LiveStatus): Promise<void> {
  const expected = expectedFigures(status)
  expect(await tab.figures(Object.keys(expected))).toEqual(expected)
}

describe('the live page in Chromium', () => {
  it('shows a replay running, stalled, then done, figure for figure, with bounded charts', async () => {
    // The first frame carries the history: 4,999 points, one short of thinning.
    const running = fakeStatus(STAGES.running)
    const server = await liveServer({ status: running, points: [], history: fakeHistory(STAGES.running, 4999) })
    try {
      const tab = await chromium.open(server.url)
      await tab.waitForText('#state', 'running')
      await tab.waitForText('#connection', 'live')
      await expectShows(tab, running)
      expect(await tab.figures(['#fraction', '#eta', '#state-detail', '#demand-capacity'])).toEqual({
        '#fraction': { text: '50.0 %', value: '0.5' },
        '#eta': { text: '16m 48s', value: '1008' },
        '#state-detail': { text: '', value: null },
        '#demand-capacity': { text: 'capacity 4\u202f800\u202f000 MHz (topology.json: 277 hosts)', value: '4800000' },
      })
      expect(await tab.attribute('#rate-chart', 'data-points')).toBe('4999')
      expect(await tab.attribute('#lateness-chart', 'data-points')).toBe('4999')
      expect(await tab.attribute('#demand-chart', 'data-points')).toBe('2016')
      expect(await tab.attribute('#demand-chart', 'data-cursor')).toBe(String(STAGES.running.position))

      // Three points more: 5,002, thinned to every other one, the newest kept.
      const stalled = fakeStatus(STAGES.stalled)
      server.push({ status: stalled, points: fakePoints(STAGES.stalled, 3, 4999) })
      await tab.waitForText('#state', 'stalled')
      await expectShows(tab, stalled)
      expect(await tab.figures(['#state-detail', '#eta', '#lateness .p99'])).toEqual({
        '#state-detail': {
          text: '17s: no acknowledgement from 127.0.0.1:9092, since 2026-05-12T09:16:40Z',
          value: null,
        },
        '#eta': { text: 'unknown while stalled', value: '' },
        '#lateness .p99': { text: '14.80 s', value: '14800' },
      })
      expect(await tab.attribute('#rate-chart', 'data-points')).toBe('2501')

      const done = fakeStatus(STAGES.done)
      server.push({ status: done, points: fakePoints(STAGES.done, 1, 5002) })
      await tab.waitForText('#state', 'done')
      await expectShows(tab, done)
      await tab.waitForText('#connection', 'ended')
      expect(JSON.parse(await tab.text('#final-summary'))).toEqual(done.summary)
      expect(await tab.attribute('#lateness-chart', 'data-points')).toBe('2502')

      expect(tab.errors).toEqual([])
      expect(tab.requests).toEqual([server.url, `${server.url}events`])

      // The screenshot helper: a PNG, within the bound docs/live.png must keep.
      const png = join(tempDir('opendt-live-page-'), 'live.png')
      await tab.screenshot(png)
      const bytes = readFileSync(png)
      expect(bytes.subarray(1, 4).toString()).toBe('PNG')
      expect(bytes.length).toBeLessThanOrEqual(MAX_PNG_BYTES)
      await tab.page.close()
    } finally {
      await server.stop()
    }
  })

  it("shows verify's check per topic, and the demand the twin receives", async () => {
    const status = fakeStatus(STAGES.running, 'verify')
    const history = { points: fakePoints(STAGES.running, 10), demand: fakeDemand(true) }
    const server = await liveServer({ status, points: [], history })
    try {
      const tab = await chromium.open(server.url)
      await tab.waitForText('#state', 'running')
      await expectShows(tab, status)
      expect(await tab.figures(['[data-topic="fragments"] .missing', '[data-topic="fragments"] .foreign'])).toEqual({
        '[data-topic="fragments"] .missing': { text: '1', value: '1' },
        '[data-topic="fragments"] .foreign': { text: '1', value: '1' },
      })
      expect(await tab.attribute('#topics', 'class')).toBe('verify')
      await tab.waitForText('#demand-chart .u-legend .u-series th', 'received')
      expect(tab.errors).toEqual([])
      await tab.page.close()
    } finally {
      await server.stop()
    }
  })
})

describe('the report in Chromium, offline', () => {
  it('opens from file:// with the network off, shows the same figures, and requests nothing', async () => {
    const done = fakeStatus(STAGES.done)
    const file = join(tempDir('opendt-report-'), 'report.html')
    await Bun.write(file, reportHtml({ status: done, history: fakeHistory(STAGES.done) }))
    const url = pathToFileURL(file).href
    const tab = await chromium.open(url, { offline: true })
    await tab.waitForText('#state', 'done')
    await expectShows(tab, done)
    expect(await tab.text('#connection')).toBe('report')
    expect(JSON.parse(await tab.text('#final-summary'))).toEqual(done.summary)
    expect(await tab.attribute('#rate-chart', 'data-points')).toBe('1200')
    expect(await tab.attribute('#demand-chart', 'data-points')).toBe('2016')
    expect(tab.errors).toEqual([])
    expect(tab.requests).toEqual([url])
    await tab.page.close()
  })
})
