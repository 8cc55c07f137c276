import { describe, expect, it, setDefaultTimeout } from 'bun:test'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FIXTURES, ROOT, run } from '../helpers.ts'

// Copies the sources, adds a format and builds a binary of its own: tens of seconds.
setDefaultTimeout(180_000)

/**
 * A third wire format takes its own folder and the registry's import and entry, nothing else: a
 * copy of the project gets a small fixture format (one topic of plain task lines), is built with
 * the project's own build script, and its binary replays, describes and refuses the new format
 * through the same code paths as the others (both workers, the flags, --help, checkpoint-free
 * dry-run).
 */

/** The fixture format: each task as one line `{"id":ID,"at":"ISO"}` on topic task-lines, keyed by the id. */
const TASK_LINES = `import type { EventStream } from '../../core/stream.ts'
import type { ByteWriter } from '../../core/bytes.ts'
import type { Tasks } from '../../trace/model.ts'
import type { Window } from '../../types.ts'
import type { FormatDefinition } from '../format.ts'

class TaskLines implements EventStream {
  readonly role = 'lines'
  time = Infinity
  private next = 0
  private readonly order: number[]
  constructor(private readonly tasks: Tasks, private readonly window: Window) {
    this.order = Array.from({ length: tasks.count }, (_, i) => i)
      .filter((i) => tasks.submit[i]! >= window.from && tasks.submit[i]! < window.to)
      .sort((a, b) => tasks.submit[a]! - tasks.submit[b]! || a - b)
    this.seek()
  }
  private seek() {
    const t = this.order[this.next]
    this.time = t === undefined ? Infinity : this.tasks.submit[t]!
  }
  keyBytes() {
    return Buffer.from(this.tasks.idJson[this.order[this.next]!]!)
  }
  keyJson() {
    return this.keyBytes()
  }
  writeValue(w: ByteWriter) {
    const t = this.order[this.next]!
    w.ascii('{"id":' + this.tasks.idJson[t] + ',"at":"' + new Date(this.tasks.submit[t]!).toISOString() + '"}')
  }
  advance() {
    this.next++
    this.seek()
  }
}

export const taskLines: FormatDefinition = {
  name: 'task-lines',
  summary: 'one topic of plain task lines (a test fixture)',
  streams: ['lines'],
  topics: { lines: { flag: 'lines-topic', default: 'task-lines', holds: 'task lines' } },
  flags: {},
  helpGroup: 'OUTPUT',
  workers: [['lines'], []],
  needs: () => ({ fragments: false, timesOnly: true, cpuCount: false, wholeEnd: false }),
  taskKey: (idJson) => Buffer.from(idJson),
  async build(roles, c) {
    if (!roles.includes('lines')) return
    c.streams.push(new TaskLines(c.tasks, c.window))
    c.ends.lines = c.lastTask
  },
}
`

describe('a third format: its folder and the registry, nothing else', () => {
  it('builds, replays through both code paths, and shows in --help and in the --format error', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'opendt-format-'))
    // The copy holds a 110 MB binary: removed whatever the outcome.
    try {
      for (const part of ['src', 'scripts', 'package.json', 'tsconfig.json', 'bunfig.toml']) {
        cpSync(join(ROOT, part), join(copy, part), { recursive: true })
      }
      symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'))
      // The folder, and the registry's import and entry: the whole change.
      cpSync(join(copy, 'src', 'formats', 'tasks-fragments'), join(copy, 'src', 'formats', 'task-lines'), {
        recursive: true,
      })
      writeFileSync(join(copy, 'src', 'formats', 'task-lines', 'index.ts'), TASK_LINES)
      const registry = join(copy, 'src', 'formats', 'index.ts')
      const before = readFileSync(registry, 'utf8')
      const after = before
        .replace(
          "import { tasksFragments } from './tasks-fragments/index.ts'\n",
          (l) => `${l}import { taskLines } from './task-lines/index.ts'\n`,
        )
        .replace("  'dc-mock': dcMock,\n", (l) => `${l}  'task-lines': taskLines,\n`)
      expect(after.split('\n').length - before.split('\n').length).toBe(2)
      writeFileSync(registry, after)

      const built = await run(['bun', 'scripts/build.ts'], { cwd: copy })
      expect([built.code, built.stderr.includes('error')]).toEqual([0, false])
      const bin = join(copy, 'dist', 'opendt-replay')
      const trace = join(FIXTURES, 'v5-interleaved')

      // Paced (each worker its streams, the one stream on the first) and at max (one worker writes all).
      const expected = (await run([bin, 'replay', trace, '--format', 'task-lines', '--dry-run', '--speed', 'max']))
        .stdout
      const lines = expected.trimEnd().split('\n')
      expect(lines.length).toBe(5)
      expect(lines[0]).toMatch(
        /^\{"topic":"task-lines","key":"?[^,]+"?,"value":\{"id":.+,"at":"\d{4}-\d\d-\d\dT[^"]+Z"\}\}$/,
      )
      const paced = await run([bin, 'replay', trace, '--format', 'task-lines', '--dry-run', '--speed', '100000'])
      expect([paced.code, paced.stdout]).toEqual([0, expected])
      const topic = await run([
        bin,
        'replay',
        trace,
        '--format',
        'task-lines',
        '--lines-topic',
        'mine',
        '--dry-run',
        '--speed',
        'max',
      ])
      expect(topic.stdout).toBe(expected.replaceAll('"topic":"task-lines"', '"topic":"mine"'))

      // Its flags are its own: refused with another format, and another's refused with it.
      const foreign = await run([bin, 'replay', trace, '--lines-topic', 'x', '--dry-run'])
      expect([foreign.code, foreign.stderr]).toEqual([
        2,
        "[error] --lines-topic is a --format task-lines flag; this run's format is tasks-fragments\n",
      ])
      const other = await run([bin, 'replay', trace, '--format', 'task-lines', '--heartbeat', '1m', '--dry-run'])
      expect(other.stderr).toBe("[error] --heartbeat is a --format dc-mock flag; this run's format is task-lines\n")
      const unknown = await run([bin, 'replay', trace, '--format', 'lines', '--dry-run'])
      expect(unknown.stderr).toBe('[error] --format: expected tasks-fragments or dc-mock or task-lines, got "lines"\n')
      const help = (await run([bin, 'replay', '--help'])).stdout
      expect(help).toContain('tasks-fragments|dc-mock|task-lines')
      expect(help).toMatch(/ {2}--lines-topic NAME +task-lines: topic for task lines, created if/)
    } finally {
      rmSync(copy, { recursive: true, force: true })
    }
  })
})
