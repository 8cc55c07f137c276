#!/usr/bin/env bun
/**
 * Checks every release artifact in dist/release (after `bun run build:release` and `bun run build`):
 *
 *   bun scripts/check-release.ts
 *
 * - SHA256SUMS lists each artifact with its true hash;
 * - each file is an executable of the right format and CPU (ELF x86-64/aarch64, Mach-O
 *   x86_64/arm64, PE32+ x86-64) and embeds the worker entrypoint (the compiled module graph
 *   holds `/$bunfs/root/run/worker.js`, `B:/~BUN/root/run/worker.js` on Windows);
 * - each embeds the Kafka codecs that are not Bun's own (the LZ4 frame code and snappyjs; zstd is
 *   in Bun's runtime); test/release/release.test.ts also sends with each codec from each Linux
 *   build, natively and under qemu, into a real broker;
 * - the Linux ones run: --version, and a one-hour SURF window whose dry-run output must equal the
 *   host build's byte for byte; linux-arm64 under qemu-aarch64 (Debian's qemu-user, with the
 *   libc from libc6-arm64-cross), linux-x64-baseline also under qemu-x86_64 -cpu Nehalem, a CPU
 *   without AVX2. Darwin and Windows cannot run here: format and contents only.
 * Prints one line per check and exits 1 if any fails.
 */
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dir, '..')
export const RELEASE = join(root, 'dist', 'release')
export const HOST = join(root, 'dist', 'opendt-replay')
const SURF = resolve(root, '..', 'shared', 'data', 'surf')
const WINDOW = ['replay', SURF, '--dry-run', '--speed', 'max', '--from', '3d', '--to', '3d1h']

export interface Check {
  artifact: string
  check: string
  ok: boolean
  detail: string
}

type Format = { kind: 'elf'; machine: number } | { kind: 'macho'; cpu: number } | { kind: 'pe' }
const ELF_X86_64 = 62
const ELF_AARCH64 = 183
const MACHO_X86_64 = 0x01000007
const MACHO_ARM64 = 0x0100000c

export const EXPECTED: Record<string, { format: Format; run?: string[][] }> = {
  'opendt-replay-linux-x64': { format: { kind: 'elf', machine: ELF_X86_64 }, run: [[]] },
  'opendt-replay-linux-x64-baseline': {
    format: { kind: 'elf', machine: ELF_X86_64 },
    run: [[], ['qemu-x86_64', '-cpu', 'Nehalem']],
  },
  'opendt-replay-linux-arm64': {
    format: { kind: 'elf', machine: ELF_AARCH64 },
    run: [['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu']],
  },
  'opendt-replay-darwin-x64': { format: { kind: 'macho', cpu: MACHO_X86_64 } },
  'opendt-replay-darwin-arm64': { format: { kind: 'macho', cpu: MACHO_ARM64 } },
  'opendt-replay-windows-x64.exe': { format: { kind: 'pe' } },
}

/** What the file's header says it is. */
export function formatOf(bytes: Uint8Array): Format | { kind: 'unknown' } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46 && bytes[4] === 2) {
    return { kind: 'elf', machine: view.getUint16(18, true) }
  }
  if (view.getUint32(0, true) === 0xfeedfacf) return { kind: 'macho', cpu: view.getUint32(4, true) }
  if (bytes[0] === 0x4d && bytes[1] === 0x5a) {
    const pe = view.getUint32(0x3c, true)
    const isPe = view.getUint32(pe, true) === 0x00004550
    if (isPe && view.getUint16(pe + 4, true) === 0x8664 && view.getUint16(pe + 24, true) === 0x20b)
      return { kind: 'pe' }
  }
  return { kind: 'unknown' }
}

/**
 * Text that only the bundled codecs carry (minifying keeps string literals): src/kafka/codecs.ts's
 * LZ4 frames, and snappyjs. zstd is Bun's runtime (Bun.zstdCompressSync), in every target's.
 */
const CODEC_MARKERS = ['lz4: not an LZ4 frame', 'Invalid Snappy bitstream']

function run(cmd: string[]): { code: number; out: Buffer; err: string } {
  const p = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe' })
  return { code: p.exitCode, out: p.stdout, err: p.stderr.toString() }
}

export async function checkRelease(): Promise<Check[]> {
  const checks: Check[] = []
  const add = (artifact: string, check: string, ok: boolean, detail = '') =>
    checks.push({ artifact, check, ok, detail })
  const sums = new Map(
    (await Bun.file(join(RELEASE, 'SHA256SUMS')).text())
      .trim()
      .split('\n')
      .map((l) => l.split('  ').reverse() as [string, string]),
  )
  add(
    'SHA256SUMS',
    'lists every artifact',
    [...sums.keys()].sort().join() === Object.keys(EXPECTED).sort().join(),
    [...sums.keys()].join(' '),
  )
  const hostVersion = run([HOST, '--version']).out.toString()
  const hostWindow = run([HOST, ...WINDOW]).out
  for (const [name, expected] of Object.entries(EXPECTED)) {
    const path = join(RELEASE, name)
    const bytes = new Uint8Array(await Bun.file(path).arrayBuffer())
    const hash = new Bun.CryptoHasher('sha256').update(bytes).digest('hex')
    add(name, 'sha256 matches SHA256SUMS', sums.get(name) === hash, hash)
    const format = formatOf(bytes)
    add(
      name,
      `format ${JSON.stringify(expected.format)}`,
      JSON.stringify(format) === JSON.stringify(expected.format),
      JSON.stringify(format),
    )
    const entry = Buffer.from(name.endsWith('.exe') ? 'B:/~BUN/root/run/worker.js' : '/$bunfs/root/run/worker.js')
    add(name, 'embeds the worker entrypoint', Buffer.from(bytes.buffer).indexOf(entry) >= 0)
    const missing = CODEC_MARKERS.filter((m) => Buffer.from(bytes.buffer).indexOf(m) < 0)
    add(name, 'embeds the codecs (lz4 frames, snappyjs)', missing.length === 0, missing.join(', '))
    add(name, `size ${(bytes.length / 1e6).toFixed(1)} MB`, bytes.length > 0)
    for (const prefix of expected.run ?? []) {
      const how = prefix.length ? prefix.join(' ') : 'natively'
      const version = run([...prefix, path, '--version'])
      add(
        name,
        `--version ${how}`,
        version.code === 0 && version.out.toString() === hostVersion,
        version.out.toString().trim() || version.err,
      )
      const window = run([...prefix, path, ...WINDOW])
      add(
        name,
        `SURF window ${how}: same bytes as the host build`,
        window.code === 0 && window.out.length > 0 && window.out.equals(hostWindow),
        `${window.out.length} bytes, exit ${window.code}`,
      )
    }
  }
  return checks
}

if (import.meta.main) {
  const checks = await checkRelease()
  for (const c of checks)
    console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.artifact}: ${c.check}${c.detail ? ` (${c.detail})` : ''}`)
  process.exit(checks.every((c) => c.ok) ? 0 : 1)
}
