import type { ByteWriter } from '../../core/bytes.ts'
import { FragmentOrder, TaskOrder } from '../../core/order.ts'
import type { EventStream } from '../../core/stream.ts'
import type { Fragments, Tasks } from '../../trace/model.ts'
import type { Window } from '../../types.ts'
import { keyBytes, writeFragmentValue, writeTaskValue } from './wire.ts'

/**
 * The seed's two streams: the trace's tasks and fragments in time order (core/order.ts), each
 * message keyed {"id":ID} and spelled by wire.ts.
 */

/** Per-task key bytes, encoded on first use. */
class KeyCache {
  private readonly cache: (Buffer | undefined)[]
  private readonly idJson: string[]
  constructor(idJson: string[]) {
    this.idJson = idJson
    this.cache = new Array(idJson.length)
  }
  get(task: number): Buffer {
    this.cache[task] ??= keyBytes(this.idJson[task]!)
    return this.cache[task]
  }
}

/** Tasks in (submission_time, tasks-file row) order. */
export class TaskStream extends TaskOrder implements EventStream {
  readonly role = 'tasks'
  private readonly tasks: Tasks
  private readonly keys: KeyCache

  constructor(tasks: Tasks, window: Window) {
    super(tasks, window)
    this.tasks = tasks
    this.keys = new KeyCache(tasks.idJson)
  }

  keyBytes(): Buffer {
    return this.keys.get(this.taskRow)
  }

  keyJson(): Buffer {
    return this.keyBytes()
  }

  writeValue(w: ByteWriter): void {
    writeTaskValue(w, this.tasks, this.taskRow)
  }
}

/** Fragments in (time, task row, fragment order) order, at their message times. */
export class FragmentStream extends FragmentOrder implements EventStream {
  readonly role = 'fragments'
  private readonly keys: KeyCache

  constructor(tasks: Tasks, fragments: Fragments, window: Window) {
    super(tasks, fragments, window)
    this.keys = new KeyCache(tasks.idJson)
  }

  keyBytes(): Buffer {
    return this.keys.get(this.taskRow)
  }

  keyJson(): Buffer {
    return this.keyBytes()
  }

  writeValue(w: ByteWriter): void {
    const i = this.fragmentIndex
    const f = this.fragments
    writeFragmentValue(w, this.time, f.duration[i]! / f.divisor, f.cpuUsage[i]!)
  }
}
