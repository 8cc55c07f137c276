/**
 * The pacing schedule: an absolute mapping from event time to wall time, so that errors
 * never accumulate. A message with event time e is due at start + (e - origin) / speed.
 */
export interface Schedule {
  /** Wall instant of the release, ms on the shared clock (performance.timeOrigin + now()). */
  start: number
  /** Event time (epoch ms) that is due at `start`: the window start. */
  origin: number
  /** Trace seconds per wall second; Infinity sends as fast as possible (`--speed max`). */
  speed: number
  /** `--max-gap`: event time to compressed time (gaps.ts); the schedule runs on its output. */
  compress?: (eventTime: number) => number
}

/** When a message is due: at --speed max, every message at the start instant (a --start-at holds them all). */
export function dueAt(schedule: Schedule, eventTime: number): number {
  if (schedule.speed === Infinity) return schedule.start
  const c = schedule.compress
  if (c) return schedule.start + (c(eventTime) - c(schedule.origin)) / schedule.speed
  return schedule.start + (eventTime - schedule.origin) / schedule.speed
}
