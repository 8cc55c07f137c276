/**
 * The dependency fixes applied while bundling (scripts/build.ts), each checked. A patch is
 * written for one file of one package version: the build fails when the package is another
 * version, when the file's bytes differ from the ones the patch was written for, when an edit's
 * anchor is not found exactly once, or when the hook did not fire (the file moved). A silent
 * no-op, or a patch over code it was not checked against, would be worse than a failed build.
 * Unit tests compare each patched function with the stock one (test/unit/patches.test.ts).
 * Sources run with `bun src/main.ts` use the stock modules.
 */

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BunPlugin } from 'bun'

export interface Patch {
  /** The package and file (inside the package) it replaces, and the version and sha256 it was written for. */
  package: string
  version: string
  file: string
  sha256: string
  /** Why: what goes wrong without it. */
  why: string
  /** The new source, from the stock one. */
  apply(source: string): string
}

/** Replaces each anchor, which must occur exactly once, by its replacement. */
function edits(file: string, pairs: [anchor: string, replacement: string][]): (source: string) => string {
  return (source) =>
    pairs.reduce((text, [anchor, replacement]) => {
      const count = text.split(anchor).length - 1
      if (count !== 1) throw new Error(`patch of ${file}: anchor found ${count} times, expected once: ${anchor}`)
      return text.replace(anchor, replacement)
    }, source)
}

export const LINEAR_GROUPING = `module.exports = ({ topic, partitionMetadata, messages, partitioner }) => {
  if (partitionMetadata.length === 0) return {}
  const result = {}
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message })
    ;(result[partition] || (result[partition] = [])).push(message)
  }
  return result
}
`

export const PATCHES: Patch[] = [
  {
    package: 'kafkajs',
    version: '2.2.4',
    file: 'src/producer/groupMessagesPerPartition.js',
    sha256: 'ea72357721fbf67770b5e06b9bf4260faa1e60f3affb556bff2cc7892c1881fb',
    why:
      'kafkajs groups a batch by partition with [...current, message] for every message: quadratic in the ' +
      'batch size, 66 % of the CPU of a send loop in a profile. The same groups in linear time.',
    apply: () => LINEAR_GROUPING,
  },
  {
    package: 'hyparquet',
    version: '1.31.5',
    file: 'src/encoding.js',
    sha256: 'bdf777d370fc2d70b630cae537318308694743aae696c93dd5fa6b944a75d496',
    why:
      'A run-length run longer than the page (one corrupt byte of a run header) is written past the end ' +
      'of the page array, which grows without bound: 14.5 GB after 100 s on a corrupted SURF. It is an error.',
    apply: edits('hyparquet/src/encoding.js', [
      [
        '  // repeat value count times\n',
        '  if (seen + count > output.length) {\n' +
          '    throw new Error(`parquet run of ${count} values overflows the page (${output.length - seen} left)`)\n' +
          '  }\n  // repeat value count times\n',
      ],
    ]),
  },
  {
    package: 'hyparquet',
    version: '1.31.5',
    file: 'src/column.js',
    sha256: 'fcd0b7c8dab543affa29b8fbc6a2552ac3c9442fff053479e41cbf42118097ad',
    why:
      'A page header is trusted as it is: a corrupt value count allocates arrays of that size, and a page ' +
      'checksum (crc) is never checked, so a flipped value in a checksummed page reads as another number. ' +
      'Value counts of a flat column are capped by the rows its row group has left; checksums are checked.',
    apply: edits('hyparquet/src/column.js', [
      [
        'export function readColumn(reader, { groupStart, selectStart, selectEnd }, columnDecoder, onPage) {',
        'export function readColumn(reader, { groupStart, groupRows, selectStart, selectEnd }, columnDecoder, onPage) {',
      ],
      [
        '    const header = parquetHeader(reader)\n',
        '    const header = parquetHeader(reader)\n' +
          '    if (isFlat && groupRows !== undefined) {\n' +
          '      const count = header.data_page_header?.num_values ?? header.data_page_header_v2?.num_values ??\n' +
          '        header.dictionary_page_header?.num_values ?? 0\n' +
          '      const left = header.dictionary_page_header ? groupRows : groupRows - rowCount\n' +
          '      if (!(count >= 0 && count <= left)) {\n' +
          '        throw new Error(`parquet ${header.type} page declares ${count} values, the row group has ${left} left`)\n' +
          '      }\n' +
          '    }\n',
      ],
      [
        '  reader.offset += header.compressed_page_size\n',
        '  reader.offset += header.compressed_page_size\n' +
          '  if (header.crc !== undefined && header.crc !== null) {\n' +
          '    const actual = Bun.hash.crc32(compressedBytes)\n' +
          '    if ((actual | 0) !== (header.crc | 0)) {\n' +
          '      throw new Error(`parquet page checksum mismatch: the header says ${header.crc >>> 0}, the page has ${actual >>> 0}`)\n' +
          '    }\n' +
          '  }\n',
      ],
    ]),
  },
]

/** Where a patch's target file is, under node_modules. */
export const targetOf = (patch: Patch, nodeModules: string) => join(nodeModules, patch.package, patch.file)

/** Throws unless `nodeModules` holds the version and file bytes each patch was written for. */
export function checkPatchTargets(nodeModules: string, patches: Patch[] = PATCHES): void {
  for (const patch of patches) {
    const pkg = join(nodeModules, patch.package)
    const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }
    if (version !== patch.version) {
      throw new Error(
        `patch of ${patch.package}/${patch.file}: written for ${patch.package} ${patch.version}, found ${version}; ` +
          'check the file and update scripts/patches.ts',
      )
    }
    const hash = new Bun.CryptoHasher('sha256').update(readFileSync(targetOf(patch, nodeModules))).digest('hex')
    if (hash !== patch.sha256) {
      throw new Error(
        `patch of ${patch.package}/${patch.file}: the file has sha256 ${hash}, the patch was written for ${patch.sha256}`,
      )
    }
  }
}

/** The bundler hook, and which patches it applied. */
export function patchPlugin(patches: Patch[] = PATCHES): { plugin: BunPlugin; missed: () => Patch[] } {
  const fired = new Set<Patch>()
  const plugin: BunPlugin = {
    name: 'opendt-replay-patches',
    setup(build) {
      for (const patch of patches) {
        const path = `${patch.package}/${patch.file}`.replace(/[.]/g, '\\.').replaceAll('/', '[\\\\/]')
        build.onLoad({ filter: new RegExp(`node_modules[\\\\/]${path}$`) }, (args) => {
          fired.add(patch)
          return { loader: 'js', contents: patch.apply(readFileSync(args.path, 'utf8')) }
        })
      }
    },
  }
  return { plugin, missed: () => patches.filter((p) => !fired.has(p)) }
}
