import { expect, it } from 'bun:test'
import { checkRelease } from '../../scripts/check-release.ts'
import { ROOT, requireBinary, requireSurf } from '../helpers.ts'

it("release artifacts for every platform: right format, worker embedded, Linux ones give the host build's bytes", async () => {
  requireBinary()
  requireSurf()
  for (const tool of ['qemu-aarch64', 'qemu-x86_64']) {
    if (!Bun.which(tool))
      throw new Error(`${tool} is missing: apt-get install qemu-user libc6-arm64-cross (.ci/run does)`)
  }
  const build = Bun.spawnSync([process.execPath, 'scripts/build.ts', '--release'], { cwd: ROOT, stderr: 'pipe' })
  expect(build.exitCode).toBe(0)
  const checks = await checkRelease()
  expect(checks.filter((c) => !c.ok)).toEqual([])
  // 1 SHA256SUMS check, 4 per artifact, 2 per run (natively or under qemu): 4 runs in all.
  expect(checks.length).toBe(1 + 6 * 4 + 4 * 2)
}, 300_000)
