#!/usr/bin/env bun
/**
 * The CLI boundary: parse flags, run, and turn every error into one line on stderr and an
 * exit code (errors.ts). Nothing else lives here.
 */
import { renderUsage, runCommand } from 'citty'
import { INSPECT_EPILOGUE, MAIN_EPILOGUE, REPLAY_EPILOGUE } from './help.ts'
import {
  inspectArgs,
  mainCommand,
  replayArgs,
  toInspectOptions,
  toReplayOptions,
  type InspectArgs,
  type ReplayArgs,
} from './cli.ts'
import { formatInspection, inspect } from './inspect.ts'
import { withEnvironment } from './env.ts'
import { ExitCode, ReplayError } from './errors.ts'
import { createLog } from './log.ts'
import { replay } from './replay.ts'
import { checkpointIdentity, startingPoint } from './checkpoint.ts'
import { failureJson, summaryJson, writeSummary } from './summary.ts'
import pkg from '../package.json' with { type: 'json' }

/** Stamped by scripts/build.ts; absent when running the sources. */
declare const BUILD_VERSION: string
declare const BUILD_COMMIT: string
declare const BUILD_BUN: string
const stamp = typeof BUILD_COMMIT === 'string' ? { version: BUILD_VERSION, commit: BUILD_COMMIT, bun: BUILD_BUN } : { version: pkg.version, commit: 'sources', bun: Bun.version }

const argv = process.argv.slice(2)
const verbose = argv.includes('--verbose')
const log = createLog(verbose)

const spawnWorker = () => new Worker(new URL('./worker.ts', import.meta.url))

function onSignal(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void {
  const int = () => handler('SIGINT')
  const term = () => handler('SIGTERM')
  process.on('SIGINT', int)
  process.on('SIGTERM', term)
  return () => {
    process.off('SIGINT', int)
    process.off('SIGTERM', term)
  }
}

async function runReplay(args: ReplayArgs): Promise<void> {
  const { options, demo } = toReplayOptions(args, process.env)
  if (options.quiet) log.level = 0
  if (demo) log.info('no trace given: replaying the built-in demo trace (4 tasks, 12 fragments); pass TRACE_DIR for a real one')
  if (args.checkpoint) {
    const path = args.checkpoint
    const start = startingPoint(path, args.resume === true, await checkpointIdentity(args, options))
    options.checkpoint = { path, start }
    const s = start.streams
    if (args.resume) {
      const repeat = s.tasks.sent - s.tasks.acked + s.fragments.sent - s.fragments.acked
      log.info(
        `resuming from ${path}: ${s.tasks.acked} tasks and ${s.fragments.acked} fragments already acknowledged are skipped; ` +
          `${repeat} messages sent before the interruption but not acknowledged may be repeated`,
      )
    }
  }
  const summaryFile = args['summary-json']
  let summary
  try {
    summary = await replay(options, { log, spawn: spawnWorker, onSignal, stderr: { write: (t) => void process.stderr.write(t), isTTY: process.stderr.isTTY === true } })
  } catch (error) {
    if (summaryFile && error instanceof ReplayError) await writeSummary(summaryFile, failureJson(options, error))
    throw error
  }
  if (summaryFile) await writeSummary(summaryFile, summaryJson(options, summary))
  process.exitCode = summary.exitCode
}

async function runInspect(args: InspectArgs): Promise<void> {
  const { trace, speed, json } = toInspectOptions(args)
  const report = await inspect(trace, speed)
  process.stdout.write((json ? JSON.stringify(report, null, 2) : formatInspection(report)) + '\n')
}

/** Flags citty would silently ignore are usage errors. */
function checkFlags(args: string[], defs: Record<string, unknown>, command: string): void {
  const known = new Set(Object.keys(defs).filter((k) => k !== 'trace_dir'))
  for (const arg of args) {
    if (arg === '--') break
    if (!arg.startsWith('-') || arg === '-') continue
    const name = arg.replace(/^--?/, '').split('=')[0]!
    if (!known.has(name) && !(name.startsWith('no-') && known.has(name.slice(3)))) {
      throw new ReplayError('bad-input', `unknown option ${arg} (see opendt-replay ${command} --help)`)
    }
  }
}

/** Usage text, without colours unless stdout is a terminal. */
function printUsage(text: string): void {
  process.stdout.write((process.stdout.isTTY ? text : text.replace(/\x1b\[[0-9;]*m/g, '')) + '\n')
}

async function main(): Promise<number> {
  const command = mainCommand(runReplay, runInspect)
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    printUsage((await renderUsage(command)) + '\n\n' + MAIN_EPILOGUE)
    return ExitCode.ok
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    process.stdout.write(`opendt-replay ${stamp.version} (commit ${stamp.commit}, bun ${stamp.bun})\n`)
    return ExitCode.ok
  }
  const name = argv[0]
  if (name !== 'replay' && name !== 'inspect') throw new ReplayError('bad-input', `unknown command "${name}" (commands: replay, inspect; see opendt-replay --help)`)
  const defs = name === 'replay' ? replayArgs : inspectArgs
  const sub = argv.slice(1)
  if (sub.includes('--help') || sub.includes('-h')) {
    const subCommand = (command.subCommands as Record<string, Parameters<typeof renderUsage>[0]>)[name]!
    printUsage((await renderUsage(subCommand, command)) + '\n\n' + (name === 'replay' ? REPLAY_EPILOGUE : INSPECT_EPILOGUE))
    return ExitCode.ok
  }
  let effective: string[]
  try {
    effective = withEnvironment(sub, process.env, defs)
  } catch (error) {
    throw new ReplayError('bad-input', (error as Error).message)
  }
  checkFlags(effective, defs, name)
  await runCommand(command, { rawArgs: [name, ...effective] })
  return Number(process.exitCode ?? ExitCode.ok)
}

try {
  process.exitCode = await main()
} catch (error) {
  if (error instanceof ReplayError) {
    log.error(error.message)
    if (verbose && error.stack) log.debug(error.stack)
    process.exitCode = error.exitCode
  } else {
    log.error(`internal error: ${(error as Error)?.message ?? String(error)}${verbose ? '' : ' (run with --verbose for the stack)'}`)
    if (verbose) log.error(error)
    process.exitCode = ExitCode.internal
  }
}

// kafkajs can leave retry timers behind (a connection attempt still backing off after we gave
// up): once the outcome is reported, nothing else is owed, so exit now rather than when they fire.
await new Promise<void>((resolve) => process.stdout.write('', () => process.stderr.write('', () => resolve())))
process.exit(process.exitCode)
