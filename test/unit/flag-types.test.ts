import { describe, expect, it } from 'bun:test'
import { DEFAULTS, type ReplayArgs, replayArgs, type VerifyArgs } from '../../src/cli/flags.ts'
import { KAFKA_FLAGS } from '../../src/outputs/kafka/flags.ts'

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
    expect(DEFAULTS).toEqual({ speed: '10', 'stats-interval': '60s' })
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
