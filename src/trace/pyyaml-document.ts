import { clip } from '../echo.ts'
import { badInput } from '../errors.ts'
import { parseYaml } from './file.ts'
import {
  asPyScalar,
  Divergent,
  KEY_READINGS,
  type PyScalar,
  pyyamlScalar,
  type ReadMapping,
  sameScalar,
} from './pyyaml.ts'
import { lineColumn, type Word, yamlWords } from './yaml-tokens.ts'

/**
 * A YAML document as we read it, with what OpenDT's reader (PyYAML) reads otherwise marked in
 * place: a plain scalar whose readings differ becomes a `Divergent` holding both, and a mapping
 * whose keys PyYAML does not read as strings carries their readings under `KEY_READINGS`. Each
 * word of the text that either reader might take for more than a string is replaced by a unique
 * marker and the text parsed again: a marker found whole as a value or a key is that scalar; one
 * inside a longer string was part of one, and is put back as written.
 */

/** Words that may be read as more than a string by either reader: numbers, booleans, nulls, `<<`, `=`. */
const MAYBE_SPECIAL =
  /^(?:[-+.0-9~<=]|(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$)/

const INDICATOR = /^(?:-|\?|:|---|\.\.\.)$/

interface Marked {
  raw: string
  ours: unknown
  pyyaml: PyScalar
  /** The readings differ (a value is marked only then; a key also when either is not a string). */
  differ: boolean
  at: number
}

/** Parses YAML as `parseYaml` does, marking where PyYAML reads it otherwise (see above). */
export function parseYamlAsPyYaml(path: string, text: string): unknown {
  const tree = parseYaml(path, text)
  const { words, tags } = yamlWords(text)
  if (tags.length > 0) {
    const tag = tags[0]!
    throw badInput(
      `${path}: ${lineColumn(text, tag.at)}: the YAML tag ${clip(tag.text)} is refused: OpenDT's reader (PyYAML) and ours apply tags differently; write the value without it`,
    )
  }
  const candidates = words.filter((w) => {
    const raw = text.slice(w.start, w.end)
    // Indicators and document markers are no scalars; a `<<` key merges in both readers.
    return MAYBE_SPECIAL.test(raw) && !INDICATOR.test(raw) && !(w.key && raw === '<<')
  })
  const ours = readEach([...new Set(candidates.map((w) => text.slice(w.start, w.end)))])
  // Each distinct word is judged once (a file may repeat one a million times).
  const judged = new Map<string, { pyyaml: PyScalar; differ: boolean; strings: boolean } | null>()
  const judge = (raw: string) => {
    const value = ours.get(raw)
    if (typeof value === 'object' && value !== null) return null
    const pyyaml = pyyamlScalar(raw)
    const mine = asPyScalar(value)
    const differ = !sameScalar(mine, pyyaml) || pyyaml.type === 'unreadable'
    return { pyyaml, differ, strings: pyyaml.type === 'str' && mine.type === 'str' }
  }
  const marks: { word: Word; mark: Marked }[] = []
  for (const word of candidates) {
    const raw = text.slice(word.start, word.end)
    if (!judged.has(raw)) judged.set(raw, judge(raw))
    const verdict = judged.get(raw)
    if (!verdict) continue
    const { pyyaml, differ, strings } = verdict
    if (differ || (word.key && !strings)) {
      marks.push({ word, mark: { raw, ours: ours.get(raw), pyyaml, differ, at: word.start } })
    }
  }
  if (marks.length === 0) return tree

  let nonce = 'odtmark'
  while (text.includes(nonce)) nonce += 'q'
  const parts: string[] = []
  let at = 0
  marks.forEach(({ word }, i) => {
    parts.push(text.slice(at, word.start), `${nonce}${i}x`)
    at = word.end
  })
  parts.push(text.slice(at))
  let marked: unknown
  try {
    marked = Bun.YAML.parse(parts.join(''))
  } catch {
    throw badInput(`${path}: cannot tell how OpenDT's YAML reader (PyYAML) reads this file; write it plainly`)
  }
  return restore(
    path,
    text,
    marked,
    nonce,
    marks.map((m) => m.mark),
  )
}

/** Our reading of each word alone (one parse of a list of them, or one parse each if that fails). */
function readEach(raws: string[]): Map<string, unknown> {
  const readings = new Map<string, unknown>()
  if (raws.length === 0) return readings
  try {
    const list = Bun.YAML.parse(raws.map((raw) => `- ${raw}\n`).join('')) as unknown[]
    if (Array.isArray(list) && list.length === raws.length) {
      raws.forEach((raw, i) => void readings.set(raw, list[i]))
      return readings
    }
  } catch {}
  for (const raw of raws) {
    try {
      readings.set(raw, (Bun.YAML.parse(`- ${raw}\n`) as unknown[])[0])
    } catch {}
  }
  return readings
}

/** The marked tree with each marker replaced by what it stands for (see above); shared nodes stay shared. */
function restore(path: string, text: string, tree: unknown, nonce: string, marks: Marked[]): unknown {
  const whole = new RegExp(`^${nonce}(\\d+)x$`)
  const inside = new RegExp(`${nonce}(\\d+)x`, 'g')
  const done = new Map<object, unknown>()
  const unreadable = (mark: Marked, where: string) =>
    badInput(
      `${path}: ${where}: ${clip(mark.raw)} (${lineColumn(text, mark.at)}) has no reading in OpenDT's YAML reader (PyYAML refuses the file: it has no constructor for the tag ${(mark.pyyaml as { tag: string }).tag})`,
    )
  const walk = (node: unknown, where: string): unknown => {
    if (typeof node === 'string') {
      const m = whole.exec(node)
      if (m) {
        const mark = marks[Number(m[1])]!
        if (mark.pyyaml.type === 'unreadable') throw unreadable(mark, where)
        return mark.differ ? new Divergent(mark.raw, mark.ours, mark.pyyaml) : mark.ours
      }
      return node.includes(nonce) ? node.replace(inside, (_, i: string) => marks[Number(i)]!.raw) : node
    }
    if (typeof node !== 'object' || node === null) return node
    if (done.has(node)) {
      const seen = done.get(node)
      if (seen === undefined) throw badInput(`${path}: ${where}: an alias of a node that holds it (a recursive alias)`)
      return seen
    }
    done.set(node, undefined)
    let out: unknown
    if (Array.isArray(node)) out = node.map((v, i) => walk(v, `${where}[${i}]`))
    else {
      const mapping: ReadMapping = {}
      for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
        const m = whole.exec(key)
        let name = key
        if (m) {
          const mark = marks[Number(m[1])]!
          if (mark.pyyaml.type === 'unreadable') throw unreadable(mark, where || 'the top')
          name = String(mark.ours)
          mapping[KEY_READINGS] ??= new Map()
          mapping[KEY_READINGS].set(name, new Divergent(mark.raw, mark.ours, mark.pyyaml))
        } else if (key.includes(nonce)) name = key.replace(inside, (_, i: string) => marks[Number(i)]!.raw)
        else if (key === '<<') {
          throw badInput(
            `${path}: ${where ? `${where}.` : ''}<<: a merge key whose value is not a mapping (or list of mappings) to merge: OpenDT's YAML reader (PyYAML) refuses it`,
          )
        }
        mapping[name] = walk(value, where ? `${where}.${name}` : name)
      }
      out = mapping
    }
    done.set(node, out)
    return out
  }
  return walk(tree, '')
}
