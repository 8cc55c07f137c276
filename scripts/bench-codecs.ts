#!/usr/bin/env bun
/**
 * How fast the record-batch codecs (src/kafka/codecs.ts) compress what a replay sends (prints
 * figures; not a timed test). After `bun run build`:
 *
 *   bun scripts/bench-codecs.ts [TRACE_DIR] [--mb N]
 *
 * Takes the first N MB (default 60) of the trace's dry-run lines in each format
 * (`dist/opendt-replay replay TRACE --dry-run --speed max`; dc-mock's without dc.topology, whose
 * wall-clock stamps differ from run to run), then compresses them in 1 MiB frames,
 * as a send of the default size is compressed, with each codec: 3 passes each, alternating, and
 * prints each pass's MB/s, the compressed share, and the md5 of the frames (a change to a codec
 * that should keep its bytes must keep it).
 */
import { resolve } from 'node:path'
import { LZ4, SNAPPY, ZSTD } from '../src/kafka/codecs.ts'

const root = resolve(import.meta.dir, '..')
const argv = process.argv.slice(2)
const mbAt = argv.indexOf('--mb')
const mb = mbAt < 0 ? 60 : Number(argv[mbAt + 1])
const trace = resolve(
  argv.find((a, i) => !a.startsWith('--') && (mbAt < 0 || i !== mbAt + 1)) ??
    resolve(root, '..', 'shared', 'data', 'surf'),
)
const FRAME = 1 << 20
const codecs = { lz4: LZ4, zstd: ZSTD, snappy: SNAPPY }

console.log(`| lines | codec | MB/s, 3 passes | compressed | md5 of the frames |`)
console.log('| --- | --- | --- | --- | --- |')
for (const format of ['tasks-fragments', 'dc-mock']) {
  const dry = Bun.spawnSync(
    [resolve(root, 'dist', 'opendt-replay'), 'replay', trace, '--format', format, '--dry-run', '--speed', 'max'],
    { stdout: 'pipe', stderr: 'ignore' },
  )
  if (dry.exitCode !== 0) throw new Error(`the dry-run of ${trace} failed (exit ${dry.exitCode})`)
  // dc.topology lines carry the wall clock: left out, so that the same build gives the same frames.
  const lines = dry.stdout
    .toString()
    .split('\n')
    .filter((line) => !line.startsWith('{"topic":"dc.topology"'))
    .join('\n')
  const data = new TextEncoder().encode(lines.slice(0, mb * 1e6))
  const rates: Record<string, string[]> = { lz4: [], zstd: [], snappy: [] }
  const sums: Record<string, { bytes: number; md5: string }> = {}
  for (let pass = 0; pass < 3; pass++) {
    for (const [name, codec] of Object.entries(codecs)) {
      const hash = new Bun.CryptoHasher('md5')
      let bytes = 0
      const start = performance.now()
      for (let at = 0; at < data.length; at += FRAME) {
        const frame = codec.compress(data.subarray(at, at + FRAME))
        bytes += frame.length
        if (pass === 0) hash.update(frame)
      }
      rates[name]!.push((data.length / 1e6 / ((performance.now() - start) / 1000)).toFixed(0))
      if (pass === 0) sums[name] = { bytes, md5: hash.digest('hex') }
    }
  }
  for (const name of Object.keys(codecs)) {
    const { bytes, md5 } = sums[name]!
    const share = `${((100 * bytes) / data.length).toFixed(1)} %`
    console.log(
      `| ${format}, ${(data.length / 1e6).toFixed(0)} MB | ${name} | ${rates[name]!.join(', ')} | ${share} | ${md5} |`,
    )
  }
}
