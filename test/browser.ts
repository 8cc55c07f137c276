/**
 * A real browser for the tests: Debian's Chromium (`apt-get install chromium`), or the one
 * CHROMIUM names, driven headless by puppeteer-core, which downloads no browser of its own.
 * Waits are on the page's own state (a selector, a text), never on time. Each tab records the
 * requests its page made and the errors its scripts threw, for the tests to assert on.
 */
import { existsSync } from 'node:fs'
import puppeteer, { type Browser, type HTTPRequest, type Page } from 'puppeteer-core'

/** The page's document, as the functions run in the page see it (the type check has no DOM library). */
declare const document: {
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }>
  querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null
  documentElement: { clientWidth: number }
}
declare const window: { scrollY: number }

/** Where Chromium is: CHROMIUM, else `chromium` on the PATH; an error that says how to get it. */
export function chromiumPath(): string {
  const named = process.env.CHROMIUM
  if (named) {
    if (!existsSync(named)) throw new Error(`CHROMIUM=${named}: no such file`)
    return named
  }
  const found = Bun.which('chromium')
  if (!found) throw new Error('chromium not found: install it (apt-get install chromium) or set CHROMIUM to its path')
  return found
}

export interface Tab {
  page: Page
  /** Every request the page made, in order (URL), the document itself included. */
  requests: string[]
  /** Uncaught exceptions and console errors of the page. */
  errors: string[]
  /** Waits until `selector` matches an element whose text is `text` (exactly, trimmed). */
  waitForText(selector: string, text: string): Promise<void>
  /** Waits until `selector` matches an element. */
  waitFor(selector: string): Promise<void>
  /** The trimmed text of the first element `selector` matches. */
  text(selector: string): Promise<string>
  /** For each selector, its first element's trimmed text and data-value (null: no such element). */
  figures(selectors: string[]): Promise<Record<string, { text: string; value: string | null } | null>>
  /** An attribute of the first element `selector` matches (null when it has none). */
  attribute(selector: string, name: string): Promise<string | null>
  /**
   * A PNG of the page written to `path`: the whole page, or with `through`, from its top through the
   * bottom of the element that selector matches (what follows it, plain text, is left out).
   */
  screenshot(path: string, through?: string): Promise<void>
}

export interface Chromium {
  /** Opens `url` in a new tab; `offline`: with the network off (emulated) and every request not file:// or data: refused. */
  open(url: string, options?: { offline?: boolean; width?: number; height?: number }): Promise<Tab>
  close(): Promise<void>
}

/** The time any one wait may take: a page that never gets there fails the test, it does not hang it. */
const WAIT_MS = 15_000

export async function launchChromium(): Promise<Chromium> {
  const browser: Browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  })
  return {
    open: (url, options = {}) => openTab(browser, url, options),
    close: () => browser.close(),
  }
}

async function openTab(
  browser: Browser,
  url: string,
  options: { offline?: boolean; width?: number; height?: number },
): Promise<Tab> {
  const page = await browser.newPage()
  await page.setViewport({ width: options.width ?? 1280, height: options.height ?? 900 })
  const requests: string[] = []
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(String(error)))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  if (options.offline) {
    await page.setOfflineMode(true)
    await page.setRequestInterception(true)
    page.on('request', (request: HTTPRequest) => {
      const local = request.url().startsWith('file:') || request.url().startsWith('data:')
      void (local ? request.continue() : request.abort('internetdisconnected'))
    })
  }
  page.on('request', (request) => requests.push(request.url()))
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: WAIT_MS })
  const text = (selector: string) =>
    page
      .$eval(selector, (el) => (el.textContent ?? '').trim())
      .catch((error: unknown) => {
        throw new Error(`${url}: no ${selector}`, { cause: error })
      })
  return {
    page,
    requests,
    errors,
    text,
    waitFor: async (selector) => {
      await page.waitForSelector(selector, { timeout: WAIT_MS })
    },
    waitForText: async (selector, expected) => {
      await page
        .waitForFunction(
          (s, e) => [...document.querySelectorAll(s)].some((el) => (el.textContent ?? '').trim() === e),
          { timeout: WAIT_MS },
          selector,
          expected,
        )
        .catch(async (error: unknown) => {
          const seen = await text(selector).catch(() => '(none)')
          throw new Error(`${selector}: waited for "${expected}", it shows "${seen}"`, { cause: error })
        })
    },
    figures: async (selectors) => {
      const found = await page.evaluate(
        (list) =>
          list.map((s) => {
            const el = document.querySelector(s)
            return el ? { text: (el.textContent ?? '').trim(), value: el.getAttribute('data-value') } : null
          }),
        selectors,
      )
      return Object.fromEntries(selectors.map((s, i) => [s, found[i] ?? null]))
    },
    attribute: (selector, name) => page.$eval(selector, (el, n) => el.getAttribute(n), name),
    screenshot: async (path, through) => {
      const png = { path: path as `${string}.png`, type: 'png' as const }
      if (!through) {
        await page.screenshot({ ...png, fullPage: true })
        return
      }
      const box = await page.$eval(through, (el) => {
        const r = el.getBoundingClientRect()
        return { bottom: r.bottom + window.scrollY, width: document.documentElement.clientWidth }
      })
      await page.screenshot({ ...png, clip: { x: 0, y: 0, width: box.width, height: Math.ceil(box.bottom) + 16 } })
    },
  }
}
