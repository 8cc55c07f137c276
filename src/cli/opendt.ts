import { badInput } from '../errors.ts'
import { dcMock } from '../formats/dc-mock/index.ts'
import { MAX_REPLICATION_FACTOR } from '../outputs/kafka/flags.ts'
import { INT32_MAX } from '../trace/columns.ts'
import { folderState, isMapping, parseYaml } from '../trace/file.ts'
import type { TopicSettings } from '../types.ts'

/**
 * OpenDT's configuration as a source of options (`opendt-replay dc-mock`): what OpenDT's compose
 * gives its dc-mock service (CONFIG_FILE, WORKLOAD_DIR, KAFKA_BOOTSTRAP_SERVERS) mapped to the
 * replay's own flags, below the command line and the OPENDT_REPLAY_ twins. The config file is read
 * as OpenDT's `odt_common/config.py` reads it: keys OpenDT accepts and we do not use are ignored,
 * and a value OpenDT would refuse is refused here too, naming the file, the key and the value.
 */

/** dc-mock's defaults when its environment says nothing (OpenDT's dc_mock/main.py, utils/kafka.py). */
export const OPENDT_DEFAULTS = { workloadDir: '/app/workload', bootstrap: 'kafka:29092' } as const

/** OpenDT's defaults for what its config file leaves out (odt_common/config.py). */
const DEFAULT_SPEED_FACTOR = 10
const DEFAULT_HEARTBEAT_MINUTES = 1

/** A topic as OpenDT's kafka-init creates it (kafka.topics.<key>). */
export interface OpenDtTopic extends TopicSettings {
  name: string
}

/** What the config file says that we use. */
export interface OpenDtConfig {
  /** global.speed_factor: trace seconds per wall second, Infinity for -1; undefined: not given. */
  speed?: number
  /** services.dc-mock.heartbeat_frequency_minutes; undefined: not given. */
  heartbeatMinutes?: number
  /** kafka.topics, by logical name (workload, power, topology, and OpenDT's others). */
  topics: Map<string, OpenDtTopic>
}

const shown = (v: unknown) =>
  typeof v === 'string' ? `"${v}"` : typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v))

/**
 * A number as pydantic reads one in its default (lax) mode: a YAML number, or a string that spells
 * one ("300"); booleans and everything else are refused.
 */
function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'string' && /^\s*[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?\s*$/i.test(v)) return Number(v)
  return undefined
}

