import {
  nonNegativeInteger,
  parseBytes,
  parseDuration,
  positiveInteger,
  type ReadText,
  readFlagFile,
} from '../core/parse.ts'
import { quote } from '../echo.ts'
import { badInput } from '../errors.ts'
import { INT32_MAX } from '../trace/columns.ts'
import { COMPRESSIONS, type Compression, type KafkaConfig, type Output, type TopicSettings } from '../types.ts'
import { DEFAULTS, type ReplayArgs } from './flags.ts'

/**
 * Which output the flags choose (`--dry-run`: stdout; `--brokers` or KAFKA_BROKERS: Kafka), with every
 * Kafka, SASL and TLS flag checked and mapped to the producer's settings. run/outputs.ts opens it.
 */

/** Kafka's largest replication factor (a short in its protocol). */
export const MAX_REPLICATION_FACTOR = 32_767
/** --batch-size at most: a request of more is refused by brokers (socket.request.max.bytes, 100 MiB by default). */
export const MAX_BATCH_BYTES = 100 << 20

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const

/** --acks values (a Map: a plain object would also answer `constructor` and `__proto__`). */
const ACKS = new Map<string, -1 | 1 | 0>([
  ['all', -1],
  ['-1', -1],
  ['1', 1],
  ['0', 0],
])

/** What each TLS file must hold: a PEM block of this kind, checked before connecting. */
const PEM = {
  'tls-ca': { pattern: /-----BEGIN CERTIFICATE-----/, what: 'a PEM certificate (-----BEGIN CERTIFICATE-----)' },
  'tls-cert': { pattern: /-----BEGIN CERTIFICATE-----/, what: 'a PEM certificate (-----BEGIN CERTIFICATE-----)' },
  'tls-key': {
    pattern: /-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/,
    what: 'a PEM private key (-----BEGIN PRIVATE KEY-----)',
  },
} as const

/** Reads a TLS file named by a flag and checks it holds the PEM block it should. */
function readPem(
  flag: keyof typeof PEM,
  args: ReplayArgs,
  read: ReadText,
  name: (flag: string) => string,
): string | undefined {
  const path = args[flag]
  if (path === undefined) return undefined
  const text = readFlagFile(name(flag), path, read)
  if (!PEM[flag].pattern.test(text)) throw badInput(`${name(flag)}: ${path} is not ${PEM[flag].what}`)
  return text
}

/** SASL and TLS settings; the password from the environment or a file, never from a flag. */
function resolveSecurity(
  args: ReplayArgs,
  env: Record<string, string | undefined>,
  read: ReadText,
  name: (flag: string) => string,
): Pick<KafkaConfig, 'sasl' | 'tls'> {
  let sasl: KafkaConfig['sasl']
  if (args.sasl !== undefined) {
    const mechanism = args.sasl.toLowerCase() as (typeof MECHANISMS)[number]
    if (!MECHANISMS.includes(mechanism))
      throw badInput(`${name('sasl')}: expected plain, scram-sha-256 or scram-sha-512, got ${quote(args.sasl)}`)
    const username = args['sasl-username']
    if (!username) throw badInput(`--sasl ${mechanism} needs --sasl-username`)
    const file = args['sasl-password-file']
    const password =
      file !== undefined
        ? readFlagFile(name('sasl-password-file'), file, read).replace(/\r?\n$/, '')
        : env.KAFKA_SASL_PASSWORD
    if (!password)
      throw badInput(`--sasl ${mechanism} needs a password: set KAFKA_SASL_PASSWORD or pass --sasl-password-file FILE`)
    sasl = { mechanism, username, password }
  } else if (args['sasl-username'] !== undefined || args['sasl-password-file'] !== undefined) {
    throw badInput('--sasl-username and --sasl-password-file need --sasl plain|scram-sha-256|scram-sha-512')
  }
  if ((args['tls-cert'] === undefined) !== (args['tls-key'] === undefined))
    throw badInput('--tls-cert and --tls-key go together')
  const anyTls = args.tls === true || args['tls-ca'] !== undefined || args['tls-cert'] !== undefined
  const tls = anyTls
    ? {
        ca: readPem('tls-ca', args, read, name),
        cert: readPem('tls-cert', args, read, name),
        key: readPem('tls-key', args, read, name),
      }
    : undefined
  return { sasl, tls }
}

