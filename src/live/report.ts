/**
 * `--report FILE.html`: the live page with the run's status and history inside, as JSON in a
 * `<script type="application/json" id="snapshot">`. The page's script draws it once and opens no
 * event stream, so the file opens offline (file://), in a lab notebook or a paper's capsule.
 */
import { pageWith } from './page.ts'
import type { LiveHistory, LiveStatus } from './status.ts'

/**
 * JSON that cannot end the script element it sits in: every `<` (so `</script>` and `<!--`) as
 * `\u003c`, which JSON.parse reads back as `<`. In JSON a `<` can only be inside a string.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replaceAll('<', '\\u003c')
}

/** One self-contained HTML file of the run: the same charts and figures as the live page. */
export function reportHtml(snapshot: { status: LiveStatus; history: LiveHistory }): string {
  const data = scriptJson({ status: snapshot.status, history: snapshot.history })
  return pageWith(`<script type="application/json" id="snapshot">${data}</script>`)
}