/** Parses and checks OpenDT's config file (pure: the text is given). Errors name `path` and the key. */
export function parseOpenDtConfig(path: string, text: string): OpenDtConfig {
  const doc = parseYaml(path, text)
  if (doc === null || doc === undefined) {
    throw badInput(`${path}: empty; expected OpenDT's configuration (global, services, kafka)`)
  }
  if (!isMapping(doc)) {
    const what = Array.isArray(doc) ? 'a list (or several documents)' : shown(doc).slice(0, 80)
    throw badInput(`${path}: expected OpenDT's configuration (a mapping of global, services, kafka), got ${what}`)
  }
  const bad = (key: string, value: unknown, expected: string) =>
    badInput(`${path}: ${key}: expected ${expected}, got ${shown(value)}`)
  const section = (parent: Record<string, unknown>, key: string, at: string): Record<string, unknown> => {
    const v = parent[key]
    if (v === undefined || v === null) return {}
    if (!isMapping(v)) throw bad(at, v, 'a mapping')
    return v
  }

  const config: OpenDtConfig = { topics: new Map() }
  const global = section(doc, 'global', 'global')
  if (global.speed_factor !== undefined && global.speed_factor !== null) {
    const raw = global.speed_factor
    const speed = numberOf(raw)
    if (speed === undefined || !Number.isFinite(speed)) {
      throw bad('global.speed_factor', raw, 'a number (1 is real time, -1 as fast as possible)')
    }
    if (speed !== -1 && speed <= 0) {
      throw badInput(
        `${path}: global.speed_factor: ${shown(raw)} is refused (OpenDT refuses it too): ` +
          'give a positive speed (1 is real time) or -1 (as fast as possible)',
      )
    }
    config.speed = speed === -1 ? Infinity : speed
  }

  const service = section(section(doc, 'services', 'services'), 'dc-mock', 'services.dc-mock')
  const workload = service.workload
  if (workload !== undefined && workload !== null && typeof workload !== 'string') {
    throw bad('services.dc-mock.workload', workload, 'a workload name (a string)')
  }
  const heartbeat = service.heartbeat_frequency_minutes
  if (heartbeat !== undefined && heartbeat !== null) {
    const minutes = numberOf(heartbeat)
    if (minutes === undefined || !Number.isSafeInteger(minutes) || minutes <= 0) {
      throw bad('services.dc-mock.heartbeat_frequency_minutes', heartbeat, 'a whole number of minutes above 0')
    }
    config.heartbeatMinutes = minutes
  }

  const topics = section(section(doc, 'kafka', 'kafka'), 'topics', 'kafka.topics')
  for (const [key, entry] of Object.entries(topics)) {
    const at = `kafka.topics.${key}`
    if (!isMapping(entry)) throw bad(at, entry, 'a mapping (name, partitions, replication_factor, config)')
    if (entry.name === undefined || entry.name === null)
      throw badInput(`${path}: ${at}.name: missing (every topic needs a name)`)
    if (typeof entry.name !== 'string' || entry.name.trim() === '') throw bad(`${at}.name`, entry.name, 'a topic name')
    const count = (field: string, max: number) => {
      const v = entry[field]
      if (v === undefined || v === null) return 1
      const n = numberOf(v)
      if (n === undefined || !Number.isSafeInteger(n) || n <= 0)
        throw bad(`${at}.${field}`, v, 'a whole number above 0')
      if (n > max) throw bad(`${at}.${field}`, v, `a whole number above 0, at most ${max} (Kafka's limit)`)
      return n
    }
    const settings = section(entry, 'config', `${at}.config`)
    const configs: Record<string, string> = {}
    for (const [name, value] of Object.entries(settings)) {
      if (typeof value === 'string') configs[name] = value
      else if (typeof value === 'number' && Number.isFinite(value)) configs[name] = String(value)
      else if (typeof value === 'boolean') configs[name] = String(value)
      else throw bad(`${at}.config.${name}`, value, 'a value (a string or a number)')
    }
    config.topics.set(key, {
      name: entry.name,
      partitions: count('partitions', INT32_MAX),
      replicationFactor: count('replication_factor', MAX_REPLICATION_FACTOR),
      configs,
    })
  }
  return config
}

/** One setting the OpenDT layer gives a flag: the flag, its value, and where it came from. */
export interface LayerSetting {
  flag: string
  value: string
  /** How an error or the start-up lines name it: `WORKLOAD_DIR`, `/app/config.yaml: global.speed_factor`. */
  source: string
}

/** The OpenDT layer: flag values for the flags the command line and the twins left unset. */
export interface OpenDtLayer {
  settings: LayerSetting[]
  /** The trace folder when no TRACE_DIR is given, and where it came from. */
  traceDir?: { value: string; source: string }
  /** How each topic this run may create is to be made, by topic name. */
  topics: Map<string, TopicSettings>
  /** What stderr says once at the start: each setting and where it came from. */
  lines: string[]
}

/** Flags the layer must not set because the command line or a twin already does (`given`), and the rest. */
export interface LayerInput {
  configPath: string
  config: OpenDtConfig
  env: Record<string, string | undefined>
  /** Flags set by argv or an OPENDT_REPLAY_ twin. */
  given: ReadonlySet<string>
  /** A TRACE_DIR was given on the command line. */
  traceGiven: boolean
}

/** Speed as `--speed` spells it. */
const speedText = (speed: number) => (speed === Infinity ? 'max' : String(speed))

