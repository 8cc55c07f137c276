/**
 * The live page (`/`): one HTML document that carries everything it needs, uPlot (its minified
 * script and CSS, from the npm package) and the page's own CSS and script inlined, so that it
 * fetches nothing but its events. Built once from files imported as text, which the build bundles
 * into the binary. The report (report.ts) is the same document with the run's data inside.
 */

import uplotJs from 'uplot/dist/uPlot.iife.min.js' with { type: 'text' }
import uplotCss from 'uplot/dist/uPlot.min.css' with { type: 'text' }
import template from './page/index.html' with { type: 'text' }
import pageCss from './page/page.css' with { type: 'text' }
import viewJs from './page/view.js' with { type: 'text' }

/** Where each inlined file goes in index.html; `<!--snapshot-->` takes a report's data. */
const SLOTS = [
  ['/*uplot.css*/', uplotCss, '</style'],
  ['/*page.css*/', pageCss, '</style'],
  ['/*uplot.js*/', uplotJs, '</script'],
  ['/*view.js*/', viewJs, '</script'],
] as const

const SNAPSHOT_SLOT = '<!--snapshot-->'

/** `text` with its one `mark` replaced by `content` (split and join: no `$` patterns apply). */
function fill(text: string, mark: string, content: string): string {
  const parts = text.split(mark)
  if (parts.length !== 2) throw new Error(`live page: ${mark} is in index.html ${parts.length - 1} times, not once`)
  return parts.join(content)
}

/** The page with every file inlined; each must not end the element it goes into. */
function build(): string {
  let page = template as unknown as string // a string: imported as text, whatever bun-types says of .html
  for (const [mark, content, closing] of SLOTS) {
    if (content.toLowerCase().includes(closing)) throw new Error(`live page: the file for ${mark} contains ${closing}`)
    page = fill(page, mark, content)
  }
  return page
}

let built: string | undefined

/** The page with `snapshot` (a `<script type="application/json" id="snapshot">` or nothing) in its place. */
export function pageWith(snapshot: string): string {
  built ??= build()
  return fill(built, SNAPSHOT_SLOT, snapshot)
}

/** The live page, which reads its frames from `/events`. */
export function livePage(): string {
  return pageWith('')
}
