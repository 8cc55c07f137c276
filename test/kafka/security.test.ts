import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FIXTURES, requireBinary, run, temporaryFolders } from '../helpers.ts'
import { type Broker, readTopic, startBroker } from './broker.ts'

const tempDir = temporaryFolders()

/**
 * Against the project's own broker with a SASL_PLAINTEXT listener (SCRAM-SHA-256/512 and PLAIN,
 * user "replay", password "replay-secret") and an SSL listener that requires a client certificate
 * (scripts/kafka.sh with KAFKA_SECURE=1; certificates made by openssl and keytool).
 */
let broker: Broker
let state: string
let bin: string
let serial = 0
const PASSWORD = 'replay-secret'
const fresh = (what: string) => `${what}-${Date.now()}-${++serial}`
const trace = join(FIXTURES, 'v5-interleaved')

beforeAll(async () => {
  bin = requireBinary()
  state = tempDir('opendt-secure-kafka-')
  broker = await startBroker({ KAFKA_STATE_DIR: state, KAFKA_SECURE: '1' })
}, 600_000)

afterAll(async () => {
  await broker?.stop()
}, 120_000)

const sasl = () => readFileSync(join(state, 'sasl_bootstrap'), 'utf8').trim()
const ssl = () => readFileSync(join(state, 'ssl_bootstrap'), 'utf8').trim()

describe('brokers that need credentials', () => {
  it.each(['scram-sha-256', 'scram-sha-512', 'plain'])(
    '--sasl %s with the password from KAFKA_SASL_PASSWORD',
    async (mechanism) => {
      const tasks = fresh('tasks')
      const fragments = fresh('fragments')
      const result = await run(
        [
          bin,
          'replay',
          trace,
          '--brokers',
          sasl(),
          '--sasl',
          mechanism,
          '--sasl-username',
          'replay',
          '--speed',
          'max',
          '--tasks-topic',
          tasks,
          '--fragments-topic',
          fragments,
        ],
        { env: { KAFKA_SASL_PASSWORD: PASSWORD } },
      )
      expect(result.code).toBe(0)
      expect((await readTopic(broker.bootstrap, tasks)).length).toBe(5)
      expect((await readTopic(broker.bootstrap, fragments)).length).toBe(12)
    },
    60_000,
  )

  it('the password from --sasl-password-file; it is never printed, nor in the JSON summary', async () => {
    const dir = tempDir('opendt-secret-')
    writeFileSync(join(dir, 'password'), `${PASSWORD}\n`)
    const summary = join(dir, 'summary.json')
    const result = await run([
      bin,
      'replay',
      trace,
      '--brokers',
      sasl(),
      '--sasl',
      'scram-sha-512',
      '--sasl-username',
      'replay',
      '--sasl-password-file',
      join(dir, 'password'),
      '--speed',
      'max',
      '--verbose',
      '--summary-json',
      summary,
      '--tasks-topic',
      fresh('tasks'),
      '--fragments-topic',
      fresh('fragments'),
    ])
    expect(result.code).toBe(0)
    expect(result.stderr).not.toContain(PASSWORD)
    expect(readFileSync(summary, 'utf8')).not.toContain(PASSWORD)
  }, 60_000)

  it('a wrong password: one line, exit 5, no retry loop', async () => {
    const started = performance.now()
    const result = await run(
      [bin, 'replay', trace, '--brokers', sasl(), '--sasl', 'scram-sha-256', '--sasl-username', 'replay'],
      {
        env: { KAFKA_SASL_PASSWORD: 'not-the-password' },
      },
    )
    expect(result).toEqual({
      code: 5,
      stdout: '',
      stderr: `[error] Kafka at ${sasl()} rejected the credentials of user "replay" (SCRAM-SHA-256): SASL SCRAM SHA256 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256\n`,
    })
    expect(performance.now() - started).toBeLessThan(10_000) // far below the 30 s connect timeout
  }, 60_000)

  it('TLS with the test CA and a client certificate', async () => {
    const tasks = fresh('tasks')
    const result = await run([
      bin,
      'replay',
      trace,
      '--brokers',
      ssl(),
      '--tls-ca',
      join(state, 'ca.pem'),
      '--tls-cert',
      join(state, 'client.pem'),
      '--tls-key',
      join(state, 'client.key'),
      '--speed',
      'max',
      '--tasks-topic',
      tasks,
      '--fragments-topic',
      fresh('fragments'),
    ])
    expect(result.code).toBe(0)
    expect((await readTopic(broker.bootstrap, tasks)).length).toBe(5)
  }, 60_000)

  it('TLS without the client certificate the listener requires cannot connect: exit 3', async () => {
    const result = await run([
      bin,
      'replay',
      trace,
      '--brokers',
      ssl(),
      '--tls-ca',
      join(state, 'ca.pem'),
      '--connect-timeout',
      '2s',
    ])
    expect(result.code).toBe(3)
    expect(result.stderr).toStartWith(`[error] cannot reach Kafka at ${ssl()} within 2 s: `)
  }, 60_000)
})

describe('credential flags', () => {
  it.each([
    [['--sasl', 'scram-sha-256'], {}, '--sasl scram-sha-256 needs --sasl-username'],
    [
      ['--sasl', 'scram-sha-256', '--sasl-username', 'u'],
      {},
      '--sasl scram-sha-256 needs a password: set KAFKA_SASL_PASSWORD or pass --sasl-password-file FILE',
    ],
    [
      ['--sasl', 'kerberos', '--sasl-username', 'u'],
      {},
      '--sasl: expected plain, scram-sha-256 or scram-sha-512, got "kerberos"',
    ],
    [
      ['--sasl-username', 'u'],
      {},
      '--sasl-username and --sasl-password-file need --sasl plain|scram-sha-256|scram-sha-512',
    ],
    [
      ['--sasl', 'plain', '--sasl-username', 'u', '--sasl-password-file', '/no/such/file'],
      {},
      '--sasl-password-file: /no/such/file: no such file',
    ],
    [['--tls-cert', 'c.pem'], {}, '--tls-cert and --tls-key go together'],
    [['--tls-ca', '/no/ca.pem'], {}, '--tls-ca: /no/ca.pem: no such file'],
  ])('%j', async (flags, env, message) => {
    const result = await run([bin, 'replay', '--brokers', '127.0.0.1:9', ...flags], { env })
    expect(result).toEqual({ code: 2, stdout: '', stderr: `[error] ${message}\n` })
  })
})