/** Maps OpenDT's configuration and environment to flag values (pure). */
export function openDtLayer(input: LayerInput): OpenDtLayer {
  const { configPath, config, env, given } = input
  const settings: LayerSetting[] = []
  const lines: string[] = []
  const set = (flag: string, value: string, source: string) => {
    if (given.has(flag)) {
      lines.push(`--${flag}: as given (over ${source})`)
      return
    }
    settings.push({ flag, value, source })
    lines.push(`--${flag} ${value}: ${source}`)
  }
  const file = (key: string) => `${configPath}: ${key}`

  set('format', 'dc-mock', "OpenDT's dc-mock")
  let traceDir: OpenDtLayer['traceDir']
  if (input.traceGiven) lines.push('TRACE_DIR: as given (over WORKLOAD_DIR)')
  else {
    const dir = env.WORKLOAD_DIR || OPENDT_DEFAULTS.workloadDir
    const source = env.WORKLOAD_DIR ? 'WORKLOAD_DIR' : `WORKLOAD_DIR unset: dc-mock's default`
    traceDir = { value: dir, source }
    lines.push(`TRACE_DIR ${dir}: ${source}`)
  }
  // The output: Kafka at KAFKA_BOOTSTRAP_SERVERS, unless the command line or our own variables choose.
  if (given.has('brokers')) lines.push('--brokers: as given (over KAFKA_BOOTSTRAP_SERVERS)')
  else if (given.has('dry-run')) lines.push('--dry-run: as given (stdout instead of KAFKA_BOOTSTRAP_SERVERS)')
  else if (env.KAFKA_BROKERS) lines.push(`--brokers ${env.KAFKA_BROKERS}: KAFKA_BROKERS (over KAFKA_BOOTSTRAP_SERVERS)`)
  else {
    const bootstrap = env.KAFKA_BOOTSTRAP_SERVERS || OPENDT_DEFAULTS.bootstrap
    set(
      'brokers',
      bootstrap,
      env.KAFKA_BOOTSTRAP_SERVERS ? 'KAFKA_BOOTSTRAP_SERVERS' : `KAFKA_BOOTSTRAP_SERVERS unset: dc-mock's default`,
    )
  }
  const speed = config.speed ?? DEFAULT_SPEED_FACTOR
  set(
    'speed',
    speedText(speed),
    config.speed === undefined ? `${file('global.speed_factor')} unset: OpenDT's default` : file('global.speed_factor'),
  )
  const minutes = config.heartbeatMinutes ?? DEFAULT_HEARTBEAT_MINUTES
  const heartbeatKey = 'services.dc-mock.heartbeat_frequency_minutes'
  set(
    'heartbeat',
    `${minutes}m`,
    config.heartbeatMinutes === undefined ? `${file(heartbeatKey)} unset: OpenDT's default` : file(heartbeatKey),
  )
  const topics = new Map<string, TopicSettings>()
  // dc-mock's streams are named as OpenDT's config names its topics (workload, power, topology).
  for (const [key, { flag, default: fallback }] of Object.entries(dcMock.topics)) {
    const topic = config.topics.get(key)
    set(flag, topic?.name ?? fallback, topic ? file(`kafka.topics.${key}.name`) : `kafka.topics.${key} unset: default`)
    if (!topic || given.has(flag)) continue
    // Created as kafka-init creates it, unless --partitions or --replication-factor say otherwise.
    topics.set(topic.name, {
      partitions: given.has('partitions') ? undefined : topic.partitions,
      replicationFactor: given.has('replication-factor') ? undefined : topic.replicationFactor,
      configs: topic.configs,
    })
  }
  return { settings, traceDir, topics, lines }
}

/** WORKLOAD_DIR (or its default) must be a folder: one line naming the variable otherwise. */
export function checkWorkloadDir(traceDir: { value: string; source: string }): void {
  if (folderState(traceDir.value) !== 'folder') {
    throw badInput(
      `${traceDir.source.startsWith('WORKLOAD_DIR unset') ? "WORKLOAD_DIR (unset, so dc-mock's default)" : 'WORKLOAD_DIR'} ` +
        `${traceDir.value}: no such folder (OpenDT's workload folder, with tasks.parquet and fragments.parquet)`,
    )
  }
}
