import { existsSync, renameSync, writeFileSync } from 'node:fs'
import { badInput, ReplayError } from '../errors.ts'
import { DEFAULT_FORMAT, formatOf } from '../formats/index.ts'
import type { OutputDefinition } from '../outputs/output.ts'
import { readTextFile } from '../trace/file.ts'
import type { Checkpoint, ReplayOptions, Role } from '../types.ts'

/**
 * `--checkpoint FILE`: after each batch sent and each batch acknowledged, per stream how many
 * messages were sent and acknowledged, written atomically (a temporary file renamed over the old one). Messages are
 * acknowledged in stream order (one send in flight per producer), so `acked` is a prefix of the
 * stream: `--resume` skips that many and continues. Messages past `acked` but within `sent` may
 * have reached the broker before an interruption: a resumed run may repeat those, and says so.
 */

/** What differs between the identity a checkpoint was written for and this run's (pure). */
export function differences(saved: Record<string, string>, now: Record<string, string>): string[] {
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(now)])]
  return keys
    .filter((k) => saved[k] !== now[k])
    .map((k) => `${k} was ${saved[k] ?? '(none)'}, now ${now[k] ?? '(none)'}`)
}

export function readCheckpoint(path: string): Checkpoint {
  let parsed: Checkpoint
  try {
    parsed = JSON.parse(readTextFile(path, 1 << 20))
  } catch (error) {
    const reason = error instanceof ReplayError ? error.message : `${path} (${(error as Error).message})`
    throw badInput(`--checkpoint: cannot read ${reason}`)
  }
  if (parsed?.version !== 1 || typeof parsed.streams !== 'object' || parsed.streams === null) {
    throw badInput(`--checkpoint: ${path} is not an opendt-replay checkpoint`)
  }
  return parsed
}

export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  const temporary = `${path}.tmp-${process.pid}`
  writeFileSync(temporary, JSON.stringify(checkpoint, null, 2) + '\n')
  renameSync(temporary, path)
}

/** Where a run starts: from scratch (refusing to overwrite a checkpoint) or where one left off. */
export function startingPoint(
  path: string,
  resume: boolean,
  identity: Record<string, string>,
  streams: readonly Role[] = formatOf(DEFAULT_FORMAT).streams,
): Checkpoint {
  const fresh: Checkpoint = {
    version: 1,
    identity,
    streams: Object.fromEntries(streams.map((r) => [r, { sent: 0, acked: 0 }])),
    updated: new Date().toISOString(),
  }
  if (!existsSync(path)) {
    if (resume) throw badInput(`--resume: no checkpoint at ${path}`)
    return fresh
  }
  if (!resume)
    throw badInput(`--checkpoint: ${path} exists: pass --resume to continue from it, or remove it to start over`)
  const saved = readCheckpoint(path)
  const diff = differences(saved.identity, identity)
  if (diff.length > 0) throw badInput(`--resume: ${path} was written for another replay: ${diff.join('; ')}`)
  const missing = streams.filter((r) => !saved.streams[r])
  if (missing.length > 0) throw badInput(`--checkpoint: ${path} has no counts for ${missing.join(', ')}`)
  return saved
}

/** The first 16 hex digits of a SHA-256. */
const sha256 = (data: ArrayBuffer | string) => new Bun.CryptoHasher('sha256').update(data).digest('hex').slice(0, 16)

/**
 * What a checkpoint is valid for: the trace files (size and a hash of their last 64 KiB), the
 * flags that shape the messages, the output's own (where they go), the shard, and the format's own (its topics,
 * and for dc-mock its side inputs: power file, offset, topology as sent).
 */
export async function checkpointIdentity(
  args: { from?: string; to?: string; strict?: boolean },
  options: ReplayOptions,
  output: OutputDefinition,
): Promise<Record<string, string>> {
  const file = async (path: string) => {
    try {
      const f = Bun.file(path)
      const tail = await f.slice(Math.max(0, f.size - 65_536)).arrayBuffer()
      const hash = sha256(tail)
      return `${path} (${f.size} bytes, tail sha256 ${hash})`
    } catch {
      return `${path} (unreadable)` // the replay itself reports why, in one line
    }
  }
  const trace = options.spec.trace
  const identity: Record<string, string> = {
    'tasks file': trace.demo ? 'demo' : await file(trace.tasks),
    'fragments file': trace.demo ? 'demo' : await file(trace.fragments),
    '--from': args.from ?? '(trace start)',
    '--to': args.to ?? '(trace end)',
    '--strict': String(args.strict === true),
    // Where the output writes (Kafka: its brokers and record timestamps).
    ...output.identity?.(options.output.config),
    'what-if host': options.spec.host ? `${options.spec.host.cpus} x ${options.spec.host.mhz} MHz` : 'none',
  }
  // A shard's messages are its own: another shard's checkpoint would skip messages it never sent.
  const shard = options.spec.shard
  if (shard)
    identity['--shard'] =
      `${shard.index}/${shard.count} (control from ${shard.control === 'all' ? 'every shard' : 'shard 0'})`
  // The format's own: its topics, and the inputs that shape its messages.
  return { ...identity, ...(await formatOf(options.spec.format).identity?.(options, { file, hash: sha256 })) }
}
