import { beforeAll, describe, expect, it } from 'bun:test'
import { join } from 'node:path'
import { checkRelease, EXPECTED, RELEASE } from '../../scripts/check-release.ts'
import { COMPRESSIONS } from '../../src/types.ts'
import { ROOT, requireBinary, requireSurf, run } from '../helpers.ts'
import { dryRunMessages, freshTopic, readTopic, sharedBroker } from '../kafka/broker.ts'

let surf: string

beforeAll(() => {
  requireBinary()
  surf = requireSurf()
  for (const tool of ['qemu-aarch64', 'qemu-x86_64']) {
    if (!Bun.which(tool))
      throw new Error(`${tool} is missing: apt-get install qemu-user libc6-arm64-cross (.ci/run does)`)
  }
  const build = Bun.spawnSync([process.execPath, 'scripts/build.ts', '--release'], { cwd: ROOT, stderr: 'pipe' })
  if (build.exitCode !== 0) throw new Error(`scripts/build.ts --release failed:\n${build.stderr}`)
}, 300_000)

describe('release artifacts', () => {
  it("every platform: right format, worker and codecs embedded, Linux ones give the host build's bytes", async () => {
    const checks = await checkRelease()
    expect(checks.filter((c) => !c.ok)).toEqual([])
    // 1 SHA256SUMS check, 5 per artifact, 2 per run (natively or under qemu): 4 runs in all.
    expect(checks.length).toBe(1 + 6 * 5 + 4 * 2)
  }, 300_000)

  describe('each codec from each Linux build, natively and under qemu, into a real broker', () => {
    const broker = sharedBroker()

    // Ten minutes of SURF: 1,620 fragments, in record batches each codec compresses.
    const window = ['--from', '3d', '--to', '3d10m']
    const runs = Object.entries(EXPECTED).flatMap(([name, e]) => (e.run ?? []).map((prefix) => ({ name, prefix })))

    it.each(runs.map((r) => [r.name, r.prefix.join(' ') || 'natively', r]))(
      "%s %s: none, gzip, snappy, lz4 and zstd read back whole by Kafka's Java consumer",
      async (_, __, { name, prefix }) => {
        const dry = dryRunMessages(
          (await run([requireBinary(), 'replay', surf, '--dry-run', '--speed', 'max', ...window])).stdout,
        )
        expect(dry.fragments.length).toBe(1620)
        for (const codec of COMPRESSIONS) {
          const [tasks, fragments] = [freshTopic('tasks'), freshTopic('fragments')]
          const sent = await run([
            ...prefix,
            join(RELEASE, name),
            'replay',
            surf,
            ...window,
            '--brokers',
            broker.bootstrap,
            '--speed',
            'max',
            '--compression',
            codec,
            '--tasks-topic',
            tasks,
            '--fragments-topic',
            fragments,
          ])
          expect([codec, sent.code]).toEqual([codec, 0])
          const got = (await readTopic(broker.bootstrap, fragments)).map((r) => [r.key, r.value])
          expect([codec, got.length]).toEqual([codec, dry.fragments.length])
          expect(got).toEqual(dry.fragments)
          expect((await readTopic(broker.bootstrap, tasks)).map((r) => [r.key, r.value])).toEqual(dry.tasks)
        }
      },
      300_000,
    )
  })
})
