import { describe, expect, it } from 'bun:test'
import { join } from 'node:path'
import { dcMock } from '../../src/formats/dc-mock/index.ts'
import type { FormatDefinition } from '../../src/formats/format.ts'
import { FORMATS } from '../../src/formats/index.ts'
import { prepare } from '../../src/formats/prepare.ts'
import { tasksFragments } from '../../src/formats/tasks-fragments/index.ts'
import type { Role, StreamSpec } from '../../src/types.ts'
import { taskLines } from '../formats/task-lines/index.ts'
import { FIXTURES } from '../helpers.ts'

/** The formats as the registry holds them, and the test's third (test/formats/task-lines). */
const ALL = [...Object.values(FORMATS), taskLines]

describe('a format definition', () => {
  it.each(ALL.map((f) => [f.name, f] as const))(
    '%s: declares what each of its streams reads, and its two workers write each stream once',
    (_, format) => {
      expect(Object.keys(format.reads).sort()).toEqual([...format.streams].sort())
      expect(Object.keys(format.topics).sort()).toEqual([...format.streams].sort())
      expect([...format.workers[0], ...format.workers[1]].sort()).toEqual([...format.streams].sort())
      expect(format.activity.length).toBeGreaterThan(0)
    },
  )
})

const bad = (name: string) => join(FIXTURES, 'bad', name)

/** A worker of `format` writing `roles`, on the trace in `dir`. */
function load(format: FormatDefinition, roles: Role[], dir: string, more: Partial<StreamSpec> = {}) {
  const spec: StreamSpec = {
    trace: { demo: false, tasks: join(dir, 'tasks.parquet'), fragments: join(dir, 'fragments.parquet') },
    format: format.name,
    // dc-mock's resolved flags, without power or topology files.
    formatOptions: { heartbeatMs: 60_000, powerOffsetMs: 0, topologyIntervalMs: 30_000 },
    strict: false,
    ...more,
  }
  return prepare(format, roles, spec)
}

describe("a worker loads what its streams read (the format's reads), and what the run adds", () => {
  // bad/orphan has a fragment whose task is missing: counted only when the fragments are read.
  it.each([
    ["the seed's tasks: no fragments", tasksFragments, ['tasks'], {}, 0],
    ["the seed's fragments", tasksFragments, ['fragments'], {}, 1],
    ["the seed's tasks with --max-gap, over tasks and fragments", tasksFragments, ['tasks'], { maxGapMs: 1000 }, 1],
    ["task-lines' lines with --max-gap, over tasks only", taskLines, ['lines'], { maxGapMs: 1000 }, 0],
    ["task-lines' usage", taskLines, ['usage'], {}, 1],
    ["dc-mock's power: no fragments", dcMock, ['power'], {}, 0],
    ["dc-mock's topology, which runs to the trace's end", dcMock, ['topology'], {}, 1],
  ] as const)('%s', async (_, format, roles, more, orphans) => {
    expect((await load(format, [...roles], bad('orphan'), more)).orphans).toBe(orphans)
  })

  it('only the columns a stream reads are decoded: a NaN usage fails the streams that read usage', async () => {
    // bad/nan: a fragment's cpu_usage is NaN.
    await load(dcMock, ['topology'], bad('nan'))
    await load(tasksFragments, ['tasks'], bad('nan'), { maxGapMs: 1000 })
    for (const [format, role] of [
      [dcMock, 'workload'],
      [tasksFragments, 'fragments'],
      [taskLines, 'usage'],
    ] as const) {
      await expect(load(format, [role], bad('nan'))).rejects.toThrow(
        `${bad('nan')}/fragments.parquet: column "cpu_usage" row 3: NaN`,
      )
    }
  })
})
