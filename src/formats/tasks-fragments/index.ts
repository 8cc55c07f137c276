import type { FormatDefinition } from '../format.ts'
import { FragmentStream, TaskStream } from './streams.ts'
import { keyBytes } from './wire.ts'

/**
 * The seed's format (OpenDT v0.1): a `tasks` topic and a `fragments` topic, each message keyed
 * {"id":ID} (wire.ts lays them out). One worker paces each stream.
 */
export const tasksFragments: FormatDefinition = {
  name: 'tasks-fragments',
  summary: "the seed's tasks and fragments topics",
  streams: ['tasks', 'fragments'],
  topics: {
    tasks: { flag: 'tasks-topic', default: 'tasks', holds: 'tasks' },
    fragments: { flag: 'fragments-topic', default: 'fragments', holds: 'fragments' },
  },
  flags: {},
  helpGroup: 'OUTPUT',
  workers: [['tasks'], ['fragments']],
  // The tasks worker reads fragments only when tasks depend on them (v2 durations, what-if, --max-gap): their times.
  reads: { tasks: {}, fragments: { fragments: ['duration', 'cpu_usage'] } },
  activity: ['tasks', 'fragments'],
  taskKey: keyBytes,
  async build(roles, c) {
    for (const role of roles) {
      if (role === 'tasks') {
        c.streams.push(new TaskStream(c.tasks, c.window))
        c.ends.tasks = c.lastTask
      } else {
        c.streams.push(new FragmentStream(c.tasks, c.fragments!, c.window))
        c.ends.fragments = c.lastFragment
      }
    }
  },
  // The checkpoint keys it always had, so older checkpoints still resume.
  identity: async (options) => ({
    '--tasks-topic': options.topics.tasks!,
    '--fragments-topic': options.topics.fragments!,
  }),
}
