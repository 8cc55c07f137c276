import {
  nonNegativeInteger,
  oneOf,
  parseBytes,
  parseDuration,
  positiveInteger,
  type ReadText,
  readFlagFile,
} from '../../core/flag-values.ts'
import { quote } from '../../echo.ts'
import { badInput } from '../../errors.ts'
import { INT32_MAX } from '../../trace/columns.ts'
import { COMPRESSIONS, type FlagValues, type KafkaConfig, RECORD_TIMES, SASL_MECHANISMS } from '../../types.ts'
import type { ResolveContext } from '../output.ts'

/**
 * The Kafka output's flags: `--brokers` (or KAFKA_BROKERS) chooses it; every Kafka, SASL and TLS
 * flag is checked and mapped to the producer's settings. `verify` reads with the same settings.
 */

/** The flags that choose Kafka and configure it, as citty defines them (cli/flags.ts spreads them into the replay's). */
export const KAFKA_FLAGS = {
  brokers: {
    type: 'string',
    group: 'OUTPUT',
    valueHint: 'HOST:PORT[,HOST:PORT]',
    description: 'Kafka bootstrap brokers to send to (default: $KAFKA_BROKERS)',
  },
  'client-id': {
    type: 'string',
    group: 'KAFKA',
    default: 'opendt-replay',
    valueHint: 'ID',
    description: 'Kafka client id',
  },
  partitions: {
    type: 'string',
    group: 'KAFKA',
    default: '1',
    valueHint: 'N',
    description: 'Partitions of topics this run creates (existing topics are used as they are)',
  },
  'replication-factor': {
    type: 'string',
    group: 'KAFKA',
    default: '1',
    valueHint: 'N',
    description: 'Replication factor of topics this run creates',
  },
  acks: {
    type: 'enum',
    group: 'KAFKA',
    options: ['all', '1', '0'],
    default: 'all',
    description: 'Acknowledgements to wait for; 1 or 0 trade safety for speed and need --no-idempotent',
  },
  idempotent: {
    type: 'boolean',
    group: 'KAFKA',
    default: true,
    description: 'Idempotent producer: a retry never duplicates a message',
    negativeDescription: 'Plain producer: faster retries, duplicates possible after a broker error',
  },
  'record-time': {
    type: 'enum',
    group: 'KAFKA',
    options: [...RECORD_TIMES],
    default: 'send',
    description:
      'Kafka record timestamps: send time, or trace time ' +
      '(WARNING: 2022 timestamps fall outside retention and the broker may delete them at once)',
  },
  'connect-timeout': {
    type: 'string',
    group: 'KAFKA',
    default: '30s',
    valueHint: 'DURATION',
    description: 'How long to keep trying to reach the brokers at start',
  },
  'send-retries': {
    type: 'string',
    group: 'KAFKA',
    default: '8',
    valueHint: 'N',
    description:
      'Retries of a failed send (backing off 0.3 s to 30 s; 8 is about a minute) before the run stops with exit 3',
  },
  compression: {
    type: 'enum',
    group: 'KAFKA',
    options: [...COMPRESSIONS],
    default: 'none',
    description: 'Compress record batches with this codec (every codec is read back whatever this is)',
  },
  'batch-size': {
    type: 'string',
    group: 'KAFKA',
    valueHint: 'BYTES',
    description:
      "Most bytes of records in one send, over all its partitions (64k, 1m; default: the topics' max.message.bytes less 4 KiB, about 1 MiB)",
  },
  linger: {
    type: 'string',
    group: 'KAFKA',
    default: '0ms',
    valueHint: 'DURATION',
    description:
      'Paced: hold a send up to this long for the messages due after its first (fewer, larger sends; each that much later at most)',
  },
  sasl: {
    type: 'enum',
    group: 'SECURITY',
    options: [...SASL_MECHANISMS],
    description:
      'Authenticate with SASL; the password comes from $KAFKA_SASL_PASSWORD or --sasl-password-file, never a flag',
  },
  'sasl-username': { type: 'string', group: 'SECURITY', valueHint: 'USER', description: 'SASL user name' },
  'sasl-password-file': {
    type: 'string',
    group: 'SECURITY',
    valueHint: 'FILE',
    description: 'File holding the SASL password (a trailing newline is dropped)',
  },
  tls: {
    type: 'boolean',
    group: 'SECURITY',
    description: 'Connect with TLS (implied by --tls-ca, --tls-cert, --tls-key)',
  },
  'tls-ca': {
    type: 'string',
    group: 'SECURITY',
    valueHint: 'FILE',
    description: 'PEM CA certificate(s) to trust instead of the system ones',
  },
  'tls-cert': {
    type: 'string',
    group: 'SECURITY',
    valueHint: 'FILE',
    description: 'PEM client certificate (with --tls-key)',
  },
  'tls-key': {
    type: 'string',
    group: 'SECURITY',
    valueHint: 'FILE',
    description: 'PEM client private key (with --tls-cert)',
  },
} as const

