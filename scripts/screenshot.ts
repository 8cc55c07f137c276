#!/usr/bin/env bun
/**
 * The live page's picture for docs/live.md: a PNG of the whole page, at most 200 KB.
 *
 *   bun scripts/screenshot.ts URL [PATH]    the page at URL: a replay's `--http` page, or a
 *                                           `--report` file (file://); PATH defaults to docs/live.png
 *   bun scripts/screenshot.ts --fake [PATH] the report of test/live-run.ts's made-up run
 *
 * It waits until the page has drawn a status and its charts, never for a time. Chromium comes
 * from test/browser.ts (Debian's `chromium`, or CHROMIUM).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { reportHtml } from '../src/live/report.ts'
import { launchChromium } from '../test/browser.ts'
import { fakeHistory, fakeStatus, STAGES } from '../test/live-run.ts'

/** The bound of docs/live.png (issue 27). */
export const MAX_PNG_BYTES = 200 * 1024

/** Writes a PNG of the page at `url` to `path` once it shows a status and its charts; returns its size. */
export async function screenshot(url: string, path: string): Promise<number> {
  const chromium = await launchChromium()
  try {
    const tab = await chromium.open(url, { offline: url.startsWith('file:'), width: 1200, height: 800 })
    await tab.waitFor('#taken:not([data-value=""])')
    await tab.waitFor('#rate-chart canvas')
    await tab.screenshot(path)
  } finally {
    await chromium.close()
  }
  const size = statSync(path).size
  if (size > MAX_PNG_BYTES)
    throw new Error(`${path}: ${size} bytes, over the ${MAX_PNG_BYTES} bytes a screenshot may weigh`)
  return size
}

/** A report of the made-up run, mid-week, written to a temporary file; removed by `done()`. */
export async function fakeReport(): Promise<{ url: string; done(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'opendt-screenshot-'))
  const file = join(dir, 'report.html')
  await Bun.write(file, reportHtml({ status: fakeStatus(STAGES.running), history: fakeHistory(STAGES.running, 4000) }))
  return { url: pathToFileURL(file).href, done: () => rmSync(dir, { recursive: true, force: true }) }
}

if (import.meta.main) {
  const [first, second] = process.argv.slice(2)
  if (!first) throw new Error('usage: bun scripts/screenshot.ts URL|--fake [PATH]')
  const path = second ?? join(import.meta.dir, '..', 'docs', 'live.png')
  const fake = first === '--fake' ? await fakeReport() : undefined
  try {
    const size = await screenshot(fake?.url ?? first, path)
    console.error(`wrote ${path}: ${size} bytes`)
  } finally {
    fake?.done()
  }
}
