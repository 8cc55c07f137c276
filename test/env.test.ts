import { describe, expect, it } from 'bun:test'
import { replayArgs } from '../src/cli.ts'
import { envName, withEnvironment } from '../src/env.ts'

describe('environment twins of the flags', () => {
  it.each([
    [[], {}, []],
    [[], { OPENDT_REPLAY_SPEED: 'max' }, ['--speed=max']],
    [['--speed', '5'], { OPENDT_REPLAY_SPEED: 'max' }, ['--speed', '5']],
    [['--speed=5'], { OPENDT_REPLAY_SPEED: 'max' }, ['--speed=5']],
    [[], { OPENDT_REPLAY_DRY_RUN: '1', OPENDT_REPLAY_STRICT: 'no' }, ['--dry-run', '--no-strict']],
    [['--no-idempotent'], { OPENDT_REPLAY_IDEMPOTENT: 'true' }, ['--no-idempotent']],
    [['--dry-run'], { OPENDT_REPLAY_BROKERS: 'k:9092' }, ['--dry-run']],
    [['--brokers', 'k:9092'], { OPENDT_REPLAY_DRY_RUN: 'yes' }, ['--brokers', 'k:9092']],
    [['x', '--', '--speed'], { OPENDT_REPLAY_TO: '2h' }, ['x', '--to=2h', '--', '--speed']],
  ])('%j with %j gives %j', (argv, env, expected) => {
    expect(withEnvironment(argv, env, replayArgs)).toEqual(expected)
  })

  it('names each variable after its flag', () => {
    expect(envName('replication-factor')).toBe('OPENDT_REPLAY_REPLICATION_FACTOR')
  })

  it('rejects a boolean it cannot read, naming the variable', () => {
    expect(() => withEnvironment([], { OPENDT_REPLAY_STRICT: 'maybe' }, replayArgs)).toThrow(
      'OPENDT_REPLAY_STRICT: expected 1/true/yes or 0/false/no, got "maybe"',
    )
  })
})