/** The Kafka flags' values, as citty parses them. */
export type KafkaArgs = FlagValues<typeof KAFKA_FLAGS>

/** Kafka's largest replication factor (a short in its protocol). */
export const MAX_REPLICATION_FACTOR = 32_767
/** --batch-size at most: a request of more is refused by brokers (socket.request.max.bytes, 100 MiB by default). */
export const MAX_BATCH_BYTES = 100 << 20

/** What each --acks option asks of the brokers (`-1`, Kafka's own spelling of all, is taken too). */
const ACKS: Record<(typeof KAFKA_FLAGS.acks.options)[number], KafkaConfig['acks']> = { all: -1, '1': 1, '0': 0 }

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
  args: KafkaArgs,
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
  args: KafkaArgs,
  env: Record<string, string | undefined>,
  read: ReadText,
  name: (flag: string) => string,
): Pick<KafkaConfig, 'sasl' | 'tls'> {
  let sasl: KafkaConfig['sasl']
  if (args.sasl !== undefined) {
    const mechanism = oneOf(name('sasl'), KAFKA_FLAGS.sasl.options, args.sasl, args.sasl.toLowerCase())
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
    throw badInput(`--sasl-username and --sasl-password-file need --sasl ${KAFKA_FLAGS.sasl.options.join('|')}`)
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

/**
 * Kafka's settings from its flags, every one checked; undefined when the brokers are named but
 * blank (nothing chosen). The brokers come from `--brokers`, else KAFKA_BROKERS.
 */
export function resolveKafka({
  args,
  env,
  read,
  name,
  topicSettings,
}: ResolveContext<KafkaArgs>): KafkaConfig | undefined {
  const list = args.brokers ?? env.KAFKA_BROKERS
  if (list === undefined || list.trim() === '') return undefined
  const brokersName = args.brokers !== undefined ? name('brokers') : 'KAFKA_BROKERS'
  const brokers = list.split(',').map((b) => b.trim())
  for (const b of brokers) {
    const port = /^[^\s:,]+:(\d{1,5})$/.exec(b)?.[1]
    if (port === undefined) throw badInput(`${brokersName}: ${quote(b)} is not HOST:PORT`)
    if (Number(port) < 1 || Number(port) > 65535)
      throw badInput(`${brokersName}: ${quote(b)}: port ${port} is not between 1 and 65535`)
  }
  const acksText = args.acks ?? KAFKA_FLAGS.acks.default
  const acks = ACKS[oneOf(name('acks'), KAFKA_FLAGS.acks.options, acksText, acksText === '-1' ? 'all' : acksText)]
  const idempotent = args.idempotent !== false
  if (idempotent && acks !== -1)
    throw badInput(`--acks ${acksText} needs --no-idempotent (the idempotent producer waits for all replicas)`)
  const sendRetries = nonNegativeInteger(
    name('send-retries'),
    args['send-retries'] ?? KAFKA_FLAGS['send-retries'].default,
  )
  if (idempotent && sendRetries < 1)
    throw badInput('--send-retries 0 needs --no-idempotent (the idempotent producer must retry)')
  const recordTime = oneOf(
    name('record-time'),
    KAFKA_FLAGS['record-time'].options,
    args['record-time'] ?? KAFKA_FLAGS['record-time'].default,
  )
  const connectTimeoutMs = parseDuration(
    name('connect-timeout'),
    args['connect-timeout'] ?? KAFKA_FLAGS['connect-timeout'].default,
  )
  const compression = oneOf(
    name('compression'),
    KAFKA_FLAGS.compression.options,
    args.compression ?? KAFKA_FLAGS.compression.default,
  )
  const batchSize = args['batch-size']
  return {
    brokers,
    clientId: args['client-id'] ?? KAFKA_FLAGS['client-id'].default,
    acks,
    idempotent,
    recordTime,
    connectTimeoutMs,
    sendRetries,
    compression,
    batchBytes: batchSize === undefined ? undefined : parseBytes(name('batch-size'), batchSize, MAX_BATCH_BYTES),
    lingerMs: parseDuration(name('linger'), args.linger ?? KAFKA_FLAGS.linger.default),
    ...resolveSecurity(args, env, read, name),
    partitions: positiveInteger(
      name('partitions'),
      args.partitions ?? KAFKA_FLAGS.partitions.default,
      INT32_MAX,
      " (Kafka's limit)",
    ),
    replicationFactor: positiveInteger(
      name('replication-factor'),
      args['replication-factor'] ?? KAFKA_FLAGS['replication-factor'].default,
      MAX_REPLICATION_FACTOR,
      " (Kafka's limit)",
    ),
    topicSettings,
  }
}
