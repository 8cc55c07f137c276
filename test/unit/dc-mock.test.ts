import { describe, expect, it } from 'bun:test'
import { ByteWriter } from '../../src/core/bytes.ts'
import {
  HeartbeatStream,
  heartbeatGrid,
  largestTaskMessage,
  openDtIds,
  PowerStream,
  placePower,
  TaskMessageStream,
  TopologyStream,
} from '../../src/core/dc-mock-streams.ts'
import {
  openDtId,
  pydanticTime,
  pyFloat,
  pyIsoTime,
  withoutWallTime,
  writeTopology,
} from '../../src/core/dc-mock-wire.ts'
import { type EventStream, mergeStreams } from '../../src/core/stream.ts'
import { topologyJson, topologyMessageBody } from '../../src/trace/topology.ts'
import { consumptionOffset } from '../../src/trace/workload-yaml.ts'
import { makeFragments, makeTasks } from '../helpers.ts'
import { written } from '../oracle.ts'

const T0 = Date.UTC(2022, 9, 6, 22)
const MIN = 60_000
const ALL = { from: -Infinity, to: Infinity }

/** Drains a stream into [topic role, key, value] triples. */
function drain(stream: EventStream): [string, string, string][] {
  const out: [string, string, string][] = []
  while (stream.time !== Infinity) {
    const w = new ByteWriter(64)
    stream.writeValue(w)
    out.push([stream.role, stream.keyJson().toString(), written(w)])
    stream.advance()
  }
  return out
}

/** The heartbeat and task messages of dc.workload, as [key, timestamp] pairs. */
function workload(tasks: ReturnType<typeof makeTasks>, fragments: ReturnType<typeof makeFragments>, end: number) {
  const { ids, skipped } = openDtIds(tasks)
  const trace = { tasks, fragments, ids, skipped }
  const grid = heartbeatGrid(T0 + 30_000, end, MIN)
  const stream = mergeStreams([new HeartbeatStream(grid, MIN, ALL), new TaskMessageStream(trace, ALL)])
  return drain(stream).map(([, key, value]) => [JSON.parse(key), JSON.parse(value).timestamp])
}

describe('topology messages compared without their wall-clock timestamp (verify)', () => {
  const body = Buffer.from('{"clusters":[]}')
  const at = (wallMs: number) => {
    const w = new ByteWriter(64)
    writeTopology(w, wallMs, body)
    return Buffer.from(w.buf.subarray(0, w.pos))
  }
  it('any spelling of the time reads as the epoch; anything else is left as it is', () => {
    const epoch = '{"timestamp":"1970-01-01T00:00:00.000Z","topology":{"clusters":[]}}'
    expect(withoutWallTime(at(0)).toString()).toBe(epoch)
    expect(withoutWallTime(at(Date.parse('2026-11-26T18:00:00.123Z'))).toString()).toBe(epoch)
    for (const time of ['2020-01-01T00:00:00Z', '2020-01-01T00:00:00+00:00', '']) {
      expect(withoutWallTime(Buffer.from(`{"timestamp":"${time}","topology":{"clusters":[]}}`)).toString()).toBe(epoch)
    }
    for (const other of ['{"power_draw":1.0}', '{"timestamp":"2020-01-01T00:00:00Z","other":1}', '{"timestamp":"x']) {
      expect(withoutWallTime(Buffer.from(other)).toString()).toBe(other)
    }
  })
})

describe('dc-mock ids: integers, as OpenDT reads them', () => {
  it.each([
    ['"2133099"', '2133099'],
    ['"task-7"', '7'],
    ['"007"', '7'],
    ['"-5"', '-5'],
    ['2133099', '2133099'],
    ['"123456789012345678901234567890"', '123456789012345678901234567890'],
    ['"abc"', undefined],
    ['"task-x"', undefined],
    ['"7.5"', undefined],
    ['" 007 "', '7'],
    ['"1_000"', '1000'],
    ['"1__0"', undefined],
    ['"mytask-7"', '7'],
    ['"task-7-b"', '7'],
    ['"7.0"', undefined],
    ['""', undefined],
  ])('%s becomes %s', (idJson, id) => {
    expect(openDtId(idJson)).toBe(id)
  })

  it('a task whose id is not an integer is skipped and counted', () => {
    const tasks = makeTasks([
      ['1', T0, 0],
      ['x', T0, 0],
      ['task-3', T0 + 1000, 0],
    ])
    const { ids, skipped, firstBad, clash } = openDtIds(tasks)
    expect([ids.map((b) => b?.toString()), skipped, firstBad, clash]).toEqual([['1', undefined, '3'], 1, 1, undefined])
    const stream = new TaskMessageStream({ tasks, fragments: makeFragments(3, []), ids, skipped }, ALL)
    expect(drain(stream).map(([, key]) => key)).toEqual(['"1"', '"3"'])
  })

  it('two ids OpenDT reads as one integer are a clash: the later row and the first', () => {
    const tasks = makeTasks([
      ['7', T0, 0],
      ['8', T0, 0],
      ['007', T0, 0],
    ])
    expect(openDtIds(tasks).clash).toEqual([2, 0])
  })
})

