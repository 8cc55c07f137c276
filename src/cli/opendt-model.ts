import { clip, echo } from '../echo.ts'
import { badInput } from '../errors.ts'
import { isMapping } from '../trace/file.ts'
import { asPyScalar, Divergent, KEY_READINGS, type PyScalar, type ReadMapping, showScalar } from '../trace/pyyaml.ts'
import { asBool, asFloat, asInt, asStr, type Coerced } from './pydantic.ts'

/**
 * OpenDT's configuration models (odt_common/config.py: AppConfig and the models it holds) as a
 * table, and pydantic's validation of a document against them: each field's name and alias, its
 * type, default and bound, in pydantic's order, so that the first error is the one OpenDT reports
 * first. `validateAppConfig` gives what `AppConfig.load(path).model_dump()` gives (ints as
 * bigint), or throws one line naming the file, the key (as written) and the value.
 */

type Scalar = 'int' | 'float' | 'bool' | 'str'
interface Model {
  fields: Field[]
  /** pydantic's populate_by_name: a field is found by its alias, else by its name. */
  byName?: boolean
}
interface Field {
  name: string
  alias?: string
  type: Scalar | Model | { dict: Scalar | Model }
  /** Absent: required. */
  default?: unknown
  optional?: boolean
  gt?: number
  ge?: number
  /** A field validator: the values it refuses, and what it says of them. */
  check?: { ok: (value: number) => boolean; refused: string }
  /** What the field holds, as an error line says what was expected. */
  what: string
}

const TOPIC: Model = {
  fields: [
    { name: 'name', type: 'str', what: 'a topic name (a string)' },
    { name: 'partitions', type: 'int', default: 1n, gt: 0, what: 'a whole number above 0' },
    { name: 'replication_factor', type: 'int', default: 1n, gt: 0, what: 'a whole number above 0' },
    { name: 'config', type: { dict: 'str' }, default: {}, what: 'a mapping of topic settings to strings' },
  ],
}
const CALIBRATOR: Model = {
  fields: [
    { name: 'calibrated_property', type: 'str', default: 'cpuPowerModel.asymUtil', what: 'a property path (a string)' },
    { name: 'min_value', type: 'float', default: 0.1, gt: 0, what: 'a number above 0' },
    { name: 'max_value', type: 'float', default: 0.9, gt: 0, what: 'a number above 0' },
    { name: 'linspace_points', type: 'int', default: 9n, gt: 1, what: 'a whole number above 1' },
    { name: 'max_parallel_workers', type: 'int', default: 4n, gt: 0, what: 'a whole number above 0' },
    { name: 'mape_window_minutes', type: 'int', default: 1440n, gt: 0, what: 'a whole number above 0' },
    { name: 'asym_util_min', type: 'float', default: null, optional: true, what: 'a number' },
    { name: 'asym_util_max', type: 'float', default: null, optional: true, what: 'a number' },
    { name: 'asym_util_points', type: 'int', default: null, optional: true, what: 'a whole number' },
  ],
}
export const APP_CONFIG: Model = {
  byName: true,
  fields: [
    {
      name: 'global_config',
      alias: 'global',
      default: {},
      what: 'a mapping (speed_factor, calibration_enabled)',
      type: {
        fields: [
          {
            name: 'speed_factor',
            type: 'float',
            default: 10,
            what: 'a number (1 is real time, -1 as fast as possible)',
            // validate_speed_factor: `v != -1 and v <= 0` is refused (so NaN passes).
            check: {
              ok: (v) => !(v !== -1 && v <= 0),
              refused: 'give a positive speed (1 is real time) or -1 (as fast as possible)',
            },
          },
          { name: 'calibration_enabled', type: 'bool', default: false, what: 'true or false' },
        ],
      },
    },
    {
      name: 'services',
      what: 'a mapping (dc-mock, simulator, calibrator)',
      type: {
        byName: true,
        fields: [
          {
            name: 'dc_mock',
            alias: 'dc-mock',
            what: 'a mapping (workload, heartbeat_frequency_minutes)',
            type: {
              fields: [
                { name: 'workload', type: 'str', what: 'a workload name (a string)' },
                {
                  name: 'heartbeat_frequency_minutes',
                  type: 'int',
                  default: 1n,
                  gt: 0,
                  what: 'a whole number of minutes above 0',
                },
              ],
            },
          },
          {
            name: 'simulator',
            what: 'a mapping (simulation_frequency_minutes, background_load_nodes)',
            type: {
              fields: [
                {
                  name: 'simulation_frequency_minutes',
                  type: 'int',
                  default: 15n,
                  gt: 0,
                  what: 'a whole number above 0',
                },
                { name: 'background_load_nodes', type: 'int', ge: 0, what: 'a whole number, 0 or more' },
              ],
            },
          },
          { name: 'calibrator', type: CALIBRATOR, default: null, optional: true, what: 'a mapping, or nothing' },
        ],
      },
    },
    {
      name: 'kafka',
      default: {},
      what: 'a mapping (topics)',
      type: {
        fields: [
          {
            name: 'topics',
            type: { dict: TOPIC },
            default: {},
            what: 'a mapping of topics (name, partitions, replication_factor, config)',
          },
        ],
      },
    },
  ],
}

