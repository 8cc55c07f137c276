import { describe, expect, it } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { validateAppConfig } from '../../src/cli/opendt-model.ts'
import { asBool, asFloat, asInt, type Coerced } from '../../src/cli/pydantic.ts'
import { type PyScalar, pyyamlScalar } from '../../src/trace/pyyaml.ts'
import { parseYamlAsPyYaml } from '../../src/trace/pyyaml-document.ts'
import { ROOT } from '../helpers.ts'

/**
 * OpenDT's config read as OpenDT reads it, against OpenDT's own reading: each case of
 * test/fixtures/opendt-config (OpenDT's default.yaml and experiment_{1,2}.yaml as they are, and
 * one case per alias, per coercion, per shape and per YAML 1.1 reading) was loaded by OpenDT's
 * AppConfig, and each scalar of scalars.json read by PyYAML and coerced by pydantic, by
 * scripts/opendt_config_reference.py; expected.json is what it printed.
 */
const DIR = join(ROOT, 'test/fixtures/opendt-config')
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  opendt: { commit: string }
  cases: Record<string, { ok: unknown } | { error: { loc?: string[]; type: string; message?: string } }>
  scalars: Record<string, { pyyaml: Record<string, unknown>; int: unknown; float: unknown; bool: unknown }>
}

/** A value as the reference script prints it (its `plain`): ints past 2^53, floats and odd floats tagged. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : { int: String(v) }
  if (typeof v === 'number') {
    return { float: Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v }
  }
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  return v
}

/** PyYAML's reading as the script prints it (its `scalar`). */
function scalar(s: PyScalar): Record<string, unknown> {
  switch (s.type) {
    case 'int':
      return { int: String(s.value) }
    case 'float':
      return plain(s.value) as Record<string, unknown>
    case 'bool':
      return { bool: s.value }
    case 'null':
      return { null: null }
    case 'str':
      return { str: s.value }
    case 'timestamp':
      return { date: s.text }
    case 'unreadable':
      return { error: 'ConstructorError' }
  }
}

const coerced = (c: Coerced<unknown>) => ('ok' in c ? { ok: plain(c.ok) } : c)

it('the reference was made from OpenDT at a named commit, with a case per file and per scalar', () => {
  expect(expected.opendt.commit).toMatch(/^[0-9a-f]{40}$/)
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'))
  expect(files.length).toBeGreaterThan(80)
  expect(Object.keys(expected.cases).sort()).toEqual(files.sort())
  expect(Object.keys(expected.scalars).length).toBeGreaterThan(70)
})

describe("each scalar: PyYAML's reading, and pydantic's int, float and bool of it as a string", () => {
  for (const [text, want] of Object.entries(expected.scalars)) {
    it(JSON.stringify(text), () => {
      const str: PyScalar = { type: 'str', value: text }
      // A plain scalar is read without its surrounding spaces.
      expect(scalar(pyyamlScalar(text.trim()))).toEqual(want.pyyaml)
      expect([coerced(asInt(str)), coerced(asFloat(str)), coerced(asBool(str))]).toEqual([
        want.int,
        want.float,
        want.bool,
      ] as never)
    })
  }
})

/**
 * Every case we refuse, and the line we refuse it with (after the file name). A case OpenDT refuses
 * is refused naming the same key as pydantic's first error. A case OpenDT reads and we refuse is
 * one of DIVERGENT: PyYAML and YAML 1.2 read a scalar differently, and the field would take
 * either reading, so both are named rather than one guessed; or a YAML tag, which the two readers
 * apply differently.
 */
