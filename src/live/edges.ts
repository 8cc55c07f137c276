import type { Listen } from './address.ts'
import type { LiveSource } from './status.ts'

/**
 * What a command needs of the live view's edges (live/index.ts makes them; main.ts passes them
 * in): its HTTP server and its report writer. Commands depend on this, not on the server.
 */
export interface LiveEdges {
  /** Serves `source` on `listen`; `labels` go on every metric (`shard`). */
  serve(listen: Listen, source: LiveSource, labels: { shard?: string }): Promise<{ url: string; stop(): Promise<void> }>
  /** Writes the self-contained HTML report of `source` to `path` (checked writable before the run). */
  writeReport(path: string, source: LiveSource): void
}
