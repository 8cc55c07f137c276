import { describe, expect, it } from 'bun:test'
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Partitioners } from 'kafkajs'
import { checkPatchTarget, LINEAR_GROUPING, TARGET } from '../../scripts/kafkajs-patch.ts'
import { ROOT } from '../helpers.ts'

const KAFKAJS = join(ROOT, 'node_modules', 'kafkajs')
type Group = (args: {
  topic: string
  partitionMetadata: unknown[]
  messages: unknown[]
  partitioner: (args: never) => number
}) => Record<string, unknown[]>
const stock = createRequire(import.meta.url)(join(KAFKAJS, TARGET)) as Group
const patched = (() => {
  const module = { exports: undefined as unknown as Group }
  new Function('module', LINEAR_GROUPING)(module)
  return module.exports
})()

const metadata = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1] }))
const messages = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`{"id":"${i % 37}"}`), value: Buffer.from(`v${i}`) }))

describe('the kafkajs patch (scripts/kafkajs-patch.ts)', () => {
  it.each([
    ['no partitions', 0, 5, 'murmur2'],
    ['no messages', 3, 0, 'murmur2'],
    ['one partition', 1, 10, 'murmur2'],
    ['keys over 6 partitions', 6, 500, 'murmur2'],
    ['explicit partitions', 4, 50, 'explicit'],
    ['round robin without keys', 3, 20, 'keyless'],
  ] as const)('%s: the same groups, in the same order, as the stock function', (_, partitions, count, kind) => {
    const list = messages(count).map((m, i) =>
      kind === 'explicit' ? { ...m, partition: (i * 7) % partitions } : kind === 'keyless' ? { value: m.value } : m,
    )
    // Keyless messages go round robin; kafkajs's own starts at a random point, so a counter stands in.
    const roundRobin = () => {
      let n = 0
      return ({ partitionMetadata }: { partitionMetadata: unknown[] }) => n++ % partitionMetadata.length
    }
    const partitioner = () => (kind === 'keyless' ? roundRobin() : Partitioners.DefaultPartitioner())
    const args = () => ({
      topic: 't',
      partitionMetadata: metadata(partitions),
      messages: list,
      partitioner: partitioner(),
    })
    const want = stock(args())
    expect(patched(args())).toEqual(want)
    expect(Object.values(want).flat().length).toBe(partitions === 0 ? 0 : count)
  })

  it('the build refuses another kafkajs version or another file', () => {
    expect(() => checkPatchTarget(KAFKAJS)).not.toThrow()
    const copy = mkdtempSync(join(tmpdir(), 'kafkajs-'))
    mkdirSync(dirname(join(copy, TARGET)), { recursive: true })
    writeFileSync(join(copy, 'package.json'), JSON.stringify({ version: '2.2.5' }))
    copyFileSync(join(KAFKAJS, TARGET), join(copy, TARGET))
    expect(() => checkPatchTarget(copy)).toThrow(
      `kafkajs patch: written for kafkajs 2.2.4, found 2.2.5; check ${TARGET} and update scripts/kafkajs-patch.ts`,
    )
    writeFileSync(join(copy, 'package.json'), JSON.stringify({ version: '2.2.4' }))
    writeFileSync(join(copy, TARGET), '// changed\n')
    expect(() => checkPatchTarget(copy)).toThrow(`kafkajs patch: ${TARGET} has sha256 `)
  })
})
