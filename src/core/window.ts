import type { TimeRef, Window } from '../types.ts'

/** A flag's time against the trace start: an offset from it, or an instant that stands alone. */
export function resolveTime(ref: TimeRef | undefined, traceStart: number, fallback: number): number {
  if (ref === undefined) return fallback
  return 'offset' in ref ? traceStart + ref.offset : ref.absolute
}

/** `--from`/`--to` as a window on event time; by default from the trace start to the end. */
export function resolveWindow(from: TimeRef | undefined, to: TimeRef | undefined, traceStart: number): Window {
  return { from: resolveTime(from, traceStart, traceStart), to: resolveTime(to, traceStart, Infinity) }
}
