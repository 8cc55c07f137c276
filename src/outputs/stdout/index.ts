import { asReplayError } from '../../errors.ts'
import { requireStdout, StdoutClosed, stdoutReaderGone } from '../../stdout.ts'
import type { FlagValues } from '../../types.ts'
import type { OutputDefinition } from '../output.ts'
import { LineSink } from './sink.ts'

/**
 * `--dry-run`: every message as a JSON line on stdout. Both workers write one stream of lines in
 * one order: paced, each writes its own streams through the gate; at --speed max one writes them
 * all (core/stream.ts MergedStream). A line written is a line delivered; the reader going away
 * ends the run cleanly (exit 141).
 */
const flags = {
  'dry-run': {
    type: 'boolean',
    group: 'OUTPUT',
    description: 'Write the messages to stdout as JSON lines instead of sending them',
  },
} as const

export const STDOUT = {
  name: 'stdout',
  title: 'stdout',
  flag: 'dry-run',
  choice: '--dry-run for stdout',
  flags,
  asked: (args) => (args['dry-run'] ? 'flag' : undefined),
  resolve: () => ({}),
  acknowledges: false,
  oneStream: true,
  measuresLargest: false,
  preflight: () => requireStdout(),
  stallReason: () => 'stdout is not being read: writing to it blocks',
  where: () => '',
  summary: () => ({ brokers: null }),
  unresumable: 'a dry-run has nothing to resume',
  async open(_config, _connection, { topics, speed, stopping, lock, gate }) {
    // Between writes, the reader may leave: notice it while waiting, and end as a write would.
    let gone = false
    const max = speed === Infinity
    return {
      sink: new LineSink(topics, lock),
      maxBatch: max ? 4096 : 1024,
      gate: max ? undefined : gate,
      stopped: () => {
        if (!gone && stdoutReaderGone()) gone = true
        return gone || stopping()
      },
      readerGone: () => gone,
      failure: (error) => {
        if (error instanceof StdoutClosed) return undefined
        const e = asReplayError(error)
        return { reason: e.reason, message: e.message, stack: e.stack }
      },
    }
  },
} satisfies OutputDefinition<object, undefined, FlagValues<typeof flags>>
