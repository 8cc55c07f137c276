import { describe, expect, it } from 'bun:test'
import { unknownVariables } from '../../src/cli/dispatch.ts'
import { envName, wantsVerbose, withEnvironment } from '../../src/cli/env.ts'
import { replayArgs } from '../../src/cli/flags.ts'

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
    expect(withEnvironment(argv, env, replayArgs).argv).toEqual(expected)
  })

  it('says which flags only the environment set', () => {
    const env = { OPENDT_REPLAY_SPEED: 'max', OPENDT_REPLAY_TO: '2h', OPENDT_REPLAY_STRICT: '1' }
    expect([...withEnvironment(['--to', '1h'], env, replayArgs).outsideArgv.keys()].sort()).toEqual(['speed', 'strict'])
  })

  it.each([
    [['--verbose'], {}, true],
    [[], { OPENDT_REPLAY_VERBOSE: '1' }, true],
    [[], { OPENDT_REPLAY_VERBOSE: 'yes' }, true],
    [['--no-verbose'], { OPENDT_REPLAY_VERBOSE: '1' }, false],
    [[], { OPENDT_REPLAY_VERBOSE: '0' }, false],
    [[], {}, false],
  ])('verbose: %j with %j is %p', (argv, env, verbose) => {
    expect(wantsVerbose(argv, env)).toBe(verbose)
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

describe('variables that name no setting', () => {
  it("a misspelt twin is named, with the nearest one; our scripts' cache folder is not", () => {
    const env = {
      OPENDT_REPLAY_SPEEED: '5',
      OPENDT_REPLAY_SPEED: '1',
      OPENDT_REPLAY_CACHE: '/x',
      OPENDT_REPLAY_ZZZ: '1',
      PATH: '/bin',
    }
    expect(unknownVariables(env)).toEqual([
      'OPENDT_REPLAY_SPEEED is not a setting of opendt-replay (did you mean OPENDT_REPLAY_SPEED?): ignored',
      'OPENDT_REPLAY_ZZZ is not a setting of opendt-replay: ignored',
    ])
  })
})