describe("dc-mock numbers and times, as Python's json.dumps spells them", () => {
  it.each([
    [33600, '33600.0'],
    [0.5, '0.5'],
    [1953.125, '1953.125'],
    [1e16, '1e+16'],
    [1.5e-5, '1.5e-05'],
    [1e-4, '0.0001'],
    [123456789.123, '123456789.123'],
    [-0, '-0.0'],
    [-2.5, '-2.5'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
  ])('%p is %s', (x, text) => {
    expect(pyFloat(x)).toBe(text)
  })

  it.each([
    [T0, '2022-10-06T22:00:00+00:00', '2022-10-06T22:00:00Z'],
    [T0 + 250, '2022-10-06T22:00:00.250000+00:00', '2022-10-06T22:00:00.25Z'],
    [T0 + 7, '2022-10-06T22:00:00.007000+00:00', '2022-10-06T22:00:00.007Z'],
  ])('%p is %s (isoformat) and %s (pydantic)', (ms, iso, pydantic) => {
    expect([pyIsoTime(ms), pydanticTime(ms)]).toEqual([iso, pydantic])
  })
})

describe('dc-mock task messages', () => {
  it('hold their fragments in file order, with the fragment cpu_count when the file has it; [] without', () => {
    const tasks = makeTasks([
      ['10', T0, 60_000],
      ['11', T0 + 1000, 0],
    ])
    const fragments = makeFragments(2, [
      [0, 30_000],
      [0, 30_000],
    ])
    fragments.cpuCount = Float64Array.from([4, 2])
    const { ids, skipped } = openDtIds(tasks)
    const messages = drain(new TaskMessageStream({ tasks, fragments, ids, skipped }, ALL))
    expect(messages).toEqual([
      [
        'workload',
        '"10"',
        '{"message_type":"task","timestamp":"2022-10-06T22:00:00+00:00","task":{"id":10,' +
          '"submission_time":"2022-10-06T22:00:00Z","duration":60000,"cpu_count":1,"cpu_capacity":1000.0,' +
          '"mem_capacity":64,"fragments":[{"task_id":10,"duration":30000,"cpu_count":4,"cpu_usage":100.0},' +
          '{"task_id":10,"duration":30000,"cpu_count":2,"cpu_usage":101.0}]}}',
      ],
      [
        'workload',
        '"11"',
        '{"message_type":"task","timestamp":"2022-10-06T22:00:01+00:00","task":{"id":11,' +
          '"submission_time":"2022-10-06T22:00:01Z","duration":0,"cpu_count":1,"cpu_capacity":1000.0,' +
          '"mem_capacity":64,"fragments":[]}}',
      ],
    ])
    const bytes = messages[0]![2].length
    expect([bytes, largestTaskMessage({ tasks, fragments, ids, skipped })]).toEqual([334, { key: '10', bytes }])
  })

  it('runs of equal fragments, of every length to 9 and after any first fragment, as if each were written', () => {
    // Fragment values chosen per index: the runs below start at the first fragment, after it and
    // later, and differ by one field each (duration, cpu_count, usage, a -0 usage against 0).
    const runs: [duration: number, cpus: number, usage: number, count: number][] = [
      [30_000, 2, 5, 3],
      [30_000, 2, 5.5, 1],
      [30_000, 4, 5.5, 9],
      [60_000, 4, 5.5, 2],
      [60_000, 4, 0, 4],
      [60_000, 4, -0, 5],
      [60_000, 4, Number.NaN, 2],
      [1, 1, 1e-7, 7],
    ]
    const rows = runs.flatMap(([d, , , n]) => Array.from({ length: n }, () => [0, d] as [number, number]))
    const fragments = makeFragments(1, rows)
    fragments.cpuCount = Float64Array.from(runs.flatMap(([, c, , n]) => Array(n).fill(c)))
    fragments.cpuUsage = Float64Array.from(runs.flatMap(([, , u, n]) => Array(n).fill(u)))
    const tasks = makeTasks([['7', T0, 60_000]])
    const { ids, skipped } = openDtIds(tasks)
    const [message] = drain(new TaskMessageStream({ tasks, fragments, ids, skipped }, ALL))
    const value = message![2]
    const want = runs
      .flatMap(([d, c, u, n]) =>
        Array(n).fill(`{"task_id":7,"duration":${d},"cpu_count":${c},"cpu_usage":${pyFloat(u)}}`),
      )
      .join(',')
    expect(value.slice(value.indexOf('"fragments":[') + 13, -3)).toBe(want)
    expect(pyFloat(-0)).toBe('-0.0')
  })
})

describe('the largest task message, found from an upper bound of each', () => {
  it('is the one writing every message finds, the first row on a tie, over numbers of every kind', () => {
    // 60 tasks of 0-40 fragments whose numbers run through what the wire spells differently:
    // digits of every length, floats, -0, NaN, negative and huge values; ids of 1-7 digits.
    let seed = 11
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    const kinds = [0, -0, 1, 9, 10, 99_999, 2 ** 53 - 1, 2 ** 53 + 2, 1e21, -5, 0.1, 1 / 3, 1e-7, Number.NaN, 33_600]
    const pick = () => kinds[next() % kinds.length]!
    const ids = Array.from({ length: 60 }, (_, i) => `${10 ** (i % 7) + i}`)
    const tasks = makeTasks(ids.map((id, i) => [id, T0 + i * 1000, 60_000] as [string, number, number]))
    tasks.cpuCapacity = Float64Array.from(ids, () => pick())
    const rows: [number, number][] = []
    for (let task = 0; task < 60; task++) {
      for (let n = next() % 41; n > 0; n--) rows.push([task, Math.abs(pick())])
    }
    const fragments = makeFragments(60, rows)
    fragments.cpuCount = Float64Array.from(rows, () => Math.abs(pick()))
    fragments.cpuUsage = Float64Array.from(rows, () => pick())
    const trace = { tasks, fragments, ...openDtIds(tasks) }
    const brute = (within = ALL) => {
      let best: { key: string; bytes: number } | undefined
      for (const [, key, value] of drain(new TaskMessageStream(trace, within))) {
        if (!best || value.length > best.bytes) best = { key: JSON.parse(key), bytes: value.length }
      }
      return best
    }
    const window = { from: T0 + 20_000, to: T0 + 40_000 }
    expect([largestTaskMessage(trace), largestTaskMessage(trace, window)]).toEqual([brute(), brute(window)])
    // A tie: two tasks of the same bytes (12345.0 and 0.03125), the second row larger by its bound only.
    const tie = makeTasks([
      ['21', T0, 1],
      ['12', T0, 1],
    ])
    const pair = makeFragments(2, [
      [0, 30_000],
      [1, 30_000],
    ])
    pair.cpuUsage = Float64Array.from([12_345, 0.031_25])
    expect(largestTaskMessage({ tasks: tie, fragments: pair, ...openDtIds(tie) })).toEqual({ key: '21', bytes: 268 })
  })
})

describe('ByteWriter.repeat', () => {
  it('writes the last bytes again that many times, growing the buffer as it goes', () => {
    const seen = [0, 1, 2, 3, 7, 8, 100].map((times) => {
      const w = new ByteWriter(4)
      w.ascii('head|ab')
      w.repeat(2, times)
      return written(w)
    })
    expect(seen).toEqual([0, 1, 2, 3, 7, 8, 100].map((n) => `head|ab${'ab'.repeat(n)}`))
  })
})

describe('heartbeats', () => {
  it('start at the first task floored to the minute; one at T comes before the tasks at T', () => {
    const tasks = makeTasks([
      ['1', T0 + 30_000, 0],
      ['2', T0 + MIN, 0],
    ])
    expect(workload(tasks, makeFragments(2, []), T0 + MIN)).toEqual([
      ['heartbeat', '2022-10-06T22:00:00+00:00'],
      ['1', '2022-10-06T22:00:30+00:00'],
      ['heartbeat', '2022-10-06T22:01:00+00:00'],
      ['2', '2022-10-06T22:01:00+00:00'],
    ])
  })

  it('go on every minute across an idle gap, in time order with the tasks', () => {
    const tasks = makeTasks([
      ['1', T0 + 30_000, 0],
      ['2', T0 + 3 * MIN + 1, 0],
    ])
    expect(workload(tasks, makeFragments(2, []), T0 + 3 * MIN + 1)).toEqual([
      ['heartbeat', '2022-10-06T22:00:00+00:00'],
      ['1', '2022-10-06T22:00:30+00:00'],
      ['heartbeat', '2022-10-06T22:01:00+00:00'],
      ['heartbeat', '2022-10-06T22:02:00+00:00'],
      ['heartbeat', '2022-10-06T22:03:00+00:00'],
      ['2', '2022-10-06T22:03:00.001000+00:00'],
      ['heartbeat', '2022-10-06T22:04:00+00:00'],
    ])
  })

  it('go on after the last task to the end of the trace, plus one at or after it', () => {
    expect(heartbeatGrid(T0 + 30_000, T0 + 150_000, MIN)).toEqual({ first: T0, last: T0 + 3 * MIN })
    expect(heartbeatGrid(T0 + 30_000, T0 + 120_000, MIN)).toEqual({ first: T0, last: T0 + 2 * MIN })
    expect(heartbeatGrid(T0, T0, MIN)).toEqual({ first: T0, last: T0 })
    const grid = heartbeatGrid(T0 + 30_000, T0 + 150_000, 45_000)
    expect(grid).toEqual({ first: T0, last: T0 + 180_000 })
    const times = drain(new HeartbeatStream(grid, 45_000, ALL)).map(([, , v]) => JSON.parse(v).timestamp.slice(11, 19))
    expect(times).toEqual(['22:00:00', '22:00:45', '22:01:30', '22:02:15', '22:03:00'])
  })

  it('0 turns them off; a window keeps those inside it', () => {
    expect(drain(new HeartbeatStream(heartbeatGrid(T0, T0 + 10 * MIN, 0), 0, ALL))).toEqual([])
    const window = { from: T0 + 90_000, to: T0 + 4 * MIN }
    const stream = new HeartbeatStream(heartbeatGrid(T0, T0 + 10 * MIN, MIN), MIN, window)
    expect(drain(stream).map(([, , v]) => JSON.parse(v).timestamp.slice(11, 19))).toEqual(['22:02:00', '22:03:00'])
  })
})

describe('power', () => {
  it('is placed at the first task + the relative ms + the offset, in time order, without a key', () => {
    const consumption = {
      path: 'consumption.parquet',
      rows: 3,
      relative: Float64Array.from([60_000, 30_000, 30_000]),
      powerDraw: Float64Array.from([3, 1, 2]),
      energyUsage: Float64Array.from([30.5, 10, 20]),
    }
    const power = placePower(consumption, T0, 15_000)
    if ('badRow' in power) throw new Error(`row ${power.badRow} not placed`)
    expect(drain(new PowerStream(power, ALL))).toEqual([
      ['power', 'null', '{"power_draw":1.0,"energy_usage":10.0,"timestamp":"2022-10-06T22:00:45Z"}'],
      ['power', 'null', '{"power_draw":2.0,"energy_usage":20.0,"timestamp":"2022-10-06T22:00:45Z"}'],
      ['power', 'null', '{"power_draw":3.0,"energy_usage":30.5,"timestamp":"2022-10-06T22:01:15Z"}'],
    ])
    expect(new PowerStream(power, ALL).keyBytes()).toBeNull()
    expect(placePower({ ...consumption, relative: Float64Array.from([0, 8.64e15, 0]) }, T0, 0)).toEqual({ badRow: 1 })
  })

  it("workload.yaml's timestamps.consumption_offset_ms, 0 when unset, one line when it is not a number", () => {
    expect(consumptionOffset('w.yaml', 'timestamps:\n  consumption_offset_ms: 30000 # half a minute\n')).toBe(30_000)
    expect(consumptionOffset('w.yaml', 'name: "SURF"\n')).toBe(0)
    expect(consumptionOffset('w.yaml', '')).toBe(0)
    expect(() => consumptionOffset('w.yaml', '- 1\n- 2\n')).toThrow(
      'w.yaml: expected a mapping (timestamps: ...) at the top, got a list (or several documents)',
    )
    expect(() => consumptionOffset('w.yaml', 'timestamps: 5\n')).toThrow(
      'w.yaml: timestamps: expected a mapping (consumption_offset_ms: N), got 5',
    )
    expect(() => consumptionOffset('w.yaml', 'timestamps:\n  consumption_offset_ms: soon\n')).toThrow(
      'w.yaml: timestamps.consumption_offset_ms: expected a whole number of milliseconds, got "soon"',
    )
  })
})

describe('topology', () => {
  it("is the file's JSON, compact, numbers as spelled, OpenDT's float fields with .0", () => {
    const text =
      '{\n  "clusters": [ {"name": "C 1", "count": 2, "cpu": {"coreSpeed": 2100, "coreCount": 16},\n' +
      '  "power": 300.0, "idlePower": 1e2, "list": [1, 2], "maxPower": [174, 5], "note": "a \\" 7"} ]\n}\n'
    expect(topologyJson(text)).toEqual({
      depth: 4,
      json:
        '{"clusters":[{"name":"C 1","count":2,"cpu":{"coreSpeed":2100.0,"coreCount":16},' +
        '"power":300.0,"idlePower":1e2,"list":[1,2],"maxPower":[174.0,5.0],"note":"a \\" 7"}]}',
    })
  })

  it('goes out at the window start and every interval to the end, stamped with the wall clock', () => {
    const window = { from: T0, to: Infinity }
    const stream = new TopologyStream(Buffer.from('{}'), 30_000, T0 + 70_000, window, () => Date.UTC(2026, 10, 26))
    expect(drain(stream)).toEqual([
      ['topology', '"datacenter"', '{"timestamp":"2026-11-26T00:00:00.000Z","topology":{}}'],
      ['topology', '"datacenter"', '{"timestamp":"2026-11-26T00:00:00.000Z","topology":{}}'],
      ['topology', '"datacenter"', '{"timestamp":"2026-11-26T00:00:00.000Z","topology":{}}'],
    ])
  })
})

describe("topology.json, checked as OpenDT's model checks it", () => {
  const host = (change: Record<string, unknown> = {}) => ({
    name: 'H01',
    count: 2,
    cpu: { coreCount: 16, coreSpeed: 2100 },
    memory: { memorySize: 128_000_000 },
    cpuPowerModel: { modelType: 'mse', power: 300, idlePower: 25, maxPower: 174, calibrationFactor: 4 },
    ...change,
  })
  const topology = (h: unknown, cluster: Record<string, unknown> = {}) =>
    JSON.stringify({ clusters: [{ name: 'C01', hosts: [h], ...cluster }] })

  it('a valid one is sent compact', () => {
    expect(topologyMessageBody('t.json', topology(host()))).toBe(
      '{"clusters":[{"name":"C01","hosts":[{"name":"H01","count":2,"cpu":{"coreCount":16,"coreSpeed":2100.0},' +
        '"memory":{"memorySize":128000000},"cpuPowerModel":{"modelType":"mse","power":300.0,"idlePower":25.0,' +
        '"maxPower":174.0,"calibrationFactor":4.0}}]}]}',
    )
  })

  it.each([
    [topology(host({ count: 1.5 })), 'clusters[0].hosts[0].count: expected a whole number above 0, got 1.5'],
    [topology(host({ name: undefined })), 'clusters[0].hosts[0].name: expected a string, got nothing'],
    [
      topology(host({ cpu: { coreCount: 2.5, coreSpeed: 1 } })),
      'clusters[0].hosts[0].cpu.coreCount: expected a whole number above 0, got 2.5',
    ],
    [
      topology(host({ memory: { memorySize: -1 } })),
      'clusters[0].hosts[0].memory.memorySize: expected a whole number above 0, got -1',
    ],
    [
      topology(host({ cpuPowerModel: undefined })),
      'clusters[0].hosts[0].cpuPowerModel: expected an object, got nothing',
    ],
    [
      topology(host({ cpuPowerModel: { modelType: 'foo', power: 1, idlePower: 0, maxPower: 1 } })),
      'clusters[0].hosts[0].cpuPowerModel.modelType: expected "mse" or "asymptotic", got "foo"',
    ],
    [
      topology(
        host({ cpuPowerModel: { modelType: 'mse', power: 1, idlePower: 0, maxPower: 1, calibrationFactor: 51 } }),
      ),
      'clusters[0].hosts[0].cpuPowerModel.calibrationFactor: expected a number from 0 to 50, got 51',
    ],
    [topology(host(), { name: 7 }), 'clusters[0].name: expected a string, got 7'],
    [JSON.stringify({ clusters: [] }), 'clusters: expected a list of at least one, got []'],
    [JSON.stringify([1]), 'the topology: expected an object, got [1]'],
    [topology(host({ extra: JSON.parse('['.repeat(300) + ']'.repeat(300)) })), 'nested deeper than 256 levels'],
    ['['.repeat(100_000), 'invalid JSON at line 1, column 257: nesting deeper than 256 levels'],
    [
      '\ufeff{}',
      "starts with a UTF-8 byte order mark (BOM), which Python's json (OpenDT's reader) refuses; save it without one",
    ],
  ])('%#: one line naming the field', (text, message) => {
    expect(() => topologyMessageBody('t.json', text)).toThrow(`t.json: ${message}`)
  })
})
