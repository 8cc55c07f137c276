import { expect, it } from 'bun:test'
import pkg from '../../package.json' with { type: 'json' }

/**
 * The design names four packages. Besides them, one codec that kafkajs takes as a plug-in (it
 * ships gzip only): snappyjs, pure JavaScript, so it compiles into every release target (the
 * plug-ins kafkajs's documentation names wrap native add-ons, which do not cross-compile). zstd is
 * Bun's own; LZ4 is coded in kafka/codecs.ts. What they write is read back by Kafka's Java
 * consumer in test/kafka/compression.test.ts. And uPlot, the live page's charts (issue 27): its
 * minified script and CSS are inlined into the page as text, run by the browser, never by Bun.
 */
it('runtime dependencies are the four the design names, a snappy codec and the charts, pinned exactly', () => {
  expect(Object.keys(pkg.dependencies).sort()).toEqual([
    'citty',
    'consola',
    'hyparquet',
    'kafkajs',
    'snappyjs',
    'uplot',
  ])
  for (const version of [...Object.values(pkg.dependencies), ...Object.values(pkg.devDependencies)]) {
    expect(version).toMatch(/^\d+\.\d+\.\d+$/)
  }
})
