import type { ByteWriter } from '../../../src/core/bytes.ts'
import { FragmentOrder, TaskOrder } from '../../../src/core/order.ts'
import type { EventStream } from '../../../src/core/stream.ts'
import { formatDouble, formatTime } from '../../../src/core/text.ts'
import type { FormatDefinition } from '../../../src/formats/format.ts'
import type { Fragments, Tasks } from '../../../src/trace/model.ts'
import type { Role, Window } from '../../../src/types.ts'

/**
 * A third wire format, written as a format is written in src/formats/<name>/index.ts, to show
 * that one goes through every path (replay paced and at max speed, to stdout and into Kafka,
 * verify, a checkpoint and --resume, --shard, inspect) as the registry's two do. Each message is
 * keyed by its task's id as the trace spells it in JSON (`"a"`, `7`):
 *
 *   task-lines  {"id":"a","at":"2022-10-06T22:00:00Z","cpus":1}     each task, at its submission
 *   task-usage  {"id":"a","at":"2022-10-06T22:00:10Z","mhz":1000.0}  each fragment, at its time
 *
 * The streams extend core's time order (core/order.ts) with their spelling, as the seed's do.
 */

/** Each task's line. */
class LineStream extends TaskOrder implements EventStream {
  readonly role = 'lines'
  private readonly tasks: Tasks

  constructor(tasks: Tasks, window: Window) {
    super(tasks, window)
    this.tasks = tasks
  }

  keyBytes(): Buffer {
    return Buffer.from(this.tasks.idJson[this.taskRow]!)
  }

  keyJson(): Buffer {
    return this.keyBytes()
  }

  writeValue(w: ByteWriter): void {
    const t = this.taskRow
    w.ascii(`{"id":${this.tasks.idJson[t]},"at":"${formatTime(this.time)}","cpus":${this.tasks.cpuCount[t]}}`)
  }
}

/** Each fragment's usage. */
class UsageStream extends FragmentOrder implements EventStream {
  readonly role = 'usage'
  private readonly idJson: string[]

  constructor(tasks: Tasks, fragments: Fragments, window: Window) {
    super(tasks, fragments, window)
    this.idJson = tasks.idJson
  }

  keyBytes(): Buffer {
    return Buffer.from(this.idJson[this.taskRow]!)
  }

  keyJson(): Buffer {
    return this.keyBytes()
  }

  writeValue(w: ByteWriter): void {
    const usage = formatDouble(this.fragments.cpuUsage[this.fragmentIndex]!)
    w.ascii(`{"id":${this.idJson[this.taskRow]},"at":"${formatTime(this.time)}","mhz":${usage}}`)
  }
}

/** The streams of `roles` (fragments are loaded when `usage` is among them). */
function streamsOf(
  roles: readonly Role[],
  tasks: Tasks,
  fragments: Fragments | undefined,
  window: Window,
): EventStream[] {
  return roles.map((role) =>
    role === 'lines' ? new LineStream(tasks, window) : new UsageStream(tasks, fragments!, window),
  )
}

export const taskLines: FormatDefinition = {
  name: 'task-lines',
  summary: 'a line per task and one per fragment (a test fixture)',
  streams: ['lines', 'usage'],
  topics: {
    lines: { flag: 'lines-topic', default: 'task-lines', holds: 'task lines' },
    usage: { flag: 'usage-topic', default: 'task-usage', holds: 'fragment usage' },
  },
  flags: {},
  helpGroup: 'OUTPUT',
  workers: [['lines'], ['usage']],
  // Only the usage stream reads the fragments; the idle stretches --max-gap shortens are between tasks.
  reads: { lines: {}, usage: { fragments: ['duration', 'cpu_usage'] } },
  activity: ['tasks'],
  taskKey: (idJson) => Buffer.from(idJson),
  async build(roles, c) {
    c.streams.push(...streamsOf(roles, c.tasks, c.fragments, c.window))
    if (roles.includes('lines')) c.ends.lines = c.lastTask
    if (roles.includes('usage')) c.ends.usage = c.lastFragment
  },
  identity: async (options) => ({
    '--lines-topic': options.topics.lines!,
    '--usage-topic': options.topics.usage!,
  }),
  warmUp: (roles, { tasks, fragments }) => streamsOf(roles, tasks, fragments, { from: -Infinity, to: Infinity }),
  inspect: {
    key: 'taskLines',
    view: async ({ tasks, fragments }) => ({ lines: tasks.count, usage: fragments.count }),
    lines: (view) => {
      const v = view as { lines: number; usage: number }
      return [`task-lines messages        task-lines ${v.lines}, task-usage ${v.usage}`]
    },
  },
}
