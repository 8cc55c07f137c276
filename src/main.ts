#!/usr/bin/env bun
/**
 * The process boundary: read argv, run the command, and turn its outcome into an exit code and
 * every error into one line on stderr (the stack only with --verbose). Nothing else lives here:
 * argv to a command is cli/, what each command does is commands/.
 */
import { join } from 'node:path'
import pkg from '../package.json' with { type: 'json' }
import { dispatch } from './cli/dispatch.ts'
import { wantsVerbose } from './cli/env.ts'
import { healthcheckCommand } from './commands/healthcheck.ts'
import { inspectCommand } from './commands/inspect.ts'
import { replayCommand } from './commands/replay.ts'
import { verifyCommand } from './commands/verify.ts'
import { escapeControls } from './core/text.ts'
import { asReplayError, EXIT_CODES } from './errors.ts'
import { parseListen } from './live/address.ts'
import { LIVE_EDGES } from './live/index.ts'
import { createLog } from './log.ts'
import { requireStdout, StdoutClosed, writeStdout } from './stdout.ts'

/** Stamped by scripts/build.ts; absent when running the sources. */
declare const BUILD_VERSION: string
declare const BUILD_COMMIT: string
declare const BUILD_BUN: string
const stamp =
  typeof BUILD_COMMIT === 'string'
    ? { version: BUILD_VERSION, commit: BUILD_COMMIT, bun: BUILD_BUN }
    : { version: pkg.version, commit: 'sources', bun: Bun.version }

/**
 * A source run's Workers load the dependency patches as this thread does: bunfig.toml preloads
 * patches/preload.ts here, and a Worker does not inherit a preload (oven-sh/bun issue 12608). The
 * binary has the patches bundled, and its Workers take no options.
 */
const workerOptions =
  typeof BUILD_COMMIT === 'string' ? undefined : { preload: [join(import.meta.dir, '..', 'patches', 'preload.ts')] }

const argv = process.argv.slice(2)
const verbose = wantsVerbose(argv, process.env)
const log = createLog(verbose)

function onSignal(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void {
  const int = () => handler('SIGINT')
  const term = () => handler('SIGTERM')
  process.on('SIGINT', int)
  process.on('SIGTERM', term)
  // A closed terminal (SIGHUP) stops the run as SIGTERM does: the summary, then exit 143.
  process.on('SIGHUP', term)
  return () => {
    process.off('SIGINT', int)
    process.off('SIGTERM', term)
    process.off('SIGHUP', term)
  }
}

async function main(): Promise<number> {
  const invocation = await dispatch(argv, {
    env: process.env,
    version: `opendt-replay ${stamp.version} (commit ${stamp.commit}, bun ${stamp.bun})`,
    width: process.stdout.isTTY ? process.stdout.columns : 80,
    warn: (text) => log.warn(text),
    info: (text) => log.info(text),
  })
  switch (invocation.command) {
    case 'print':
      requireStdout()
      writeStdout(invocation.text)
      return EXIT_CODES.completed
    case 'inspect':
      requireStdout()
      return inspectCommand(invocation.args, invocation.outsideArgv, writeStdout)
    case 'replay':
      return replayCommand(
        invocation.args,
        invocation.outsideArgv,
        {
          log,
          env: process.env,
          version: stamp.version,
          live: LIVE_EDGES,
          spawn: () => new Worker(new URL('./run/worker.ts', import.meta.url), workerOptions),
          onSignal,
          stderr: { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY === true },
        },
        invocation.opendt,
      )
    case 'healthcheck':
      return healthcheckCommand(invocation.args, {
        fetch,
        stdout: writeStdout,
        name: (flag) => invocation.outsideArgv.get(flag) ?? `--${flag}`,
      })
    case 'verify':
      requireStdout()
      return verifyCommand(invocation.args, invocation.outsideArgv, {
        log,
        env: process.env,
        version: stamp.version,
        serveLive: (http, source) => LIVE_EDGES.serve(parseListen(http.listen, http.flag), source, {}),
        onSignal,
        stdout: writeStdout,
        stderr: { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY === true },
      })
  }
}

try {
  process.exitCode = await main()
} catch (caught) {
  if (caught instanceof StdoutClosed) {
    process.exitCode = EXIT_CODES['stdout-closed']
  } else {
    const error = asReplayError(caught)
    const hint = error.reason === 'internal' && !verbose ? ' (run with --verbose for the stack)' : ''
    // Control characters from a file (a column name, say) escaped, so an error line cannot drive the terminal.
    log.error(escapeControls(`${error.reason === 'internal' ? 'internal error: ' : ''}${error.message}${hint}`, true))
    if (verbose && error.stack) log.error(error.stack)
    process.exitCode = error.exitCode
  }
}

// kafkajs can leave retry timers behind (a connection attempt still backing off after we gave
// up): once the outcome is reported, nothing else is owed, so exit now rather than when they fire.
await new Promise<void>((resolve) => process.stderr.write('', () => resolve()))
process.exit(process.exitCode)
