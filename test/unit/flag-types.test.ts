import { describe, expect, it } from 'bun:test'
import { DEFAULTS, type ReplayArgs, replayArgs, type VerifyArgs } from '../../src/cli/flags.ts'
import { commandHelp } from '../../src/cli/help.ts'
import { oneOf } from '../../src/core/flag-values.ts'
import { KAFKA_FLAGS } from '../../src/outputs/kafka/flags.ts'
import type { FlagDef } from '../../src/types.ts'

/**
 * A flag's type is written once, in its citty definition: the parsed-argument types are derived
 * from it (citty's ParsedArgs). The @ts-expect-error lines fail `bun run typecheck` if a wrong
 * type is ever accepted; the expects pin what each value is at run time.
 */
describe("flag types follow citty's definitions", () => {
  it('a string flag takes text, a boolean flag a boolean, a format flag its text by name', () => {
    const args: ReplayArgs = { speed: '5', idempotent: false, heartbeat: '2m' }
    // @ts-expect-error --speed is a string flag
    const speed: ReplayArgs = { speed: 5 }
    // @ts-expect-error --idempotent is a boolean flag
    const idempotent: ReplayArgs = { idempotent: 'yes' }
    const verify: VerifyArgs = { follow: true, since: '0' }
    expect([args.speed, args.idempotent, args.heartbeat, speed.speed, idempotent.idempotent]).toEqual([
      '5',
      false,
      '2m',
      5,
      'yes',
    ])
    expect(verify).toEqual({ follow: true, since: '0' })
  })

  it('each default is read from its definition', () => {
    expect(DEFAULTS.speed).toBe(replayArgs.speed.default)
    expect(DEFAULTS).toEqual({ speed: '10', 'stats-interval': '60s', 'stall-after': '30s', 'http-linger': '0s' })
    const outputDefaults = Object.fromEntries(
      Object.entries(KAFKA_FLAGS).flatMap(([flag, def]) =>
        'default' in def && def.type !== 'boolean' ? [[flag, def.default]] : [],
      ),
    )
    expect(outputDefaults).toEqual({
      acks: 'all',
      'send-retries': '8',
      'record-time': 'send',
      'connect-timeout': '30s',
      compression: 'none',
      linger: '0ms',
      'client-id': 'opendt-replay',
      partitions: '1',
      'replication-factor': '1',
    })
  })
})

describe('closed sets of values are enum flags, written once', () => {
  it.each([
    ['acks', 'all|1|0'],
    ['compression', 'none|gzip|snappy|lz4|zstd'],
    ['record-time', 'send|trace'],
    ['sasl', 'plain|scram-sha-256|scram-sha-512'],
    ['shard-control', 'first|all'],
    ['format', 'tasks-fragments|dc-mock'],
  ] as const)('--%s takes %s, and --help shows them from its options', (flag, values) => {
    const def: FlagDef = replayArgs[flag]
    expect([def.type, def.options?.join('|'), def.valueHint]).toEqual(['enum', values, undefined])
    const shown = `  --${flag} ${values}`
    expect(
      commandHelp('replay', 80)
        .split('\n')
        .filter((l) => l === shown || l.startsWith(`${shown} `)),
    ).toHaveLength(1)
  })

  it("is text until its check reads it: our one-line error, from the definition's options", () => {
    // citty is handed enums as strings (cli/dispatch.ts): a value outside the options reaches our check.
    const args: ReplayArgs = { acks: 'some', 'shard-control': 'most' }
    expect(args.acks).toBe('some')
    expect(() => oneOf('--shard-control', replayArgs['shard-control'].options, 'most')).toThrow(
      '--shard-control: expected first or all, got "most"',
    )
    expect(oneOf('--sasl', replayArgs.sasl.options, 'PLAIN', 'plain')).toBe('plain')
  })
})
