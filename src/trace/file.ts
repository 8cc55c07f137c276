import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { badInput, ReplayError } from '../errors.ts'
import type { ParquetSource } from './load.ts'

/** What an operating-system error means for a file the user named, in words. */
const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
  ENOTDIR: 'a part of the path is not a directory',
  ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error',
}

/** An operating-system error in words: `permission denied`. */
export function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? ''
  return REASONS[code] ?? `cannot open (${code || (error as Error).message})`
}

/** A failed open or stat of a file the user named, as bad input naming the file and the reason. */
export function fileError(path: string, error: unknown): ReplayError {
  if (error instanceof ReplayError) return error
  return badInput(`${path}: ${reasonOf(error)}`, error)
}

/**
 * Opens a parquet file for hyparquet: byte ranges are read from disk only when asked for, with
 * synchronous reads on one descriptor (a file of 20,000 row groups asks for 20,000 ranges per
 * column; a promise and an open per range made that quadratic in memory and slow). The file is
 * opened here, so an unreadable one is reported by name before any decoding; close() ends it.
 */
export function openParquetFile(path: string): ParquetSource {
  let size: number
  let fd: number
  try {
    const stat = statSync(path)
    if (stat.isDirectory()) throw badInput(`${path}: is a directory, expected a parquet file`)
    size = stat.size
    fd = openSync(path, 'r')
  } catch (error) {
    throw fileError(path, error)
  }
  return {
    path,
    buffer: {
      byteLength: size,
      slice(start: number, end = size): ArrayBuffer {
        const out = new ArrayBuffer(Math.max(0, end - start))
        for (let at = 0; at < out.byteLength; ) {
          let n: number
          try {
            n = readSync(fd, new Uint8Array(out, at), 0, out.byteLength - at, start + at)
          } catch (cause) {
            throw new Error(`cannot read bytes ${start}-${end}: ${reasonOf(cause)}`, { cause })
          }
          if (n === 0) throw new Error(`cannot read bytes ${start}-${end}: the file ends at ${size}`)
          at += n
        }
        return out
      },
    },
    close: () => closeSync(fd),
  }
}
