import { accessSync, closeSync, constants, openSync, readSync, type Stats, statSync } from 'node:fs'
import { dirname } from 'node:path'
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
 * The file a path names, after symbolic links, if it is a regular file: a FIFO would block the
 * open until a writer came, and a device (/dev/zero) never ends. Throws bad input otherwise.
 */
function regularFile(path: string, what: string): Stats {
  const stat = statSync(path)
  if (stat.isDirectory()) throw badInput(`${path}: is a directory, expected ${what}`)
  if (!stat.isFile()) throw badInput(`${path}: is not a regular file (a FIFO, device or socket), expected ${what}`)
  return stat
}

/** YAML text to a value; bad YAML is bad input naming the file (a YAML file's text, read by the caller). */
export function parseYaml(path: string, text: string): unknown {
  try {
    return Bun.YAML.parse(text)
  } catch (error) {
    const why = error instanceof RangeError ? 'nested too deeply' : (error as Error).message
    throw badInput(`${path}: invalid YAML: ${why}`)
  }
}

/** A YAML or JSON mapping (an object that is no list). */
export const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Largest side file read whole (workload.yaml, a topology, TLS files, a password, a checkpoint). */
export const MAX_TEXT_BYTES = 16 << 20

/**
 * Reads a side file whole, as UTF-8 text: only a regular file, of at most `limit` bytes (16 MiB).
 * Errors are bad input naming the file and the reason.
 */
export function readTextFile(path: string, limit = MAX_TEXT_BYTES): string {
  try {
    const stat = regularFile(path, 'a file')
    if (stat.size > limit) throw badInput(`${path}: is ${stat.size} bytes; at most ${limit} are read`)
    const fd = openSync(path, 'r')
    try {
      // Read at most limit + 1 bytes: a file that grew since the stat is refused, not read without end.
      const buffer = Buffer.alloc(Math.min(limit + 1, stat.size + 65_536))
      let length = 0
      for (let n = 1; n > 0 && length < buffer.length; length += n)
        n = readSync(fd, buffer, length, buffer.length - length, length)
      if (length > limit) throw badInput(`${path}: is more than ${limit} bytes; at most ${limit} are read`)
      return buffer.toString('utf8', 0, length)
    } finally {
      closeSync(fd)
    }
  } catch (error) {
    throw fileError(path, error)
  }
}

/**
 * Opens a parquet file for hyparquet: byte ranges are read from disk only when asked for, with
 * synchronous reads on one descriptor (a file of 20,000 row groups asks for 20,000 ranges per
 * column; a promise and an open per range made that quadratic in memory and slow). The file is
 * opened here, so an unreadable one is reported by name before any decoding; close() ends it.
 * Only a regular file; it is never read whole, so its size has no limit of its own.
 */
export function openParquetFile(path: string): ParquetSource {
  let size: number
  let fd: number
  try {
    size = regularFile(path, 'a parquet file').size
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

/**
 * A file the run will write at its end (--summary-json), checked before anything is sent: not
 * a folder, in a folder that exists (none is created), and writable.
 */
export function checkWritable(flag: string, path: string): void {
  let stat: Stats | undefined
  try {
    stat = statSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw badInput(`${flag}: ${path}: ${reasonOf(error)}`)
  }
  if (stat?.isDirectory()) throw badInput(`${flag}: ${path} is a directory`)
  const target = stat ? path : dirname(path)
  if (!stat && !isDirectory(target)) {
    throw badInput(`${flag}: ${path}: the folder ${target} does not exist (it is not created)`)
  }
  try {
    accessSync(target, constants.W_OK)
  } catch (error) {
    throw badInput(`${flag}: cannot write ${path}: ${reasonOf(error)}`)
  }
}

function isDirectory(path: string): boolean {
  return folderState(path) === 'folder'
}

/** Whether a path is a folder; an error other than its absence (permission denied) is thrown as bad input. */
export function folderState(path: string): 'folder' | 'no such directory' | 'not a directory' {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'not a directory'
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'no such directory'
    throw fileError(path, error)
  }
}
