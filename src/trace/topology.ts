import { badInput } from '../errors.ts'
import { INT32_MAX } from './columns.ts'

/**
 * An OpenDC topology.json: clusters of hosts, each host kind `count` machines of `coreCount`
 * cores at `coreSpeed` MHz. Read for `--host-topology` (a what-if host), `inspect --topology`
 * (the cluster's capacity) and the dc-mock format.
 */
export interface TopologyHost {
  /** Where it is in the file, for messages: `clusters[0].hosts[1]`. */
  at: string
  count: number
  coreCount: number
  coreSpeed: number
}

export interface Topology {
  path: string
  /** The file's JSON, as parsed. */
  json: unknown
  hosts: TopologyHost[]
}

/**
 * The file's text as JSON; a syntax error names the file, line and column. JSON nested deeper than
 * MAX_DEPTH is refused before anything walks it (a value 100,000 levels deep overflowed the stack
 * of the code that names a bad value).
 */
export function parseJsonFile(path: string, text: string): unknown {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    const { line, column, what } = syntaxErrorAt(text)
    throw badInput(`${path}: invalid JSON at line ${line}, column ${column}: ${what}`)
  }
  if (nestingDepth(text) > MAX_DEPTH) throw badInput(`${path}: nested deeper than ${MAX_DEPTH} levels`)
  return json
}

/** The deepest nesting of objects and lists in JSON text (strings skipped), without recursion. */
function nestingDepth(text: string): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // a backslash: the next character is escaped
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth)
    else if (c === 0x7d || c === 0x5d) depth--
  }
  return deepest
}

/** Reads a topology: every host needs a positive count, coreCount and coreSpeed. */
export function parseTopology(path: string, text: string): Topology {
  const json = parseJsonFile(path, text)
  // JSON.parse reads 1e400 as Infinity, which JSON.stringify would show as null.
  const shown = (value: unknown) =>
    value === Infinity || value === -Infinity
      ? "a number beyond a double's range"
      : (JSON.stringify(value) ?? 'nothing')
  const field = (value: unknown, at: string, whole = false): number => {
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
      if (!whole) return value
      if (Number.isInteger(value) && value <= INT32_MAX) return value
      throw badInput(`${path}: ${at}: expected a whole number from 1 to ${INT32_MAX}, got ${shown(value)}`)
    }
    throw badInput(`${path}: ${at}: expected a positive number, got ${shown(value)}`)
  }
  const clusters = (json as { clusters?: unknown })?.clusters
  if (!Array.isArray(clusters)) throw badInput(`${path}: clusters: expected a list of clusters`)
  const hosts: TopologyHost[] = []
  clusters.forEach((cluster: { hosts?: unknown }, c) => {
    if (!Array.isArray(cluster?.hosts)) throw badInput(`${path}: clusters[${c}].hosts: expected a list of hosts`)
    cluster.hosts.forEach((host: { count?: unknown; cpu?: { coreCount?: unknown; coreSpeed?: unknown } }, h) => {
      const at = `clusters[${c}].hosts[${h}]`
      const entry = {
        at,
        count: host?.count === undefined ? 1 : field(host.count, `${at}.count`, true),
        coreCount: field(host?.cpu?.coreCount, `${at}.cpu.coreCount`, true),
        coreSpeed: field(host?.cpu?.coreSpeed, `${at}.cpu.coreSpeed`),
      }
      if (!Number.isFinite(entry.count * entry.coreCount * entry.coreSpeed)) {
        throw badInput(`${path}: ${at}: count x coreCount x coreSpeed is beyond a double's range`)
      }
      hosts.push(entry)
    })
  })
  if (hosts.length === 0) throw badInput(`${path}: no host (every clusters[].hosts is empty)`)
  const topology = { path, json, hosts }
  if (!Number.isFinite(capacityMhz(topology))) {
    throw badInput(`${path}: the hosts' capacity (count x coreCount x coreSpeed, summed) is beyond a double's range`)
  }
  return topology
}

/** The cluster's capacity: the sum over hosts of count x coreCount x coreSpeed, MHz. */
export const capacityMhz = (topology: Topology) =>
  topology.hosts.reduce((s, h) => s + h.count * h.coreCount * h.coreSpeed, 0)

/** Deepest nesting the scanner follows (and dc-mock's topology allows: Python's json stops near 1,000). */
export const MAX_DEPTH = 256

/**
 * Where JSON.parse failed, found by a small scanner of the JSON grammar (JSON.parse does not
 * say): 1-based line and column, and what was found there.
 */
export function syntaxErrorAt(text: string): { line: number; column: number; what: string } {
  let i = 0
  let depth = 0
  const fail = (what: string): never => {
    throw Object.assign(new Error(what), { offset: i })
  }
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++
  }
  const literal = (word: string) => {
    if (!text.startsWith(word, i)) fail(`expected ${word}`)
    i += word.length
  }
  const string = () => {
    i++
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail('a control character inside a string')
      if (text[i] === '\\') {
        i++
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('a bad \\u escape')
          i += 4
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) fail('a bad escape')
      }
      i++
    }
    if (i >= text.length) fail('an unterminated string')
    i++
  }
  /** Past a closing } or ]. */
  const close = () => {
    i++
    depth--
  }
  const value = (): void => {
    space()
    const c = text[i]
    if ((c === '{' || c === '[') && ++depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`)
    if (c === '{') {
      i++
      space()
      if (text[i] === '}') return void close()
      for (;;) {
        space()
        if (text[i] !== '"') fail('expected a "name" in an object')
        string()
        space()
        if (text[i] !== ':') fail('expected : after a name')
        i++
        value()
        space()
        if (text[i] === ',') i++
        else if (text[i] === '}') return void close()
        else fail('expected , or } in an object')
      }
    }
    if (c === '[') {
      i++
      space()
      if (text[i] === ']') return void close()
      for (;;) {
        value()
        space()
        if (text[i] === ',') i++
        else if (text[i] === ']') return void close()
        else fail('expected , or ] in a list')
      }
    }
    if (c === '"') {
      string()
      return
    }
    if (c === 't') return void literal('true')
    if (c === 'f') return void literal('false')
    if (c === 'n') return void literal('null')
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))
    if (number) {
      i += number[0].length
      return
    }
    if (i === 0 && c === '\ufeff') fail('a byte order mark (BOM) before the JSON')
    fail(i >= text.length ? 'the text ends too early' : `unexpected ${JSON.stringify(c)}`)
  }
  let what = 'invalid JSON'
  try {
    value()
    space()
    if (i < text.length) fail(`unexpected ${JSON.stringify(text[i])} after the value`)
  } catch (error) {
    what = (error as Error).message
  }
  const before = text.slice(0, i)
  const line = before.split('\n').length
  return { line, column: i - before.lastIndexOf('\n'), what }
}