/** The output a run writes to: stdout (`--dry-run`) or Kafka, with every Kafka setting checked. */
export function resolveOutput(
  args: ReplayArgs,
  env: Record<string, string | undefined>,
  read: ReadText,
  name: (flag: string) => string = (flag) => `--${flag}`,
  topicSettings?: ReadonlyMap<string, TopicSettings>,
): Output {
  if (args['dry-run']) {
    if (args.brokers !== undefined) throw badInput('--dry-run and --brokers exclude each other: pick stdout or Kafka')
    // Kafka's own flags mean nothing on stdout, but a malformed one is refused here as anywhere.
    resolveOutput({ ...args, 'dry-run': false, brokers: 'localhost:9092' }, env, read, name, topicSettings)
    return { kind: 'stdout' }
  }
  const list = args.brokers ?? env.KAFKA_BROKERS
  if (list === undefined || list.trim() === '') {
    throw badInput(
      'no output chosen: pass --brokers HOST:PORT (or set KAFKA_BROKERS) to send to Kafka, or --dry-run for stdout',
    )
  }
  const brokersName = args.brokers !== undefined ? name('brokers') : 'KAFKA_BROKERS'
  const brokers = list.split(',').map((b) => b.trim())
  for (const b of brokers) {
    const port = /^[^\s:,]+:(\d{1,5})$/.exec(b)?.[1]
    if (port === undefined) throw badInput(`${brokersName}: ${quote(b)} is not HOST:PORT`)
    if (Number(port) < 1 || Number(port) > 65535)
      throw badInput(`${brokersName}: ${quote(b)}: port ${port} is not between 1 and 65535`)
  }
  const acksText = args.acks ?? DEFAULTS.acks
  const acks = ACKS.get(acksText)
  if (acks === undefined) throw badInput(`${name('acks')}: expected all, 1 or 0, got ${quote(acksText)}`)
  const idempotent = args.idempotent !== false
  if (idempotent && acks !== -1)
    throw badInput(`--acks ${acksText} needs --no-idempotent (the idempotent producer waits for all replicas)`)
  const sendRetries = nonNegativeInteger(name('send-retries'), args['send-retries'] ?? DEFAULTS['send-retries'])
  if (idempotent && sendRetries < 1)
    throw badInput('--send-retries 0 needs --no-idempotent (the idempotent producer must retry)')
  const recordTime = args['record-time'] ?? DEFAULTS['record-time']
  if (recordTime !== 'send' && recordTime !== 'trace')
    throw badInput(`${name('record-time')}: expected send or trace, got ${quote(recordTime)}`)
  const connectTimeoutMs = parseDuration(
    name('connect-timeout'),
    args['connect-timeout'] ?? DEFAULTS['connect-timeout'],
  )
  const compression = (args.compression ?? DEFAULTS.compression) as Compression
  if (!COMPRESSIONS.includes(compression)) {
    throw badInput(`${name('compression')}: expected none, gzip, snappy, lz4 or zstd, got ${quote(args.compression)}`)
  }
  const batchSize = args['batch-size']
  return {
    kind: 'kafka',
    config: {
      brokers,
      clientId: args['client-id'] ?? DEFAULTS['client-id'],
      acks,
      idempotent,
      recordTime,
      connectTimeoutMs,
      sendRetries,
      compression,
      batchBytes: batchSize === undefined ? undefined : parseBytes(name('batch-size'), batchSize, MAX_BATCH_BYTES),
      lingerMs: parseDuration(name('linger'), args.linger ?? DEFAULTS.linger),
      ...resolveSecurity(args, env, read, name),
      partitions: positiveInteger(
        name('partitions'),
        args.partitions ?? DEFAULTS.partitions,
        INT32_MAX,
        " (Kafka's limit)",
      ),
      replicationFactor: positiveInteger(
        name('replication-factor'),
        args['replication-factor'] ?? DEFAULTS['replication-factor'],
        MAX_REPLICATION_FACTOR,
        " (Kafka's limit)",
      ),
      topicSettings,
    },
  }
}
