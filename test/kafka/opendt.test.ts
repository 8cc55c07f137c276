import { beforeAll, describe, expect, it } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, requireBinary, requireSurf, run, temporaryFolders } from '../helpers.ts'
import { openDtYaml } from '../opendt-config.ts'
import { compact, recordedByTopic, WALL_CLOCK } from '../recording.ts'
import { createTopics, describeTopic, freshTopic, readTopic, sharedBroker, topicsExist } from './broker.ts'

const tempDir = temporaryFolders()

/**
 * `opendt-replay` started as OpenDT's compose starts its dc-mock: no arguments, and only
 * CONFIG_FILE, WORKLOAD_DIR and KAFKA_BOOTSTRAP_SERVERS in its environment. Read back with Kafka's
 * Java consumer and described with its Java admin client: the topics are made as kafka-init makes
 * them, and hold byte for byte what the equivalent `replay --format dc-mock` flags send.
 */
const broker = sharedBroker()
let bin: string
let surf: string

beforeAll(() => {
  bin = requireBinary()
  surf = requireSurf()
})

/** OpenDT's config/default.yaml in shape, with our topic names and a speed, written to a file. */
function openDtConfig(names: { workload: string; power: string; topology: string }, speed: number): string {
  const path = join(tempDir('opendt-config-'), 'config.yaml')
  writeFileSync(path, openDtYaml(speed, names))
  return path
}

/** Runs the binary with these arguments (none: as OpenDT's compose does) and exactly this environment, and PATH. */
function bare(env: Record<string, string>, args: string[] = []) {
  return run([bin, ...args], { env: { ...env, PATH: process.env.PATH ?? '/usr/bin:/bin' }, clean: true })
}

const fresh = () => ({
  workload: freshTopic('dc.workload'),
  power: freshTopic('dc.power'),
  topology: freshTopic('dc.topology'),
})

