import { badInput } from '../errors.ts'
import { parseDuration } from '../options.ts'
import type { ReplayArgs } from '../cli.ts'
import type { Output } from '../worker.ts'
import type { KafkaConfig } from './client.ts'

/** Reads a file named by a flag (the only file reads while mapping flags). */
export type ReadText = (path: string) => string

function positiveInteger(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw badInput(`${flag}: expected a whole number of at least 1, got "${text}"`)
  return Number(text)
}

function nonNegativeInteger(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) throw badInput(`${flag}: expected a whole number, got "${text}"`)
  return Number(text)
}

function readFlagFile(flag: string, path: string, read: ReadText): string {
  try {
    return read(path)
  } catch (error) {
    throw badInput(`${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const

/** SASL and TLS settings; the password from the environment or a file, never from a flag. */
function resolveSecurity(args: ReplayArgs, env: Record<string, string | undefined>, read: ReadText): Pick<KafkaConfig, 'sasl' | 'tls'> {
  let sasl: KafkaConfig['sasl']
  if (args.sasl !== undefined) {
    const mechanism = args.sasl.toLowerCase() as (typeof MECHANISMS)[number]
    if (!MECHANISMS.includes(mechanism)) throw badInput(`--sasl: expected plain, scram-sha-256 or scram-sha-512, got "${args.sasl}"`)
    const username = args['sasl-username']
    if (!username) throw badInput(`--sasl ${mechanism} needs --sasl-username`)
    const file = args['sasl-password-file']
    const password = file !== undefined ? readFlagFile('--sasl-password-file', file, read).replace(/\r?\n$/, '') : env.KAFKA_SASL_PASSWORD
    if (!password) throw badInput(`--sasl ${mechanism} needs a password: set KAFKA_SASL_PASSWORD or pass --sasl-password-file FILE`)
    sasl = { mechanism, username, password }
  } else if (args['sasl-username'] !== undefined || args['sasl-password-file'] !== undefined) {
    throw badInput('--sasl-username and --sasl-password-file need --sasl plain|scram-sha-256|scram-sha-512')
  }
  if ((args['tls-cert'] === undefined) !== (args['tls-key'] === undefined)) throw badInput('--tls-cert and --tls-key go together')
  const anyTls = args.tls === true || args['tls-ca'] !== undefined || args['tls-cert'] !== undefined
  const tls = anyTls
    ? {
        ca: args['tls-ca'] === undefined ? undefined : readFlagFile('--tls-ca', args['tls-ca'], read),
        cert: args['tls-cert'] === undefined ? undefined : readFlagFile('--tls-cert', args['tls-cert'], read),
        key: args['tls-key'] === undefined ? undefined : readFlagFile('--tls-key', args['tls-key'], read),
      }
    : undefined
  return { sasl, tls }
}

/** The output a run writes to: stdout (`--dry-run`) or Kafka, with every Kafka setting checked. */
export function resolveOutput(args: ReplayArgs, env: Record<string, string | undefined>, read: ReadText): Output {
  if (args['dry-run']) {
    if (args.brokers !== undefined) throw badInput('--dry-run and --brokers exclude each other: pick stdout or Kafka')
    return { kind: 'stdout' }
  }
  const list = args.brokers ?? env.KAFKA_BROKERS
  if (list === undefined || list.trim() === '') {
    throw badInput('no output chosen: pass --brokers HOST:PORT (or set KAFKA_BROKERS) to send to Kafka, or --dry-run for stdout')
  }
  const brokers = list.split(',').map((b) => b.trim())
  for (const b of brokers) {
    if (!/^[^\s:,]+:\d{1,5}$/.test(b)) throw badInput(`--brokers: "${b}" is not HOST:PORT`)
  }
  const acksText = args.acks ?? 'all'
  const acks = ({ all: -1, '-1': -1, '1': 1, '0': 0 } as const)[acksText as 'all']
  if (acks === undefined) throw badInput(`--acks: expected all, 1 or 0, got "${acksText}"`)
  const idempotent = args.idempotent !== false
  if (idempotent && acks !== -1) throw badInput(`--acks ${acksText} needs --no-idempotent (the idempotent producer waits for all replicas)`)
  const sendRetries = nonNegativeInteger('--send-retries', args['send-retries'] ?? '8')
  if (idempotent && sendRetries < 1) throw badInput('--send-retries 0 needs --no-idempotent (the idempotent producer must retry)')
  const recordTime = args['record-time'] ?? 'send'
  if (recordTime !== 'send' && recordTime !== 'trace') throw badInput(`--record-time: expected send or trace, got "${recordTime}"`)
  const connectTimeoutMs = parseDuration('--connect-timeout', args['connect-timeout'] ?? '30s')
  return {
    kind: 'kafka',
    config: {
      brokers,
      clientId: args['client-id'] ?? 'opendt-replay',
      acks,
      idempotent,
      recordTime,
      connectTimeoutMs,
      sendRetries,
      ...resolveSecurity(args, env, read),
      partitions: positiveInteger('--partitions', args.partitions ?? '1'),
      replicationFactor: positiveInteger('--replication-factor', args['replication-factor'] ?? '1'),
    },
  }
}
