import type { EventStream } from '../../core/stream.ts'
import type { Fragments, Tasks } from '../../trace/model.ts'
import type { Role, Window } from '../../types.ts'
import type { FormatDefinition } from '../format.ts'
import { FragmentStream, TaskStream } from './streams.ts'
import { keyBytes, readFragmentDemand } from './wire.ts'

/** The seed's streams of `roles`, in that order (fragments are loaded when `fragments` is among them). */
function streamsOf(
  roles: readonly Role[],
  tasks: Tasks,
  fragments: Fragments | undefined,
  window: Window,
): EventStream[] {
  return roles.map((role) =>
    role === 'tasks' ? new TaskStream(tasks, window) : new FragmentStream(tasks, fragments!, window),
  )
}

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
    c.streams.push(...streamsOf(roles, c.tasks, c.fragments, c.window))
    if (roles.includes('tasks')) c.ends.tasks = c.lastTask
    if (roles.includes('fragments')) c.ends.fragments = c.lastFragment
  },
  demandOf: (role) => (role === 'fragments' ? readFragmentDemand : undefined),
  warmUp: (roles, { tasks, fragments }) => streamsOf(roles, tasks, fragments, { from: -Infinity, to: Infinity }),
  // The checkpoint keys it always had, so older checkpoints still resume.
  identity: async (options) => ({
    '--tasks-topic': options.topics.tasks!,
    '--fragments-topic': options.topics.fragments!,
  }),
}
