import { type ConsolaInstance, createConsola } from 'consola/basic'

/**
 * Diagnostics go to stderr only: stdout carries data (the dry-run lines). The basic reporter
 * keeps every message on one line (`[error] ...`), which scripts and log files rely on; the
 * fancy one surrounds errors with blank lines.
 */
export function createLog(verbose = false): ConsolaInstance {
  return createConsola({ stdout: process.stderr, stderr: process.stderr, level: verbose ? 4 : 3 })
}

/** Runs `fn` with info lines let through even under --quiet (the summary, the live view's URL). */
export function always(log: ConsolaInstance, fn: () => void): void {
  const level = log.level
  log.level = Math.max(level, 3)
  fn()
  log.level = level
}
