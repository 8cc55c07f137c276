import { expect, it } from 'bun:test'
import pkg from '../../package.json' with { type: 'json' }

/**
 * The design names four packages. Besides them, one codec that kafkajs takes as a plug-in (it
 * ships gzip only): snappyjs, pure JavaScript, so it compiles into every release target (the
 * plug-ins kafkajs's documentation names wrap native add-ons, which do not cross-compile). zstd is
 * Bun's own; LZ4 is coded in kafka/codecs.ts. What they write is read back by Kafka's Java
 * consumer in test/kafka/compression.test.ts.
 */
it('runtime dependencies are the four the design names and a snappy codec, pinned exactly', () => {
  expect(Object.keys(pkg.dependencies).sort()).toEqual(['citty', 'consola', 'hyparquet', 'kafkajs', 'snappyjs'])
  for (const version of [...Object.values(pkg.dependencies), ...Object.values(pkg.devDependencies)]) {
    expect(version).toMatch(/^\d+\.\d+\.\d+$/)
  }
})
