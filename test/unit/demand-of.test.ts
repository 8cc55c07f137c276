import { describe, expect, it } from 'bun:test'
import { ByteWriter } from '../../src/core/bytes.ts'
import { FORMATS } from '../../src/formats/index.ts'
import { demoTrace } from '../../src/trace/demo.ts'
import { walkFragments } from '../../src/trace/timeline.ts'

/** The demo trace's fragments as [from, to, MHz]: each from its predecessor's time (or its task's submission) to its own. */
function demoFragments(): [number, number, number][] {
  const { tasks, fragments } = demoTrace()
  const out: [number, number, number][] = []
  for (let t = 0; t < tasks.count; t++) {
    let from = tasks.submit[t]!
    walkFragments(tasks, fragments, t, (i, time) => {
      out.push([from, time, fragments.cpuUsage[i]!])
      from = time
      return true
    })
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
}

describe("a format's demandOf reads back the fragments its messages carry", () => {
  const formats = Object.values(FORMATS).filter((f) => f.demandOf)

  it('the registry has formats that say', () => {
    expect(formats.map((f) => f.name)).toEqual(['tasks-fragments', 'dc-mock'])
  })

  it.each(formats.map((f) => [f.name, f] as const))('%s: the demo trace, message by message', (_, format) => {
    const roles = format.streams.filter((r) => format.demandOf!(r))
    expect(roles.length).toBe(1)
    const got: [number, number, number][] = []
    const w = new ByteWriter(1 << 16)
    for (const stream of format.warmUp!(roles, demoTrace())) {
      const read = format.demandOf!(stream.role)!
      for (; stream.time !== Infinity; stream.advance()) {
        w.pos = 0
        stream.writeValue(w)
        read(Buffer.from(w.buf.subarray(0, w.pos)), (from, to, mhz) => got.push([from, to, mhz]))
      }
    }
    expect(got.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])).toEqual(demoFragments())
  })

  it.each([
    ['tasks-fragments', 'fragments', 'not json'],
    ['tasks-fragments', 'fragments', '{"submission_time":"x","duration":1,"cpu_usage":1}'],
    ['tasks-fragments', 'fragments', '{"submission_time":"2022-10-06T22:00:00Z","duration":"1","cpu_usage":1}'],
    ['tasks-fragments', 'fragments', 'null'],
    ['dc-mock', 'workload', '{"message_type":"heartbeat","timestamp":"2022-10-06T22:00:00+00:00"}'],
    ['dc-mock', 'workload', '{"message_type":"task","task":{"submission_time":"2022-10-06T22:00:00Z"}}'],
    [
      'dc-mock',
      'workload',
      '{"message_type":"task","task":{"submission_time":"2022-10-06T22:00:00Z","fragments":[null]}}',
    ],
    ['dc-mock', 'workload', '[]'],
  ])('%s %s: %s adds nothing', (name, role, value) => {
    const added: unknown[] = []
    FORMATS[name]!.demandOf!(role)!(Buffer.from(value), (...piece) => added.push(piece))
    expect(added).toEqual([])
  })

  it('streams without demand say none', () => {
    expect([FORMATS['tasks-fragments']!.demandOf!('tasks'), FORMATS['dc-mock']!.demandOf!('power')]).toEqual([
      undefined,
      undefined,
    ])
  })
})
