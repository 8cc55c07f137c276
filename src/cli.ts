import { defineCommand } from 'citty'
import { join, dirname } from 'node:path'
import { statSync } from 'node:fs'
import { badInput } from './errors.ts'
import { parseSpeed, parseTimeRef } from './options.ts'
import type { TraceSpec } from './prepare.ts'
import type { ReplayOptions } from './replay.ts'
import pkg from '../package.json' with { type: 'json' }

/** Raw values of `replay`'s flags, as citty parses them. */
export interface ReplayArgs {
  trace?: string
  tasks?: string
  fragments?: string
  'dry-run'?: boolean
  speed?: string
  from?: string
  to?: string
  strict?: boolean
  verbose?: boolean
}

export const replayArgs = {
  trace: { type: 'positional', required: false, valueHint: 'TRACE_DIR', description: 'Folder with tasks.parquet and fragments.parquet (none: the built-in demo trace)' },
  tasks: { type: 'string', valueHint: 'FILE', description: 'Tasks file (overrides TRACE_DIR/tasks.parquet)' },
  fragments: { type: 'string', valueHint: 'FILE', description: 'Fragments file (overrides TRACE_DIR/fragments.parquet)' },
  'dry-run': { type: 'boolean', description: 'Write the messages to stdout as JSON lines instead of sending them' },
  speed: { type: 'string', default: '10', valueHint: 'N|max', description: 'Trace seconds per wall second; 0.5 slows down, max sends without pacing' },
  from: { type: 'string', valueHint: 'T', description: 'Window start: offset from the first task (90s, 30m, 2h, 1d) or ISO-8601 time' },
  to: { type: 'string', valueHint: 'T', description: 'Window end, exclusive: offset or ISO-8601 time' },
  strict: { type: 'boolean', description: 'Fail on fragments whose task is missing instead of skipping them' },
  verbose: { type: 'boolean', description: 'Debug logs, and stack traces with errors' },
} as const

/** Maps the flags to replay options; the only logic here is resolving the trace's file names. */
export function toReplayOptions(args: ReplayArgs): { options: ReplayOptions; demo: boolean } {
  if (!args['dry-run']) throw badInput('no output chosen: pass --dry-run to write the messages to stdout')
  const trace = resolveTrace(args)
  const options: ReplayOptions = {
    spec: {
      trace,
      from: args.from === undefined ? undefined : parseTimeRef('--from', args.from),
      to: args.to === undefined ? undefined : parseTimeRef('--to', args.to),
      strict: args.strict === true,
    },
    speed: parseSpeed(args.speed ?? '10'),
    topics: { tasks: 'tasks', fragments: 'fragments' },
  }
  const { from, to } = options.spec
  if (from && to && 'offset' in from === 'offset' in to) {
    const a = 'offset' in from ? from.offset : from.absolute
    const b = 'offset' in to ? to.offset : to.absolute
    if (a >= b) throw badInput(`--from ${args.from} is not before --to ${args.to}: the window is empty`)
  }
  return { options, demo: trace.demo }
}

function resolveTrace(args: ReplayArgs): TraceSpec {
  const dir = args.trace
  if (dir === undefined && args.tasks === undefined && args.fragments === undefined) return { demo: true }
  if (dir !== undefined) {
    let isDir = false
    try {
      isDir = statSync(dir).isDirectory()
    } catch {
      throw badInput(`${dir}: no such directory (TRACE_DIR must hold tasks.parquet and fragments.parquet)`)
    }
    if (!isDir) throw badInput(`${dir}: not a directory (TRACE_DIR must hold tasks.parquet and fragments.parquet)`)
  }
  // With one file named and no folder, the other is looked for beside it.
  const base = dir ?? dirname((args.tasks ?? args.fragments)!)
  return {
    demo: false,
    tasks: args.tasks ?? join(base, 'tasks.parquet'),
    fragments: args.fragments ?? join(base, 'fragments.parquet'),
  }
}

export function mainCommand(run: (args: ReplayArgs) => Promise<void>) {
  return defineCommand({
    meta: { name: 'opendt-replay', version: pkg.version, description: 'Replay OpenDC workload traces as paced tasks and fragments streams' },
    subCommands: {
      replay: defineCommand({
        meta: { name: 'replay', description: 'Replay a trace in time-scaled real time' },
        args: replayArgs,
        run: ({ args }) => run(args as ReplayArgs),
      }),
    },
  })
}
