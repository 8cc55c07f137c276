import { describe, expect, it } from 'bun:test'
import { ReplayError } from '../../src/errors.ts'
import { hostPort, parseListen } from '../../src/live/address.ts'

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
