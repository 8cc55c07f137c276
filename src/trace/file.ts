import { statSync } from 'node:fs'
import { badInput } from '../errors.ts'
import type { ParquetSource } from './load.ts'

/** Opens a parquet file for hyparquet: byte ranges are read from disk only when asked for. */
export function openParquetFile(path: string): ParquetSource {
  let size: number
  try {
    const stat = statSync(path)
    if (stat.isDirectory()) throw badInput(`${path}: is a directory, expected a parquet file`)
    size = stat.size
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw badInput(`${path}: no such file`, error)
    if (code === 'EACCES') throw badInput(`${path}: permission denied`, error)
    throw error
  }
  const file = Bun.file(path)
  return {
    path,
    buffer: {
      byteLength: size,
      slice: async (start: number, end?: number) => {
        try {
          return await file.slice(start, end ?? size).arrayBuffer()
        } catch (cause) {
          throw new Error(`cannot read bytes ${start}-${end ?? size}: ${(cause as Error).message}`, { cause })
        }
      },
    },
  }
}