const LINES: Record<string, string> = {
  'alias-dc_mock-refused.yaml':
    'services.dc_mock.heartbeat_frequency_minutes: expected a whole number of minutes above 0, got 0',
  'bool-calibration-without-calibrator.yaml':
    'global.calibration_enabled is true but services.calibrator is missing: OpenDT refuses this (give a calibrator, or disable calibration)',
  'bool-refused-two.yaml': 'global.calibration_enabled: expected true or false, got 2',
  'float-refused-hex-string.yaml':
    'global.speed_factor: expected a number (1 is real time, -1 as fast as possible), got "0x10"',
  'float-refused-minus-inf.yaml':
    'global.speed_factor: -Infinity is refused (OpenDT refuses it too): give a positive speed (1 is real time) or -1 (as fast as possible)',
  'float-refused-negative.yaml':
    'global.speed_factor: -2 is refused (OpenDT refuses it too): give a positive speed (1 is real time) or -1 (as fast as possible)',
  'float-refused-null.yaml':
    'global.speed_factor: expected a number (1 is real time, -1 as fast as possible), got null',
  'float-refused-word.yaml':
    'global.speed_factor: expected a number (1 is real time, -1 as fast as possible), got "fast"',
  'float-refused-zero.yaml':
    'global.speed_factor: 0 is refused (OpenDT refuses it too): give a positive speed (1 is real time) or -1 (as fast as possible)',
  'int-partitions-refused-fraction.yaml':
    'kafka.topics.power.replication_factor: expected a whole number above 0, got 1.5',
  'int-partitions-refused-zero.yaml': 'kafka.topics.power.partitions: expected a whole number above 0, got 0',
  'int-refused-false.yaml':
    'services.dc-mock.heartbeat_frequency_minutes: expected a whole number of minutes above 0, got false',
  'int-refused-fraction.yaml':
    'services.dc-mock.heartbeat_frequency_minutes: expected a whole number of minutes above 0, got 1.5',
  'int-refused-null.yaml':
    'services.dc-mock.heartbeat_frequency_minutes: expected a whole number of minutes above 0, got null',
  'int-refused-string-exponent.yaml':
    'services.dc-mock.heartbeat_frequency_minutes: expected a whole number of minutes above 0, got "1e3"',
  'int-refused-string-fraction.yaml':
    'services.dc-mock.heartbeat_frequency_minutes: expected a whole number of minutes above 0, got "1.5"',
  'int-refused-zero.yaml':
    'services.dc-mock.heartbeat_frequency_minutes: expected a whole number of minutes above 0, got 0',
  'shape-calibrator-refused.yaml': 'services.calibrator.linspace_points: expected a whole number above 1, got 1',
  'shape-config-null.yaml': 'kafka.topics.power.config: expected a mapping of topic settings to strings, got null',
  'shape-dc-mock-scalar.yaml': 'services.dc-mock: expected a mapping (workload, heartbeat_frequency_minutes), got 1',
  'shape-empty-mapping.yaml': "empty; expected OpenDT's configuration (global, services, kafka)",
  'shape-empty.yaml': "empty; expected OpenDT's configuration (global, services, kafka)",
  'shape-global-null.yaml': 'global: expected a mapping (speed_factor, calibration_enabled), got null',
  'shape-kafka-null.yaml': 'kafka: expected a mapping (topics), got null',
  'shape-list.yaml':
    "expected OpenDT's configuration (a mapping of global, services, kafka), got a list (or several documents)",
  'shape-scalar.yaml': 'expected OpenDT\'s configuration (a mapping of global, services, kafka), got "speed"',
  'shape-services-missing.yaml': 'services: missing (OpenDT requires it: a mapping (dc-mock, simulator, calibrator))',
  'shape-simulator-missing.yaml':
    'services.simulator: missing (OpenDT requires it: a mapping (simulation_frequency_minutes, background_load_nodes))',
  'shape-simulator-refused.yaml':
    'services.simulator.background_load_nodes: expected a whole number, 0 or more, got -1',
  'shape-top-int-key.yaml':
    "1: a top-level key that OpenDT's YAML reader reads as 1, not a string: OpenDT refuses the file (quote it, or remove it)",
  'shape-topic-string.yaml':
    'kafka.topics.power: expected a mapping (name, partitions, replication_factor, config), got "nope"',
  'shape-topics-list.yaml':
    'kafka.topics: expected a mapping of topics (name, partitions, replication_factor, config), got ["a"]',
  'shape-topics-null.yaml':
    'kafka.topics: expected a mapping of topics (name, partitions, replication_factor, config), got null',
  'str-refused-config-bool.yaml': 'kafka.topics.power.config.x: expected a string (quote it: "x": "..."), got true',
  'str-refused-config-null.yaml': 'kafka.topics.power.config.x: expected a string (quote it: "x": "..."), got null',
  'str-refused-config-number.yaml':
    'kafka.topics.power.config.retention.ms: expected a string (quote it: "retention.ms": "..."), got 1000',
  'str-refused-name-missing.yaml': 'kafka.topics.power.name: missing (OpenDT requires it: a topic name (a string))',
  'str-refused-name-number.yaml': 'kafka.topics.power.name: expected a topic name (a string), got 7',
  'str-refused-topic-key-number.yaml': 'kafka.topics.1: expected a key that is a string, got 1',
  'str-refused-workload-missing.yaml':
    'services.dc-mock.workload: missing (OpenDT requires it: a workload name (a string))',
  'str-refused-workload-number.yaml': 'services.dc-mock.workload: expected a workload name (a string), got 7',
  'yaml11-0o-octal.yaml':
    'services.dc-mock.heartbeat_frequency_minutes: 0o10 is "0o10" to OpenDT\'s YAML reader (PyYAML, YAML 1.1), which OpenDT refuses (expected a whole number of minutes above 0), and 8 to ours (YAML 1.2); refused rather than guessed: write it so both read it alike',
  'yaml11-binary.yaml':
    'kafka.topics.power.partitions: 0b11 is 3 to OpenDT\'s YAML reader (PyYAML, YAML 1.1), and "0b11" to ours (YAML 1.2), which would be refused; refused rather than guessed: write it so both read it alike',
  'yaml11-date.yaml':
    'services.dc-mock.workload: 2024-01-01 is the date 2024-01-01 to OpenDT\'s YAML reader (PyYAML, YAML 1.1), which OpenDT refuses (expected a workload name (a string)), and "2024-01-01" to ours (YAML 1.2); refused rather than guessed: write it so both read it alike',
  'yaml11-exponent-int.yaml':
    'kafka.topics.power.partitions: 1e3 is "1e3" to OpenDT\'s YAML reader (PyYAML, YAML 1.1), which OpenDT refuses (expected a whole number above 0), and 1000 to ours (YAML 1.2); refused rather than guessed: write it so both read it alike',
  'yaml11-octal-block.yaml':
    "services.dc-mock.heartbeat_frequency_minutes: 010 is 8 to OpenDT's YAML reader (PyYAML, YAML 1.1), and 10 to ours (YAML 1.2); refused rather than guessed: write it so both read it alike",
  'yaml11-octal-name.yaml':
    'kafka.topics.power.name: 0o10 is "0o10" to OpenDT\'s YAML reader (PyYAML, YAML 1.1), and 8 to ours (YAML 1.2), which would be refused; refused rather than guessed: write it so both read it alike',
  'yaml11-octal.yaml':
    "services.dc-mock.heartbeat_frequency_minutes: 010 is 8 to OpenDT's YAML reader (PyYAML, YAML 1.1), and 10 to ours (YAML 1.2); refused rather than guessed: write it so both read it alike",
  'yaml11-on-topic-key.yaml':
    'kafka.topics.on: on is true to OpenDT\'s YAML reader (PyYAML, YAML 1.1), which OpenDT refuses (expected a key that is a string), and "on" to ours (YAML 1.2); refused rather than guessed: write it so both read it alike',
  'yaml11-sexagesimal.yaml':
    'services.dc-mock.heartbeat_frequency_minutes: 1:30 is 90 to OpenDT\'s YAML reader (PyYAML, YAML 1.1), and "1:30" to ours (YAML 1.2), which would be refused; refused rather than guessed: write it so both read it alike',
  'yaml11-signed-point.yaml':
    'global.speed_factor: -.5 is refused (OpenDT refuses it too): give a positive speed (1 is real time) or -1 (as fast as possible)',
  'yaml11-tag.yaml':
    "line 2, column 58: the YAML tag !!int is refused: OpenDT's reader (PyYAML) and ours apply tags differently; write the value without it",
  'yaml11-value-indicator.yaml':
    "extra: = (line 4, column 8) has no reading in OpenDT's YAML reader (PyYAML refuses the file: it has no constructor for the tag value)",
  'yaml11-yes-string.yaml':
    'services.dc-mock.workload: yes is true to OpenDT\'s YAML reader (PyYAML, YAML 1.1), which OpenDT refuses (expected a workload name (a string)), and "yes" to ours (YAML 1.2); refused rather than guessed: write it so both read it alike',
}
const DIVERGENT = [
  'yaml11-binary.yaml',
  'yaml11-octal-block.yaml',
  'yaml11-octal-name.yaml',
  'yaml11-octal.yaml',
  'yaml11-sexagesimal.yaml',
  'yaml11-tag.yaml',
]

describe("each case: OpenDT's AppConfig, field by field, or its first error's key", () => {
  for (const [name, want] of Object.entries(expected.cases)) {
    it(name, () => {
      const text = readFileSync(join(DIR, name), 'utf8')
      let ours: unknown
      let refused: string | undefined
      try {
        ours = plain(validateAppConfig(name, parseYamlAsPyYaml(name, text)))
      } catch (error) {
        refused = (error as Error).message
      }
      if (name in LINES) expect(refused).toBe(`${name}: ${LINES[name]}`)
      if ('ok' in want) {
        if (DIVERGENT.includes(name)) expect(refused).toBeDefined()
        else expect([refused, ours]).toEqual([undefined, want.ok])
      } else {
        expect(refused).toBeDefined()
        // pydantic's location, as written (a key that is not a string is named by itself).
        const key = (want.error.loc ?? []).filter((p) => p !== '[key]').join('.')
        if (want.error.loc && !name.includes('topic-key')) expect(refused!.startsWith(`${name}: ${key}`)).toBe(true)
      }
    })
  }
})
