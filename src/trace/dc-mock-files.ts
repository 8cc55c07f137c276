import { readFileSync, statSync } from 'node:fs'
import { topologyJson } from '../core/dc-mock-wire.ts'
import { badInput } from '../errors.ts'
import { fileError, isMapping, parseYaml } from './file.ts'
import { MAX_DEPTH, parseJsonFile } from './topology.ts'

/**
 * The files of an OpenDT workload folder besides the trace, for `--format dc-mock`: workload.yaml
 * (the power offset) and topology.json (checked as OpenDT's model checks it, then sent as dc-mock
 * sends it). consumption.parquet is decoded with the trace's columns (trace/load.ts loadConsumption).
 */

/** workload.yaml's `timestamps.consumption_offset_ms`: 0 when the file does not set it. */
export function consumptionOffset(path: string, text: string): number {
  const doc = parseYaml(path, text)
  if (doc !== null && doc !== undefined && !isMapping(doc)) {
    const what = Array.isArray(doc) ? 'a list (or several documents)' : JSON.stringify(doc).slice(0, 80)
    throw badInput(`${path}: expected a mapping (timestamps: ...) at the top, got ${what}`)
  }
  const timestamps = (doc as { timestamps?: unknown } | null)?.timestamps
  if (timestamps !== undefined && timestamps !== null && !isMapping(timestamps)) {
    throw badInput(
      `${path}: timestamps: expected a mapping (consumption_offset_ms: N), got ${JSON.stringify(timestamps)}`,
    )
  }
  const offset = (timestamps as { consumption_offset_ms?: unknown } | null | undefined)?.consumption_offset_ms
  if (offset === undefined || offset === null) return 0
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || Math.abs(offset) > 8.64e15) {
    throw badInput(
      `${path}: timestamps.consumption_offset_ms: expected a whole number of milliseconds, got ${JSON.stringify(offset) ?? String(offset)}`,
    )
  }
  return offset
}

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
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
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
    const shown = got === undefined ? 'nothing' : (JSON.stringify(got) ?? String(got))
    throw badInput(
      `${path}: ${at}: expected ${expected}, got ${shown.length > 80 ? `${shown.slice(0, 77)}...` : shown}`,
    )
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
