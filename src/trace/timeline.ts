import type { Fragments, Tasks } from './model.ts'

/**
 * The trace's timeline. A task is at its submission time. Fragments have no time of their own
 * (the seed): fragment k of a task is at submit + d1 + ... + dk, so each one follows its
 * predecessor (or, for the first, the submission) by its own duration.
 */

/**
 * The fragment-time rule, the one place it is written: a fragment is at its task's submission
 * plus the durations of the task's fragments up to and including it. `elapsed` is that sum as
 * the model holds it (in ms, or in work on a what-if host, ms x MHz, over its throughput
 * `divisor`): the sum is kept exact and divided once, so thousands of fragments cannot drift.
 * This is the exact time (inspect's demand sweep); a message is at `fragmentMessageTime`.
 */
export function fragmentTime(submit: number, elapsed: number, divisor: number): number {
  return submit + elapsed / divisor
}

/**
 * A fragment message's time: the exact offset rounded to the millisecond, then added. At epoch
 * magnitudes a sum is precise to about 0.00024 ms, so an offset just under a half (2.4999999)
 * added first would round up (what-if SURF on 3 x 2933.3 MHz: 270 fragments written 1 ms late).
 */
export function fragmentMessageTime(submit: number, elapsed: number, divisor: number): number {
  return submit + Math.round(elapsed / divisor)
}

/**
 * Walks task t's fragments in order with their times; `visit` returning false stops the walk.
 * Returns the time of the last fragment visited, or the submission time when there is none.
 */
export function walkFragments(
  tasks: Tasks,
  fragments: Fragments,
  t: number,
  visit?: (index: number, time: number, elapsed: number) => boolean | undefined,
): number {
  const submit = tasks.submit[t]!
  const end = fragments.offsets[t + 1]!
  let elapsed = 0
  let time = submit
  for (let i = fragments.offsets[t]!; i < end; i++) {
    elapsed += fragments.duration[i]!
    time = fragmentTime(submit, elapsed, fragments.divisor)
    if (visit?.(i, time, elapsed) === false) break
  }
  return time
}

/** Earliest submission time: the origin of `--from`/`--to` offsets and of the default window. */
export function traceStart(tasks: Tasks): number {
  let start = Infinity
  for (let t = 0; t < tasks.count; t++) if (tasks.submit[t]! < start) start = tasks.submit[t]!
  return start
}

/** Latest event time of a stream: the last submission, or (with fragments) the last fragment's time. */
export function lastEventTime(tasks: Tasks, fragments?: Fragments): number {
  let last = -Infinity
  for (let t = 0; t < tasks.count; t++) {
    if (fragments && fragments.offsets[t] === fragments.offsets[t + 1]) continue
    const at = fragments ? walkFragments(tasks, fragments, t) : tasks.submit[t]!
    if (at > last) last = at
  }
  return last
}

/** Calls `visit` with every fragment's time, task by task (not in time order). */
export function forEachFragmentTime(tasks: Tasks, fragments: Fragments, visit: (time: number) => void): void {
  for (let t = 0; t < tasks.count; t++) {
    walkFragments(tasks, fragments, t, (_, time) => {
      visit(time)
      return true
    })
  }
}

/** v2 traces have no task duration: it is the sum of the task's fragment durations, where its last fragment ends. */
export function deriveDurations(tasks: Tasks, fragments: Fragments): void {
  for (let t = 0; t < tasks.count; t++) tasks.duration[t] = walkFragments(tasks, fragments, t) - tasks.submit[t]!
  tasks.durationDerived = true
}
