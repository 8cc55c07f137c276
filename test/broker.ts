import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './helpers.ts'

/**
 * A real Apache Kafka broker for the tests, started by scripts/kafka.sh (jars from Maven Central)
 * when none is reachable. KAFKA_BROKERS points the tests at a broker of one's own instead.
 */
export interface Broker {
  bootstrap: string
  /** Stops the broker if the tests started it. */
  stop(): Promise<void>
}

async function script(verb: string, env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn(['bash', join(ROOT, 'scripts', 'kafka.sh'), verb], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, ...env } })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, out: out.trim(), err }
}

export async function ensureBroker(): Promise<Broker> {
  if (process.env.KAFKA_BROKERS) return { bootstrap: process.env.KAFKA_BROKERS, stop: async () => {} }
  const status = await script('status')
  if (status.code === 0) return { bootstrap: status.out, stop: async () => {} }
  return startBroker()
}

/** A broker of its own (own state folder), for tests that kill it. */
export async function startBroker(env: Record<string, string> = {}): Promise<Broker> {
  const started = await script('start', env)
  if (started.code !== 0) throw new Error(`scripts/kafka.sh start failed (${started.code}):\n${started.err}`)
  return { bootstrap: started.out, stop: async () => void (await script('stop', env)) }
}

export function privateBrokerEnv(): Record<string, string> {
  return { KAFKA_STATE_DIR: mkdtempSync(join(tmpdir(), 'opendt-kafka-')) }
}

export interface Record_ {
  partition: number
  key: string
  value: string
  timestamp: number
}

/** Reads a topic from the beginning with kcat (librdkafka: a consumer we did not write). */
export async function readTopic(bootstrap: string, topic: string): Promise<Record_[]> {
  const proc = Bun.spawn(['kcat', '-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\\t%T\\t%k\\t%s\\n'], { stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0) throw new Error(`kcat failed (${code}): ${err}`)
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [p, t, key, value] = l.split('\t')
      return { partition: Number(p), timestamp: Number(t), key: key!, value: value! }
    })
}

/** Splits dry-run lines into per-topic [key, value] texts, exactly as the line spells them. */
export function dryRunMessages(stdout: string): Record<'tasks' | 'fragments', [string, string][]> {
  const out: Record<'tasks' | 'fragments', [string, string][]> = { tasks: [], fragments: [] }
  for (const line of stdout.split('\n')) {
    if (line === '') continue
    const topic = line.startsWith('{"topic":"tasks"') ? 'tasks' : 'fragments'
    const keyStart = line.indexOf(',"key":') + 7
    const valueStart = line.indexOf(',"value":')
    out[topic].push([line.slice(keyStart, valueStart), line.slice(valueStart + 9, -1)])
  }
  return out
}
