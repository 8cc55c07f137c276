/**
 * The dependency patches, one list for every path. Each is written for one file of one package
 * version, and names the sha256 of that file as published. The new code lives in TypeScript
 * beside this file (kafkajs/, hyparquet/), where the linter and the type checker read it, each
 * file saying what it fixes, what it measured and the upstream report; what goes into the
 * dependency's file is glue: one line that replaces the file's exports with ours, built from the
 * file's own names, or one call where a check belongs.
 *
 * patches/plugin.ts applies the list: for the binary while bundling (scripts/build.ts), and at run
 * time for `bun src/main.ts`, its Workers, the scripts and `bun test` (patches/preload.ts, which
 * bunfig.toml preloads and src/main.ts hands to its Workers). Every path refuses a package of
 * another version, a file whose bytes differ from the ones a patch was written for, and an anchor
 * not found exactly once: a silent no-op, or a patch over code it was not checked against, would be
 * worse than a failure. What to do when kafkajs or hyparquet is bumped: docs/dependencies.md.
 */

import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** A patch's target and its new code. */
export interface Target {
  /** The package and the file (inside the package) it changes, and the version and sha256 it was written for. */
  package: string
  version: string
  file: string
  sha256: string
  /** CommonJS (kafkajs) or an ES module (hyparquet): how the runtime plugin hands it to Bun. */
  commonjs: boolean
  /** The new code, under patches/. */
  code: string
}

export interface Patch extends Target {
  /** The new source, from the stock one. */
  apply(source: string): string
}

/** How a patch changes its file's source. */
type Glue = (source: string, target: Target) => string

const patch = (target: Target, glue: Glue): Patch => ({ ...target, apply: (source) => glue(source, target) })
const KAFKAJS = { package: 'kafkajs', version: '2.2.4', commonjs: true }
const HYPARQUET = { package: 'hyparquet', version: '1.31.5', commonjs: false }

/** A module under patches/, as a string literal for the dependency's file. */
const literal = (code: string) => JSON.stringify(join(import.meta.dir, code))

/** Replaces each anchor, which must occur exactly once, by its replacement. */
function edits(pairs: [anchor: string, replacement: string][]): Glue {
  return (source, target) =>
    pairs.reduce((text, [anchor, replacement]) => {
      const count = text.split(anchor).length - 1
      if (count !== 1) {
        throw new Error(
          `patch of ${target.package}/${target.file}: anchor found ${count} times, expected once: ${anchor}`,
        )
      }
      return text.replace(anchor, replacement)
    }, source)
}

/**
 * A CommonJS file whose exports become `expression` of the patch's code: the stock file runs as
 * published, then one line replaces what it exported, with the file's own names in scope (`module`
 * is the file's). The file must set module.exports exactly once.
 */
function replaceExports(expression: string): Glue {
  const once = edits([['module.exports', 'module.exports']])
  return (source, target) =>
    `${once(source, target)}\nmodule.exports = require(${literal(target.code)}).${expression}\n`
}

/** An ES module that imports `names` from the patch's code, then `edit`. */
function importing(names: string[], edit: Glue): Glue {
  return (source, target) => `import { ${names.join(', ')} } from ${literal(target.code)}\n${edit(source, target)}`
}

