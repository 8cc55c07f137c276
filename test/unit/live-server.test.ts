import { describe, expect, it } from 'bun:test'
import { ReplayError } from '../../src/errors.ts'
import { hostPort, parseListen } from '../../src/live/address.ts'
import { healthOf } from '../../src/live/health.ts'
import type { LiveState, LiveStatus } from '../../src/live/status.ts'

/** A status as a replay would keep it, `overrides` applied. */
function statusOf(overrides: Partial<LiveStatus> = {}): LiveStatus {
  return {
    command: 'replay',
    version: '0.1.0',
    state: 'running',
    stalled: null,
    error: null,
    now: '2024-01-01T00:00:10.000Z',
    settings: {
      format: 'tasks-fragments',
      output: 'kafka',
      topics: { tasks: 'tasks', fragments: 'fragments' },
      speed: 'max',
      window: { from: '2022-10-07T00:00:00.000Z', to: null },
      shard: null,
      brokers: ['127.0.0.1:9092'],
      stallAfterSeconds: 30,
    },
    startedAt: '2024-01-01T00:00:00.000Z',
    elapsedSeconds: 10,
    trace: {
      from: '2022-10-07T00:00:00.000Z',
      to: '2022-10-14T00:00:00.000Z',
      acknowledged: null,
      acknowledgedSeconds: null,
      fraction: 0,
      etaSeconds: null,
    },
    topics: [],
    lateness: { messages: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, currentMs: 0 },
    retries: 0,
    errors: 0,
    secondsSinceLastAcknowledgement: null,
    summary: null,
    ...overrides,
  }
}

describe('parseListen', () => {
  it.each([
    ['8080', { host: '127.0.0.1', port: 8080 }],
    ['0', { host: '127.0.0.1', port: 0 }],
    ['65535', { host: '127.0.0.1', port: 65535 }],
    ['0.0.0.0:9464', { host: '0.0.0.0', port: 9464 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['replay.example-host.org:80', { host: 'replay.example-host.org', port: 80 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['[::]:8080', { host: '::', port: 8080 }],
    ['[::ffff:127.0.0.1]:1', { host: '::ffff:127.0.0.1', port: 1 }],
  ])('%s', (text, listen) => expect(parseListen(text, '--http')).toEqual({ ...listen, name: '--http' }))

  it.each([
    '',
    'abc',
    'host:',
    ':80',
    ':',
    '80a',
    '-1',
    '+80',
    '8080 ',
    ' 8080',
    '123456',
    'a b:80',
    '[::1]',
    '[]:80',
    '[x]:80',
    '[::1]:',
    'host:80:81',
    'http://host:80',
    'host:0x50',
  ])('rejects "%s"', (text) => {
    expect(() => parseListen(text, '--http')).toThrow(
      new ReplayError('bad-input', `--http: expected [HOST:]PORT with PORT 0 to 65535, got "${text}"`),
    )
  })
  it.each(['65536', 'localhost:99999'])('rejects a port beyond 65535: %s', (text) => {
    expect(() => parseListen(text, '--http')).toThrow(
      `--http: port ${text.split(':').at(-1)} is beyond 65535, got "${text}"`,
    )
  })
  it.each(['::1:8080', '::1', 'fe80::1:80'])('asks for brackets around an IPv6 host: %s', (text) => {
    expect(() => parseListen(text, '--http')).toThrow(
      `--http: an IPv6 host goes in brackets, as in [::1]:8080, got "${text}"`,
    )
  })
  it('names the setting as the user gave it, as bad input (exit 2)', () => {
    let error: unknown
    try {
      parseListen('abc', 'OPENDT_REPLAY_HTTP')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ReplayError)
    expect((error as ReplayError).exitCode).toBe(2)
    expect((error as ReplayError).message).toBe(
      'OPENDT_REPLAY_HTTP: expected [HOST:]PORT with PORT 0 to 65535, got "abc"',
    )
  })
  it('writes an IPv6 host in brackets', () => {
    expect(hostPort('::1', 80)).toBe('[::1]:80')
    expect(hostPort('127.0.0.1', 80)).toBe('127.0.0.1:80')
  })
})

describe('healthOf', () => {
  const at = (state: LiveState, stalledSeconds?: number, error: string | null = null) =>
    statusOf({
      state,
      error,
      stalled:
        stalledSeconds === undefined
          ? null
          : {
              reason: 'no acknowledgement from 127.0.0.1:9092',
              since: '2024-01-01T00:00:00.000Z',
              seconds: stalledSeconds,
            },
    })
  it.each([
    ['starting', undefined, 200],
    ['waiting', undefined, 200],
    ['running', undefined, 200],
    ['interrupted', undefined, 200],
    ['done', undefined, 200],
    ['stalled', 0, 200],
    ['stalled', 29.999, 200],
    ['stalled', 30, 503],
    ['stalled', 31, 503],
    ['failed', undefined, 503],
  ] as const)('%s, stalled %p s: %d', (state, seconds, code) => {
    const status = at(state, seconds)
    expect(healthOf(status)).toEqual({
      ok: code === 200,
      status: code,
      body: { state, stalled: status.stalled, error: null },
    })
  })
  it('follows --stall-after', () => {
    const status = at('stalled', 5)
    status.settings.stallAfterSeconds = 5
    expect(healthOf(status).status).toBe(503)
    status.settings.stallAfterSeconds = 5.5
    expect(healthOf(status).status).toBe(200)
  })
  it('carries the error line of a failure', () => {
    expect(healthOf(at('failed', undefined, 'Kafka lost mid-run')).body).toEqual({
      state: 'failed',
      stalled: null,
      error: 'Kafka lost mid-run',
    })
  })
})
