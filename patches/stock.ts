/**
 * A package as published, beside the patched one that every path loads: a copy outside
 * node_modules, which the patches' filters do not match. For the tests and the benchmark that
 * compare a patched module with the stock one; `remove` deletes the copy.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const NODE_MODULES = resolve(import.meta.dir, '..', 'node_modules')

export interface StockCopy {
  /** The copy's folder (the package's root). */
  dir: string
  /** require() of a file of the copy, by its path inside the package. */
  require(file: string): unknown
  remove(): void
}

export function stockCopy(name: string): StockCopy {
  const root = mkdtempSync(join(tmpdir(), `opendt-stock-${name}-`))
  const dir = join(root, name)
  cpSync(join(NODE_MODULES, name), dir, { recursive: true })
  const require = createRequire(join(dir, 'package.json'))
  return {
    dir,
    require: (file) => require(join(dir, file)),
    remove: () => rmSync(root, { recursive: true, force: true }),
  }
}
