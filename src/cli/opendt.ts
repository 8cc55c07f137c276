import { clip, echo } from '../echo.ts'
import { badInput } from '../errors.ts'
import { DC_MOCK_ENVIRONMENT } from '../formats/dc-mock/defaults.ts'
import { dcMock } from '../formats/dc-mock/index.ts'
import { MAX_REPLICATION_FACTOR } from '../outputs/kafka/flags.ts'
import { INT32_MAX } from '../trace/columns.ts'
import { folderState, reasonOf } from '../trace/file.ts'
import { Divergent } from '../trace/pyyaml.ts'
import { parseYamlAsPyYaml } from '../trace/pyyaml-document.ts'
import type { TopicSettings } from '../types.ts'
import { type Dump, spelled, validateAppConfig } from './opendt-model.ts'

/**
 * OpenDT's configuration as a source of options (`opendt-replay dc-mock`): what OpenDT's compose
 * gives its dc-mock service (CONFIG_FILE, WORKLOAD_DIR, KAFKA_BOOTSTRAP_SERVERS) mapped to the
 * replay's own flags, below the command line and the OPENDT_REPLAY_ twins. The config file is read
 * as OpenDT's `odt_common/config.py` reads it: PyYAML's reading of the text (trace/pyyaml.ts; where
 * ours differs in a way that matters, refused with both readings), then its models, aliases and
 * coercions (cli/opendt-model.ts). Keys OpenDT ignores are ignored; a config OpenDT would refuse is
 * refused, naming the file, the key and the value.
 */

/** dc-mock's defaults when its environment says nothing (OpenDT's dc_mock/main.py, utils/kafka.py). */
export const OPENDT_DEFAULTS = DC_MOCK_ENVIRONMENT

/** A topic as OpenDT's kafka-init creates it (kafka.topics.<key>). */
export interface OpenDtTopic extends TopicSettings {
  name: string
}

/** What the config file says that we use. */
export interface OpenDtConfig {
  /** global.speed_factor: trace seconds per wall second, Infinity for -1; undefined: not given. */
  speed?: number
  /** services.dc-mock.heartbeat_frequency_minutes; undefined: not given. */
  heartbeatMinutes?: bigint
  /** kafka.topics, by logical name (workload, power, topology, and OpenDT's others). */
  topics: Map<string, OpenDtTopic>
  /** The whole configuration as OpenDT's AppConfig holds it (`model_dump()`; ints as bigint). */
  model: Dump
  /** How the file spells the keys that have two spellings: `global` or `global_config`, `dc-mock` or `dc_mock`. */
  keys: { speed: string; heartbeat: string }
}

