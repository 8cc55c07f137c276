import { expect, it } from 'bun:test'
import pkg from '../../package.json' with { type: 'json' }

it('runtime dependencies are the four the design names, pinned exactly', () => {
  expect(Object.keys(pkg.dependencies).sort()).toEqual(['citty', 'consola', 'hyparquet', 'kafkajs'])
  for (const version of [...Object.values(pkg.dependencies), ...Object.values(pkg.devDependencies)]) {
    expect(version).toMatch(/^\d+\.\d+\.\d+$/)
  }
})
