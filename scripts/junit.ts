/**
 * The failed tests of a bun test JUnit report (`--reporter=junit`), for scripts/test.ts to repeat
 * at the end of its output: CI keeps only the tail of a log, and bun test prints each failure
 * beside its file's tests, far above its closing list of names.
 */

export interface FailedTest {
  /** `file:line`, as the report names the test. */
  where: string
  /** The describe blocks, outermost first, and the test's name, joined by " > " as bun test prints them. */
  name: string
  /** The failure's text: its message and, when the report has it, where it was thrown. */
  text: string
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** XML text or attribute value, its entities decoded. */
export function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)))
    return ENTITIES[e] ?? whole
  })
}

function attribute(tag: string, name: string): string {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag)
  return m ? unescapeXml(m[1]!) : ''
}

/** Every failed test case in `xml`, in the report's order. */
export function failedTests(xml: string): FailedTest[] {
  const failed: FailedTest[] = []
  const suites: string[] = []
  // The tags that matter, in document order: suites open and close, cases hold their failure.
  const tags = /<testsuite\s[^>]*>|<\/testsuite>|<testcase\s[^>]*?(?:\/>|>[\s\S]*?<\/testcase>)/g
  for (const [tag] of xml.matchAll(tags)) {
    if (tag.startsWith('</')) suites.pop()
    else if (tag.startsWith('<testsuite')) suites.push(attribute(tag, 'name'))
    else {
      const failure = /<failure\s([^>]*?)(?:\/>|>([\s\S]*?)<\/failure>)/.exec(tag)
      if (!failure) continue
      const body = failure[2] === undefined ? '' : unescapeXml(failure[2]).trim()
      const name = [...suites.slice(1), attribute(tag, 'name')].join(' > ')
      failed.push({
        where: `${attribute(tag, 'file')}:${attribute(tag, 'line')}`,
        name,
        text: body || attribute(`<f ${failure[1]}>`, 'message'),
      })
    }
  }
  return failed
}

/**
 * The failed tests as scripts/test.ts repeats them: a line naming each, then its error indented,
 * at most `maxLines` lines of it (a diff of two big objects would push the others out of the
 * tail); '' when none failed.
 */
export function failuresAgain(failed: FailedTest[], maxLines = 40): string {
  if (failed.length === 0) return ''
  const lines = failed.flatMap((f) => [
    `(fail) ${f.where} ${f.name}`,
    ...f.text
      .split('\n')
      .slice(0, maxLines)
      .map((line) => `  ${line}`),
  ])
  return `\nscripts/test.ts: the failed tests again, with their errors:\n${lines.join('\n')}\n`
}
