/**
 * The benchmark scripts' broker: the one scripts/kafka.sh runs, started if none runs (and then
 * stopped by `stop`, so a broker someone else started is left as it was).
 */
import { join } from 'node:path'

export const KAFKA_SH = join(import.meta.dir, 'kafka.sh')

/** Runs a command to its end: exit code, stdout trimmed, stderr. */
export function sh(args: string[]): { code: number; out: string; err: string } {
  const p = Bun.spawnSync(args, { stdout: 'pipe', stderr: 'pipe' })
  return { code: p.exitCode, out: p.stdout.toString().trim(), err: p.stderr.toString() }
}

export interface LocalBroker {
  /** host:port */
  bootstrap: string
  /** The Kafka jars' classpath (its tools: ProducerPerformance, TopicCommand, clients). */
  classpath: string
  /** Stops the broker if this started it. */
  stop(): void
}

export function localBroker(): LocalBroker {
  let started = false
  let status = sh(['bash', KAFKA_SH, 'status'])
  if (status.code !== 0) {
    status = sh(['bash', KAFKA_SH, 'start'])
    if (status.code !== 0) throw new Error(status.err)
    started = true
  }
  return {
    bootstrap: status.out,
    classpath: sh(['bash', KAFKA_SH, 'classpath']).out,
    stop: () => {
      if (started) sh(['bash', KAFKA_SH, 'stop'])
    },
  }
}