/** Parses and checks OpenDT's config file (pure: the text is given). Errors name `path` and the key. */
export function parseOpenDtConfig(path: string, text: string): OpenDtConfig {
  const doc = parseYamlAsPyYaml(path, text)
  const model = validateAppConfig(path, doc)
  const root = doc as Record<string, unknown>
  const globalKey = spelled(root, 'global', 'global_config')
  const services = root.services as Record<string, unknown>
  const serviceKey = spelled(services, 'dc-mock', 'dc_mock')
  const keys = {
    speed: `${globalKey}.speed_factor`,
    heartbeat: `services.${serviceKey}.heartbeat_frequency_minutes`,
  }
  const given = (section: unknown, key: string) =>
    typeof section === 'object' && section !== null && Object.hasOwn(section, key)
  const global = model.global_config as Dump
  const service = (model.services as Dump).dc_mock as Dump
  const config: OpenDtConfig = { topics: new Map(), model, keys }

  if (given(root[globalKey], 'speed_factor')) {
    const speed = global.speed_factor as number
    if (Number.isNaN(speed)) {
      const raw = (root[globalKey] as Record<string, unknown>).speed_factor
      throw badInput(
        `${path}: ${keys.speed}: ${raw instanceof Divergent ? clip(raw.raw) : typeof raw === 'number' ? '.nan' : echo(raw)} is refused: ` +
          "OpenDT reads it as NaN, and its dc-mock then fails at its first pause (Python's time.sleep refuses NaN)",
      )
    }
    // -1 is OpenDT's "as fast as possible"; infinity is the same to dc-mock (every pause is 0).
    config.speed = speed === -1 ? Infinity : speed
  }
  if (given(services[serviceKey], 'heartbeat_frequency_minutes')) {
    config.heartbeatMinutes = service.heartbeat_frequency_minutes as bigint
  }

  for (const [key, entry] of Object.entries((model.kafka as Dump).topics as Record<string, Dump>)) {
    const at = `kafka.topics.${key}`
    const count = (field: string, max: number) => {
      const n = entry[field] as bigint
      if (n > max) {
        throw badInput(
          `${path}: ${at}.${field}: expected a whole number above 0, at most ${max} (Kafka's limit), got ${n}`,
        )
      }
      return Number(n)
    }
    config.topics.set(key, {
      name: entry.name as string,
      partitions: count('partitions', INT32_MAX),
      replicationFactor: count('replication_factor', MAX_REPLICATION_FACTOR),
      configs: entry.config as Record<string, string>,
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
    lines.push(`--${flag} ${clip(value)}: ${source}`)
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
  // Unset, OpenDT's defaults apply: AppConfig holds them (speed 10, a heartbeat a minute).
  const speed = config.speed ?? ((config.model.global_config as Dump).speed_factor as number)
  set(
    'speed',
    speedText(speed),
    config.speed === undefined ? `${file(config.keys.speed)} unset: OpenDT's default` : file(config.keys.speed),
  )
  const minutes = ((config.model.services as Dump).dc_mock as Dump).heartbeat_frequency_minutes as bigint
  set(
    'heartbeat',
    `${minutes}m`,
    config.heartbeatMinutes === undefined
      ? `${file(config.keys.heartbeat)} unset: OpenDT's default`
      : file(config.keys.heartbeat),
  )
  const topics = new Map<string, TopicSettings>()
  // dc-mock's streams are named as OpenDT's config names its topics (workload, power, topology).
  for (const [key, { flag }] of Object.entries(dcMock.topics)) {
    const topic = config.topics.get(key)
    if (!topic) {
      // OpenDT's dc-mock reads config.kafka.topics[key].name, and stops (KeyError) without it.
      if (given.has(flag)) lines.push(`--${flag}: as given (kafka.topics.${key} unset)`)
      else {
        throw badInput(
          `${configPath}: kafka.topics.${key}: missing: OpenDT's dc-mock takes the ${key} topic's name from it (add it, or give --${flag})`,
        )
      }
      continue
    }
    set(flag, topic.name, file(`kafka.topics.${key}.name`))
    if (given.has(flag)) continue
    // Created as kafka-init creates it, unless --partitions or --replication-factor say otherwise.
    topics.set(topic.name, {
      partitions: given.has('partitions') ? undefined : topic.partitions,
      replicationFactor: given.has('replication-factor') ? undefined : topic.replicationFactor,
      configs: topic.configs,
      source: file(`kafka.topics.${key}`),
    })
  }
  return { settings, traceDir, topics, lines }
}

/** WORKLOAD_DIR (or its default) must be a folder: one line naming the variable otherwise. */
export function checkWorkloadDir(traceDir: { value: string; source: string }): void {
  const variable = traceDir.source.startsWith('WORKLOAD_DIR unset')
    ? "WORKLOAD_DIR (unset, so dc-mock's default)"
    : 'WORKLOAD_DIR'
  let state: ReturnType<typeof folderState>
  try {
    state = folderState(traceDir.value)
  } catch (error) {
    // A symbolic-link loop, a folder we may not enter: the reason, under the variable's name.
    throw badInput(`${variable} ${clip(traceDir.value)}: ${reasonOf((error as Error).cause ?? error)}`, error)
  }
  if (state !== 'folder') {
    throw badInput(
      `${variable} ${clip(traceDir.value)}: no such folder (OpenDT's workload folder, with tasks.parquet and fragments.parquet)`,
    )
  }
}
