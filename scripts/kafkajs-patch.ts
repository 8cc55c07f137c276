/**
 * The one dependency fix applied while bundling (scripts/build.ts). kafkajs 2.2.4 groups a
 * batch's messages by partition with `[...current, message]` for every message, which is
 * quadratic in the batch size (66 % of the CPU of a send loop in a profile). LINEAR_GROUPING
 * returns the same object (partition -> messages in their order) in linear time; a unit test
 * compares the two on a table of inputs (test/unit/kafkajs-patch.test.ts).
 *
 * The patch is written for one file of one kafkajs version. The build fails when kafkajs is
 * another version, when the file's bytes differ from the ones it was written for, or when the
 * hook did not fire (the file moved): a silent no-op, or a patch over code it was not checked
 * against, would be worse than a failed build. Sources run with `bun src/main.ts` use the stock
 * module: the same results, more slowly.
 */

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BunPlugin } from 'bun'

export const KAFKAJS_VERSION = '2.2.4'
export const TARGET = join('src', 'producer', 'groupMessagesPerPartition.js')
/** sha256 of TARGET as kafkajs 2.2.4 ships it. */
export const TARGET_SHA256 = 'ea72357721fbf67770b5e06b9bf4260faa1e60f3affb556bff2cc7892c1881fb'

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

/** Throws unless `kafkaDir` (node_modules/kafkajs) holds the version and file the patch was written for. */
export function checkPatchTarget(kafkaDir: string): void {
  const { version } = JSON.parse(readFileSync(join(kafkaDir, 'package.json'), 'utf8')) as { version: string }
  if (version !== KAFKAJS_VERSION) {
    throw new Error(
      `kafkajs patch: written for kafkajs ${KAFKAJS_VERSION}, found ${version}; ` +
        `check ${TARGET} and update scripts/kafkajs-patch.ts`,
    )
  }
  const hash = new Bun.CryptoHasher('sha256').update(readFileSync(join(kafkaDir, TARGET))).digest('hex')
  if (hash !== TARGET_SHA256) {
    throw new Error(`kafkajs patch: ${TARGET} has sha256 ${hash}, the patch was written for ${TARGET_SHA256}`)
  }
}

/** The bundler hook, and whether it replaced the module. */
export function linearGrouping(): { plugin: BunPlugin; fired: () => boolean } {
  let fired = false
  const plugin: BunPlugin = {
    name: 'kafkajs-linear-grouping',
    setup(build) {
      build.onLoad({ filter: /kafkajs[\\/]src[\\/]producer[\\/]groupMessagesPerPartition\.js$/ }, () => {
        fired = true
        return { loader: 'js', contents: LINEAR_GROUPING }
      })
    },
  }
  return { plugin, fired: () => fired }
}
