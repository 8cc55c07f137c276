import { describe, expect, it } from 'bun:test'
import { livePage } from '../../src/live/page.ts'
import { reportHtml, scriptJson } from '../../src/live/report.ts'
import type { LiveHistory, LiveStatus } from '../../src/live/status.ts'
import { fakeHistory, fakeStatus, STAGES } from '../live-run.ts'

/** The bound on the page with its scripts and CSS: 300 KB, counted as 300,000 bytes. */
const MAX_PAGE_BYTES = 300_000

const OPEN = '<script type="application/json" id="snapshot">'

/** The report's data block as the browser's HTML parser cuts it: up to the first `</script`. */
function snapshotOf(html: string): string {
  const start = html.indexOf(OPEN)
  expect(start).toBeGreaterThan(0)
  return html.slice(start + OPEN.length, html.indexOf('</script', start))
}

describe('the live page', () => {
  it('weighs at most 300 KB, uPlot, the CSS and the script inlined', () => {
    const page = livePage()
    expect(Buffer.byteLength(page)).toBeLessThanOrEqual(MAX_PAGE_BYTES)
    // Checked as booleans: a failure prints the names, not 76 KB of page.
    const has = (text: string) => [text, page.includes(text)]
    for (const part of ['var uPlot=function(){', '.uplot {', '--accent: #2f6fdb;', "new EventSource('events')"]) {
      expect(has(part)).toEqual([part, true])
    }
    for (const slot of ['/*uplot.css*/', '/*page.css*/', '/*uplot.js*/', '/*view.js*/', '<!--snapshot-->', OPEN]) {
      expect(has(slot)).toEqual([slot, false])
    }
  })

  it("loads nothing: no src, href or url() but data:, and no URL but uPlot's home", () => {
    const page = livePage()
    expect([...page.matchAll(/\b(?:src|href)\s*=\s*["']?([^"'\s>]*)/gi)].map((m) => m[1])).toEqual(['data:,'])
    expect(page.match(/url\(|@import/g)).toBeNull()
    expect([...new Set(page.match(/\b[a-z]+:\/\/[^\s"')]*/gi))]).toEqual(['https://github.com/leeoniya/uPlot'])
  })
})

describe('reportHtml', () => {
  const snapshot = { status: fakeStatus(STAGES.done), history: fakeHistory(STAGES.done) }

  it('is the live page with the run inside, exactly', () => {
    const html = reportHtml(snapshot)
    expect(JSON.parse(snapshotOf(html))).toEqual(snapshot)
    expect(html.replace(`${OPEN}${snapshotOf(html)}</script>`, '')).toBe(livePage())
  })

  it('escapes every < of the data, so that no text of the run can end its script', () => {
    const hostile = '</script><script>alert(1)</script><!-- </SCRIPT >'
    const status: LiveStatus = {
      ...snapshot.status,
      state: 'failed',
      error: hostile,
      topics: snapshot.status.topics.map((t) => ({ ...t, topic: hostile })),
    }
    const history: LiveHistory = {
      points: [],
      demand: { ...snapshot.history.demand!, capacity: { mhz: 1, source: hostile } },
    }
    const block = snapshotOf(reportHtml({ status, history }))
    expect(block).not.toContain('<')
    expect(JSON.parse(block)).toEqual({ status, history })
  })

  it('writes a position unknown (NaN) as null, as the contract says', () => {
    const point = { t: 0, position: Number.NaN, acknowledged: [0], p50Ms: null, p99Ms: null, maxMs: null, currentMs: 0 }
    expect(scriptJson({ points: [point] })).toBe(
      '{"points":[{"t":0,"position":null,"acknowledged":[0],"p50Ms":null,"p99Ms":null,"maxMs":null,"currentMs":0}]}',
    )
  })
})
