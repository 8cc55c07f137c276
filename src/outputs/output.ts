import type { Sink } from '../core/pacer.ts'
import type { Counts, Role } from '../types.ts'

/** How far each stream got: handed to the output, acknowledged by it, and the event time of the last one. */
export type StreamFigures = Partial<Record<Role, Counts & { eventTime: number }>>

/**
 * An output a worker paces its streams into (stdout, Kafka): the pacer adds messages and flushes
 * batches (core/pacer.ts Sink); `figures` feed progress and the summary; `close` waits for what is
 * still in flight and throws if it failed. run/outputs.ts lists the outputs and opens each.
 */
export interface OutputSink extends Sink {
  figures(): StreamFigures
  close(): Promise<void>
}

/** Figures without the event times: what the summary counts. */
export const countsOf = (figures: StreamFigures): Partial<Record<Role, Counts>> =>
  Object.fromEntries(Object.entries(figures).map(([role, f]) => [role, { sent: f!.sent, acked: f!.acked }]))