/** A validated model: its fields by name (ints as bigint, floats as numbers, models as such objects). */
export type Dump = { [name: string]: unknown }

/** Validates a document (read by trace/pyyaml-document.ts) as `AppConfig(**data)`; see above. */
export function validateAppConfig(path: string, doc: unknown): Dump {
  const at = (key: string) => `${path}: ${key}`
  const scalar = (type: Scalar, v: PyScalar): Coerced<unknown> =>
    type === 'int' ? asInt(v) : type === 'float' ? asFloat(v) : type === 'bool' ? asBool(v) : asStr(v)
  const expected = (key: string, field: Pick<Field, 'what'>, shown: string) =>
    badInput(`${at(key)}: expected ${field.what}, got ${shown}`)

  /** A scalar field's value: both readings where they differ, which must then agree. */
  const leaf = (type: Scalar, node: unknown, key: string, field: Field): unknown => {
    if (node instanceof Divergent) {
      const theirs = scalar(type, node.pyyaml)
      const ours = scalar(type, asPyScalar(node.ours))
      if ('ok' in theirs && 'ok' in ours && Object.is(theirs.ok, ours.ok)) return theirs.ok
      if ('error' in theirs && 'error' in ours) throw expected(key, field, node.raw)
      throw badInput(
        `${at(key)}: ${clip(node.raw)} is ${showScalar(node.pyyaml)} to OpenDT's YAML reader (PyYAML, YAML 1.1)` +
          `${'error' in theirs ? `, which OpenDT refuses (expected ${field.what})` : ''}, and ${showScalar(asPyScalar(node.ours))} to ours (YAML 1.2)` +
          `${'error' in ours ? `, which would be refused` : ''}; refused rather than guessed: write it so both read it alike`,
      )
    }
    if (isMapping(node) || Array.isArray(node)) throw expected(key, field, echo(node))
    const result = scalar(type, asPyScalar(node))
    if ('error' in result) throw expected(key, field, echo(node))
    return result.ok
  }

  const bound = (value: unknown, key: string, field: Field, node: unknown) => {
    const n = typeof value === 'bigint' ? value : (value as number)
    if ((field.gt !== undefined && !(n > field.gt)) || (field.ge !== undefined && !(n >= field.ge))) {
      throw expected(key, field, shown(node))
    }
  }

  const model = (spec: Model, node: unknown, key: string, field: Pick<Field, 'what'>): Dump => {
    if (!isMapping(node)) throw expected(key, field, shown(node))
    const out: Dump = {}
    for (const f of spec.fields) {
      const spelling = f.alias === undefined ? f.name : spec.byName ? spelled(node, f.alias, f.name) : f.alias
      const here = key ? `${key}.${spelling}` : spelling
      if (!Object.hasOwn(node, spelling)) {
        if (!('default' in f)) {
          throw badInput(`${at(here)}: missing (OpenDT requires it: ${f.what})`)
        }
        out[f.name] =
          typeof f.type === 'object' && 'fields' in f.type && f.default !== null
            ? model(f.type, {}, here, f)
            : f.default
        continue
      }
      out[f.name] = value(f, node[spelling], here)
    }
    return out
  }

  const value = (f: Field, node: unknown, key: string): unknown => {
    if (f.optional && node === null) return null
    if (typeof f.type === 'string') {
      const v = leaf(f.type, node, key, f)
      bound(v, key, f, node)
      if (f.check && !f.check.ok(v as number)) {
        throw badInput(`${at(key)}: ${shown(node)} is refused (OpenDT refuses it too): ${f.check.refused}`)
      }
      return v
    }
    if ('fields' in f.type) return model(f.type, node, key, f)
    const item = f.type.dict
    if (!isMapping(node)) throw expected(key, f, shown(node))
    const keys = (node as ReadMapping)[KEY_READINGS]
    const out: Dump = {}
    for (const [name, entry] of Object.entries(node)) {
      const reading = keys?.get(name)
      const keyField: Field = { name, type: 'str', what: 'a key that is a string' }
      if (reading) leaf('str', reading, `${key}.${reading.raw}`, keyField)
      const here = `${key}.${name}`
      out[name] =
        typeof item === 'string'
          ? leaf(item, entry, here, {
              name,
              type: item,
              what: item === 'str' ? `a string (quote it: "${name}": "...")` : item,
            })
          : model(item, entry, here, { what: 'a mapping (name, partitions, replication_factor, config)' })
    }
    return out
  }

  // AppConfig.load: `if not data` refuses an empty document, then AppConfig(**data) a non-mapping.
  if (doc === null || doc === undefined || (isMapping(doc) && Object.keys(doc).length === 0)) {
    throw badInput(`${path}: empty; expected OpenDT's configuration (global, services, kafka)`)
  }
  if (!isMapping(doc)) {
    const what = Array.isArray(doc) ? 'a list (or several documents)' : shown(doc)
    throw badInput(`${path}: expected OpenDT's configuration (a mapping of global, services, kafka), got ${what}`)
  }
  for (const [, reading] of (doc as ReadMapping)[KEY_READINGS] ?? []) {
    if (reading.pyyaml.type !== 'str') {
      throw badInput(
        `${path}: ${clip(reading.raw)}: a top-level key that OpenDT's YAML reader reads as ${showScalar(reading.pyyaml)}, not a string: OpenDT refuses the file (quote it, or remove it)`,
      )
    }
  }
  const dump = model(APP_CONFIG, doc, '', { what: '' })
  const global = dump.global_config as Dump
  const services = dump.services as Dump
  const calibrator = services.calibrator as Dump | null
  if (calibrator) {
    for (const [legacy, name] of [
      ['asym_util_min', 'min_value'],
      ['asym_util_max', 'max_value'],
      ['asym_util_points', 'linspace_points'],
    ] as const) {
      if (calibrator[legacy] !== null) calibrator[name] = calibrator[legacy]
      delete calibrator[legacy]
    }
  }
  if (global.calibration_enabled && calibrator === null) {
    throw badInput(
      `${path}: global.calibration_enabled is true but services.calibrator is missing: OpenDT refuses this (give a calibrator, or disable calibration)`,
    )
  }
  return dump
}

/** How the document spells a field that has an alias: the alias if given, else the name (populate_by_name). */
export function spelled(doc: Record<string, unknown>, alias: string, name: string): string {
  return Object.hasOwn(doc, alias) || !Object.hasOwn(doc, name) ? alias : name
}

/** A value of the document as an error line shows it: as written where the readers differ. */
const shown = (node: unknown) => (node instanceof Divergent ? clip(node.raw) : echo(node))
