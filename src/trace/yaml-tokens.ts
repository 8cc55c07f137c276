/**
 * Where a YAML text's plain words are: each run of characters outside comments, quoted scalars and
 * block scalars (`|`, `>`), split at spaces and flow indicators, with a key's `:` left off; and its
 * tags (`!!int`). Words are candidates only: a word is a plain scalar when the parsed document
 * holds it whole (trace/pyyaml-read.ts checks that by putting a marker in its place), so splitting
 * a longer scalar in words, or a misjudged line, cannot make a scalar that is not one.
 */

/** A word: its place in the text, and whether a `:` and a space (or the line's end) follow it. */
export interface Word {
  start: number
  end: number
  key: boolean
}

/** A tag's place and text. */
export interface Tag {
  at: number
  text: string
}

const FLOW = ',[]{}'
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r'
/** A date and a time with a space between them is one scalar to PyYAML's timestamp resolver. */
const SPACED_TIMESTAMP =
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[ \t]+[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?/

/** The words and tags of a YAML text (see above). */
export function yamlWords(text: string): { words: Word[]; tags: Tag[] } {
  const words: Word[] = []
  const tags: Tag[] = []
  let quote: '"' | "'" | undefined
  /** The indentation of a block scalar's header line while in its content. */
  let block: number | undefined
  let lineStart = 0
  while (lineStart <= text.length) {
    let lineEnd = text.indexOf('\n', lineStart)
    if (lineEnd < 0) lineEnd = text.length
    let i = lineStart
    while (i < lineEnd && text[i] === ' ') i++
    const indent = i - lineStart
    const blank = /^[ \t\r]*$/.test(text.slice(i, lineEnd))
    if (block !== undefined && (blank || indent > block)) i = lineEnd
    else block = undefined
    if (!quote && text[lineStart] === '%') i = lineEnd
    let tokenStart = true
    while (i < lineEnd) {
      const c = text[i]!
      if (quote) {
        if (c === '\\' && quote === '"') i += 2
        else if (c === quote && quote === "'" && text[i + 1] === "'") i += 2
        else {
          if (c === quote) quote = undefined
          i++
        }
        tokenStart = false
        continue
      }
      if (isSpace(c) || FLOW.includes(c)) {
        tokenStart = true
        i++
        continue
      }
      if (!tokenStart) {
        i++
        continue
      }
      tokenStart = false
      if (c === '#') break
      if (c === '"' || c === "'") {
        quote = c
        i++
        continue
      }
      let end = i
      while (end < lineEnd && !isSpace(text[end]) && !FLOW.includes(text[end]!)) end++
      const word = text.slice(i, end)
      if ((c === '|' || c === '>') && /^[|>][0-9+-]*$/.test(word)) {
        const rest = text.slice(end, lineEnd).trim()
        if (rest === '' || rest.startsWith('#')) {
          block = indent
          break
        }
      }
      if (c === '!') tags.push({ at: i, text: word })
      else if (c !== '&' && c !== '*') {
        // Only a date may run on past a space (sliced only then: a long line stays linear).
        const spaced = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$/.test(word)
          ? SPACED_TIMESTAMP.exec(text.slice(i, lineEnd))
          : null
        if (spaced && !/[^ \t\r,\]}#]/.test(text[i + spaced[0].length] ?? ' ')) end = i + spaced[0].length
        let wordEnd = end
        let key = false
        if (
          text[end - 1] === ':' &&
          end - 1 > i &&
          (end === lineEnd || isSpace(text[end]) || FLOW.includes(text[end]!))
        ) {
          wordEnd = end - 1
          key = true
        } else {
          let k = end
          while (text[k] === ' ' || text[k] === '\t') k++
          key = k > end && text[k] === ':' && (k + 1 === lineEnd || isSpace(text[k + 1]))
        }
        words.push({ start: i, end: wordEnd, key })
      }
      i = end
    }
    lineStart = lineEnd + 1
  }
  return { words, tags }
}

/** The 1-based line and column of an offset. */
export function lineColumn(text: string, at: number): string {
  const before = text.slice(0, at)
  const line = before.split('\n').length
  return `line ${line}, column ${at - before.lastIndexOf('\n')}`
}
