import { readFileSync, statSync } from 'node:fs'
import { echo } from '../echo.ts'
import { badInput } from '../errors.ts'
import { INT32_MAX } from './columns.ts'
import { fileError } from './file.ts'

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
  // JSON.parse refuses it too, but TextDecoder would drop it unasked: said once, the same for every reader.
  if (text.startsWith('\ufeff')) {
    throw badInput(
      `${path}: starts with a UTF-8 byte order mark (BOM), which Python's json (OpenDT's reader) refuses; save it without one`,
    )
  }
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
    value === Infinity || value === -Infinity ? "a number beyond a double's range" : echo(value)
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

// topology.json as OpenDT's dc-mock reads it and sends it (--format dc-mock's topology stream).

/** Largest topology file read: a topology message must fit in one Kafka message. */
const MAX_TOPOLOGY_BYTES = 16 << 20

/** Reads topology.json: a regular file of at most 16 MiB, in valid UTF-8 (`flag` names it in errors). */
export function readTopologyFile(flag: string, path: string): string {
  let bytes: Buffer
  try {
    const stat = statSync(path)
    if (stat.isDirectory()) throw badInput(`${flag}: ${path} is a directory, expected a topology.json`)
    if (!stat.isFile()) throw badInput(`${flag}: ${path} is not a regular file`)
    if (stat.size > MAX_TOPOLOGY_BYTES) {
      throw badInput(
        `${flag}: ${path} is ${stat.size} bytes; a topology (one Kafka message) may have at most ${MAX_TOPOLOGY_BYTES}`,
      )
    }
    bytes = readFileSync(path)
  } catch (error) {
    if ((error as { exitCode?: number }).exitCode !== undefined) throw error
    throw fileError(path, error)
  }
  try {
    // ignoreBOM: a byte order mark is kept in the text (and refused as JSON), not dropped.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    throw badInput(`${path}: not valid UTF-8`)
  }
}

/**
 * topology.json checked as OpenDT's topology model checks it (dc-mock refuses a file it rejects,
 * and so does its simulator), then compacted as dc-mock sends it (core/dc-mock-wire.ts).
 */
export function topologyMessageBody(path: string, text: string): string {
  checkOpenDtTopology(path, parseJsonFile(path, text))
  // Valid JSON nested deeper than the error scanner follows is refused too: Python's json would fail on it.
  const { json, depth } = topologyJson(text)
  if (depth > MAX_DEPTH) throw badInput(`${path}: nested deeper than ${MAX_DEPTH} levels`)
  return json
}

type Json = Record<string, unknown>

function checkOpenDtTopology(path: string, json: unknown): void {
  const fail = (at: string, expected: string, got: unknown): never => {
    throw badInput(`${path}: ${at}: expected ${expected}, got ${echo(got)}`)
  }
  const object = (v: unknown, at: string): Json =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : fail(at, 'an object', v)
  const list = (v: unknown, at: string): unknown[] =>
    Array.isArray(v) && v.length > 0 ? v : fail(at, 'a list of at least one', v)
  const text = (v: unknown, at: string) => typeof v === 'string' || fail(at, 'a string', v)
  const number = (v: unknown, at: string, test: (x: number) => boolean, what: string) =>
    (typeof v === 'number' && Number.isFinite(v) && test(v)) || fail(at, what, v)
  const positiveInteger = (v: unknown, at: string) =>
    number(v, at, (x) => Number.isSafeInteger(x) && x > 0, 'a whole number above 0')
  const positive = (v: unknown, at: string) => number(v, at, (x) => x > 0, 'a number above 0')
  const optional = (v: unknown, at: string, low: number, high: number) =>
    v === undefined || number(v, at, (x) => x >= low && x <= high, `a number from ${low} to ${high}`)
  list(object(json, 'the topology').clusters, 'clusters').forEach((c, i) => {
    const cluster = object(c, `clusters[${i}]`)
    text(cluster.name, `clusters[${i}].name`)
    list(cluster.hosts, `clusters[${i}].hosts`).forEach((h, j) => {
      const at = `clusters[${i}].hosts[${j}]`
      const host = object(h, at)
      text(host.name, `${at}.name`)
      positiveInteger(host.count, `${at}.count`)
      const cpu = object(host.cpu, `${at}.cpu`)
      positiveInteger(cpu.coreCount, `${at}.cpu.coreCount`)
      positive(cpu.coreSpeed, `${at}.cpu.coreSpeed`)
      positiveInteger(object(host.memory, `${at}.memory`).memorySize, `${at}.memory.memorySize`)
      const model = object(host.cpuPowerModel, `${at}.cpuPowerModel`)
      const type = model.modelType
      if (type !== 'mse' && type !== 'asymptotic') fail(`${at}.cpuPowerModel.modelType`, '"mse" or "asymptotic"', type)
      positive(model.power, `${at}.cpuPowerModel.power`)
      number(model.idlePower, `${at}.cpuPowerModel.idlePower`, (x) => x >= 0, 'a number of at least 0')
      positive(model.maxPower, `${at}.cpuPowerModel.maxPower`)
      if (type === 'mse') optional(model.calibrationFactor, `${at}.cpuPowerModel.calibrationFactor`, 0, 50)
      else optional(model.asymUtil, `${at}.cpuPowerModel.asymUtil`, 0, 1)
    })
  })
}

/** Fields OpenDT's topology model types as float: dc-mock sends `2100.0` where the file says `2100`. */
const FLOAT_FIELDS = new Set(['coreSpeed', 'power', 'idlePower', 'maxPower', 'calibrationFactor', 'asymUtil'])

/**
 * A topology file's JSON, compact, as dc-mock sends it: fields in the file's order, numbers as
 * the file spells them, except that a whole number in one of OpenDT's float fields gains `.0`.
 * `text` must already be valid JSON (trace/topology.ts checks it). Also says how deep it nests.
 */
export function topologyJson(text: string): { json: string; depth: number } {
  let out = ''
  let lastKey = ''
  let depth = 0
  let deepest = 0
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      const token = text.slice(i, j + 1)
      out += token
      i = j + 1
      let k = i
      while (k < text.length && ' \t\n\r'.includes(text[k]!)) k++
      if (text[k] === ':') lastKey = JSON.parse(token) as string
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1
      while (j < text.length && /[0-9eE.+-]/.test(text[j]!)) j++
      const token = text.slice(i, j)
      out += FLOAT_FIELDS.has(lastKey) && /^-?[0-9]+$/.test(token) ? `${token}.0` : token
      i = j
    } else {
      // Structure as is, whitespace dropped; a number in a list counts as its list's field.
      if (!' \t\n\r'.includes(c)) out += c
      if (c === '{' || c === '[') deepest = Math.max(deepest, ++depth)
      else if (c === '}' || c === ']') depth--
      i++
    }
  }
  return { json: out, depth: deepest }
}