describe("as OpenDT's dc-mock, from its environment and config file alone", () => {
  it('SURF at speed_factor -1: topics as kafka-init makes them, messages as the dc-mock flags send them', async () => {
    const names = fresh()
    const config = openDtConfig(names, -1)
    const sent = await bare({ CONFIG_FILE: config, WORKLOAD_DIR: surf, KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap })
    const info = sent.stderr.split('\n').filter((l) => l.startsWith('[info] '))
    expect([sent.code, ...info.slice(0, 16).map((l) => l.slice(7))]).toEqual([
      0,
      "no command given and CONFIG_FILE is set: running as OpenDT's dc-mock (opendt-replay dc-mock); opendt-replay --help lists the commands",
      `as OpenDT's dc-mock, from CONFIG_FILE ${config}:`,
      "--format dc-mock: OpenDT's dc-mock",
      `TRACE_DIR ${surf}: WORKLOAD_DIR`,
      `--brokers ${broker.bootstrap}: KAFKA_BOOTSTRAP_SERVERS`,
      `--speed max: ${config}: global.speed_factor`,
      `--heartbeat 1m: ${config}: services.dc-mock.heartbeat_frequency_minutes`,
      `--workload-topic ${names.workload}: ${config}: kafka.topics.workload.name`,
      `--power-topic ${names.power}: ${config}: kafka.topics.power.name`,
      `--topology-topic ${names.topology}: ${config}: kafka.topics.topology.name`,
      `created topic ${names.workload} (1 partition, replication factor 1; retention.ms=86400000)`,
      `created topic ${names.power} (1 partition, replication factor 1; retention.ms=3600000)`,
      `created topic ${names.topology} (1 partition, replication factor 1; cleanup.policy=compact, min.compaction.lag.ms=3600000)`,
      `replaying 2022-10-06T22:00:00Z to end at max speed into ${names.workload}, ${names.power} and ${names.topology} at ${broker.bootstrap}`,
      expect.stringMatching(
        /^17931 workload sent, 17931 acknowledged; 20159 power sent, 20159 acknowledged; 20161 topology sent, 20161 acknowledged in /,
      ),
    ])
    expect(await describeTopic(broker.bootstrap, names.workload)).toEqual([
      'partitions 1',
      'replication-factor 1',
      'config retention.ms=86400000',
    ])
    expect(await describeTopic(broker.bootstrap, names.power)).toEqual([
      'partitions 1',
      'replication-factor 1',
      'config retention.ms=3600000',
    ])
    expect(await describeTopic(broker.bootstrap, names.topology)).toEqual([
      'partitions 1',
      'replication-factor 1',
      'config cleanup.policy=compact',
      'config min.compaction.lag.ms=3600000',
    ])
    // The same replay by flags, to stdout: every record equals its line, key and value bytes.
    const flags = ['--workload-topic', names.workload, '--power-topic', names.power, '--topology-topic', names.topology]
    const dry = await run([bin, 'replay', surf, '--format', 'dc-mock', '--speed', 'max', '--dry-run', ...flags])
    const lines = dry.stdout.trimEnd().split('\n')
    const unstamped = (text: string) => text.replace(WALL_CLOCK, '"timestamp":"T"')
    for (const [role, topic] of Object.entries(names)) {
      const expected = lines
        .filter((l) => l.startsWith(`{"topic":"${topic}"`))
        .map((l) => {
          const { key } = JSON.parse(l.slice(0, l.indexOf(',"value":')) + '}')
          return `${key ?? 'null'} ${l.slice(l.indexOf(',"value":') + 9, -1)}`
        })
      const got = (await readTopic(broker.bootstrap, topic)).map((r) => `${r.key} ${r.value}`)
      if (role === 'topology') expect(got.map(unstamped)).toEqual(expected.map(unstamped))
      else expect(got).toEqual(expected)
      // SURF's first three hours: what OpenDT's dc-mock itself sent (its recording), message for message.
      const theirs = recordedByTopic().get(`dc.${role}`)!
      const asRecorded = (r: string) => {
        const space = r.indexOf(' ')
        const key = r.slice(0, space)
        return compact(
          `{"topic":"dc.${role}","key":${key === 'null' ? 'null' : JSON.stringify(key)},"value":${r.slice(space + 1)}}`,
        )
      }
      if (role === 'topology') expect(unstamped(asRecorded(got[0]!))).toBe(unstamped(theirs[0]!))
      else expect(got.slice(0, theirs.length).map(asRecorded)).toEqual(theirs)
    }
  }, 300_000)

  it("topic settings Kafka refuses: exit 2, one line naming the key and Kafka's reason; no topic made", async () => {
    const KAFKA_35 = /^3\.5\./.test(process.env.KAFKA_VERSION ?? '')
    // A small trace: the topics are prepared once it is loaded.
    const env = { WORKLOAD_DIR: join(ROOT, 'test/fixtures/v2-int-ids'), KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap }
    const errorsOf = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('[error]'))
    const cases: [string, string[], (names: ReturnType<typeof fresh>, config: string) => string][] = [
      [
        'retention.ms: "abc"',
        [],
        (_, config) =>
          `${config}: kafka.topics.power.config.retention.ms: "abc" is refused by Kafka: Invalid value abc for configuration retention.ms: Not a number of type LONG; nothing was created or sent`,
      ],
      [
        'cleanup.policy: "bogus"',
        [],
        (_, config) =>
          `${config}: kafka.topics.topology.config.cleanup.policy: "bogus" is refused by Kafka: Invalid value bogus for configuration cleanup.policy: String must be one of: compact, delete; nothing was created or sent`,
      ],
      [
        '',
        ['dc-mock', '--partitions', '1000000000'],
        (names, config) =>
          // Kafka 3.5 names no setting: the topic is named with both of its counts.
          KAFKA_35
            ? `${config}: kafka.topics.workload (--partitions 1000000000, replication_factor: 1) is refused by Kafka: The server experienced an unexpected error when processing the request; nothing was created or sent`
            : `--partitions 1000000000 (topic ${names.workload}) is refused by Kafka: Excessively large number of partitions per request; nothing was created or sent`,
      ],
    ]
    const made: string[] = []
    for (const [setting, args, line] of cases) {
      const names = fresh()
      let text = openDtYaml(-1, names)
      if (setting.startsWith('retention')) text = text.replace('retention.ms: "3600000"', setting)
      if (setting.startsWith('cleanup')) text = text.replace('cleanup.policy: "compact"', setting)
      const config = join(tempDir('opendt-config-'), 'config.yaml')
      writeFileSync(config, text)
      const sent = await bare({ CONFIG_FILE: config, ...env }, args)
      expect([sent.code, errorsOf(sent.stderr), sent.stdout]).toEqual([2, [`[error] ${line(names, config)}`], ''])
      made.push(...Object.values(names))
    }
    // None of the nine topics exists, as Kafka's Java admin client lists them.
    expect(await topicsExist(broker.bootstrap, made)).toEqual(made.map((t) => `${t} no`))
  }, 120_000)

  it('an existing topic is used as it is; a flag wins over the config file and says so', async () => {
    const names = fresh()
    await createTopics(broker.bootstrap, [names.workload], 2)
    const config = openDtConfig(names, 300)
    const sent = await bare({ CONFIG_FILE: config, WORKLOAD_DIR: surf, KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap }, [
      'dc-mock',
      '--speed',
      'max',
      '--to',
      '10m',
      '--partitions',
      '3',
    ])
    const info = sent.stderr.split('\n').filter((l) => l.startsWith('[info] '))
    expect([sent.code, info[4], info[5]]).toEqual([
      0,
      `[info] --speed: as given (over ${config}: global.speed_factor)`,
      `[info] --heartbeat 1m: ${config}: services.dc-mock.heartbeat_frequency_minutes`,
    ])
    expect(info.filter((l) => l.includes('created topic'))).toEqual([
      `[info] created topic ${names.power} (3 partitions, replication factor 1; retention.ms=3600000)`,
      `[info] created topic ${names.topology} (3 partitions, replication factor 1; cleanup.policy=compact, min.compaction.lag.ms=3600000)`,
    ])
    expect(await describeTopic(broker.bootstrap, names.workload)).toEqual(['partitions 2', 'replication-factor 1'])
    const workload = await readTopic(broker.bootstrap, names.workload)
    // Ten minutes of SURF: 10 heartbeats and 122 tasks, over the topic's two partitions.
    expect([workload.length, workload.filter((r) => r.key === 'heartbeat').length]).toEqual([132, 10])
  }, 120_000)
})