export const PATCHES: Patch[] = [
  patch(
    {
      ...KAFKAJS,
      file: 'src/producer/groupMessagesPerPartition.js',
      sha256: 'ea72357721fbf67770b5e06b9bf4260faa1e60f3affb556bff2cc7892c1881fb',
      code: 'kafkajs/group-messages.ts',
    },
    replaceExports('groupMessagesPerPartition'),
  ),
  patch(
    {
      ...KAFKAJS,
      file: 'src/producer/sendMessages.js',
      sha256: '8a120e6993955e040a13014cccebd79b8d41e7355d6eda1065fa83fea2fbbcdb',
      code: 'kafkajs/send-messages.ts',
    },
    replaceExports(
      'perPartitionSendMessages({ KafkaJSMetadataNotLoaded, staleMetadata, groupMessagesPerPartition, ' +
        'createTopicData, responseSerializer })',
    ),
  ),
  patch(
    {
      ...KAFKAJS,
      file: 'src/protocol/recordBatch/record/v0/index.js',
      sha256: 'ffbc628c1f35f5de8ba798165616b1009d9af1c27ca959999a10e6e3c18f8215',
      code: 'kafkajs/record.ts',
    },
    replaceExports('fastRecord(module.exports, Encoder)'),
  ),
  patch(
    {
      ...KAFKAJS,
      file: 'src/producer/partitioners/default/murmur2.js',
      sha256: '82c3a52a692c32b2c62e4e91adc553b4572b9abbd53d237255bf33cf132e1f98',
      code: 'kafkajs/murmur2.ts',
    },
    replaceExports('kafkajsMurmur2'),
  ),
  patch(
    {
      ...KAFKAJS,
      file: 'src/protocol/encoder.js',
      sha256: '9977889e184a9e910e4f6098c36ec6a0ca36c183aa6ead0f24191b6aa1c9a777',
      code: 'kafkajs/encoder.ts',
    },
    replaceExports('patchEncoder(module.exports)'),
  ),
  patch(
    {
      ...KAFKAJS,
      file: 'src/protocol/requests/createTopics/v0/response.js',
      sha256: 'feed51695caae091c6c41098b9df6d7cfbf544094abfb0d23c506f221e8e3b4e',
      code: 'kafkajs/create-topics.ts',
    },
    replaceExports('keepReasons(module.exports)'),
  ),
  // A record batch is written as an encoder (its length, then the batch), which the encoder patch
  // takes by reference, and its CRC32C is read over its chunks: two copies of each batch fewer.
  patch(
    {
      ...KAFKAJS,
      file: 'src/protocol/recordBatch/v0/index.js',
      sha256: '6d6b63a8959ff0b9ea1198b2d4ec0af940a4c92d5c793bb592310ab46f99df30',
      code: 'kafkajs/encoder.ts',
    },
    edits([
      [
        'return new Encoder().writeInt64(firstOffset).writeBytes(batch.buffer)',
        'return new Encoder().writeInt64(firstOffset).writeInt32(batch.size()).writeEncoder(batch)',
      ],
      ['.writeUInt32(crc32C(batchBody.buffer))', '.writeUInt32(crc32C(batchBody.chunks()))'],
    ]),
  ),
  patch(
    {
      ...KAFKAJS,
      file: 'src/protocol/recordBatch/crc32C/crc32C.js',
      sha256: '1c09c7a44e7a207f2dabb920e6bf9f6b1b3fd9cc023e959a9e91ba83e5b6f61a',
      code: 'kafkajs/crc32c.ts',
    },
    replaceExports('sliceBy8(T)'),
  ),
  patch(
    {
      ...HYPARQUET,
      file: 'src/encoding.js',
      sha256: 'bdf777d370fc2d70b630cae537318308694743aae696c93dd5fa6b944a75d496',
      code: 'hyparquet/pages.ts',
    },
    importing(
      ['checkRun'],
      edits([
        ['  // repeat value count times\n', '  checkRun(count, output.length - seen)\n  // repeat value count times\n'],
      ]),
    ),
  ),
  patch(
    {
      ...HYPARQUET,
      file: 'src/column.js',
      sha256: 'fcd0b7c8dab543affa29b8fbc6a2552ac3c9442fff053479e41cbf42118097ad',
      code: 'hyparquet/pages.ts',
    },
    importing(
      ['checkPageValues', 'checkPageCrc'],
      edits([
        [
          'export function readColumn(reader, { groupStart, selectStart, selectEnd }, columnDecoder, onPage) {',
          'export function readColumn(reader, { groupStart, groupRows, selectStart, selectEnd }, columnDecoder, onPage) {',
        ],
        [
          '    const header = parquetHeader(reader)\n',
          '    const header = parquetHeader(reader)\n    checkPageValues(header, isFlat, groupRows, rowCount)\n',
        ],
        [
          '  reader.offset += header.compressed_page_size\n',
          '  reader.offset += header.compressed_page_size\n  checkPageCrc(header, compressedBytes)\n',
        ],
      ]),
    ),
  ),
]

/** Where a patch's target file is, under node_modules. */
export const targetOf = (patch: Patch, nodeModules: string) => join(nodeModules, patch.package, patch.file)

/** Throws unless `bytes` and `version` are the file and package version the patch was written for. */
export function checkTarget(patch: Target, bytes: Uint8Array, version: string): void {
  if (version !== patch.version) {
    throw new Error(
      `patch of ${patch.package}/${patch.file}: written for ${patch.package} ${patch.version}, found ${version}; ` +
        'check the file and update patches/ (docs/dependencies.md)',
    )
  }
  const hash = new Bun.CryptoHasher('sha256').update(bytes).digest('hex')
  if (hash !== patch.sha256) {
    throw new Error(
      `patch of ${patch.package}/${patch.file}: the file has sha256 ${hash}, the patch was written for ${patch.sha256}`,
    )
  }
}

/** The version in a package's package.json, given the folder it is in. */
export const versionIn = (packageDir: string): string =>
  (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version

/** Throws unless `nodeModules` holds the version and file bytes each patch was written for. */
export function checkPatchTargets(nodeModules: string, patches: Patch[] = PATCHES): void {
  for (const patch of patches) {
    checkTarget(patch, readFileSync(targetOf(patch, nodeModules)), versionIn(join(nodeModules, patch.package)))
  }
}
