/**
 * The error taxonomy: every way a command ends has a reason, each reason one exit code, and what
 * `--help` says of it, once for a replay (also `inspect`'s and the main help) and once for
 * `verify`, whose codes mean other things. This table is the only place that says either: the CLI
 * boundary (main.ts), the workers, the replay's conclusion and the JSON summary read EXIT_CODES,
 * and `--help` reads exitCodeLines. A reason without a line of its own is listed on the line of
 * `with` (its code joins that line's: `130/143`). The README's exit-code table lists the same codes.
 */
const TAXONOMY = {
  /** Everything in the window was written (and acknowledged, with Kafka). */
  completed: {
    code: 0,
    replay: 'everything in the window was sent (and acknowledged, with Kafka)',
    verify: "the topics hold exactly the replay's messages",
    healthcheck:
      'healthy: /healthz answered 200 (starting, waiting, running, interrupted, done, or stalled less than --stall-after)',
  },
  /** A bug or an unexpected failure of the runtime. */
  internal: {
    code: 1,
    replay: 'internal error (run with --verbose for the stack); verify: the topics differ from the trace',
    verify: 'they do not (or an internal error)',
  },
  /** `verify`: the topics do not hold exactly the replay's messages. */
  mismatch: { code: 1, with: 'internal' },
  /** `healthcheck`: the run is unhealthy, or did not answer. */
  unhealthy: {
    code: 1,
    healthcheck: 'unhealthy: 503 (stalled longer than --stall-after, or failed), another answer, or no answer',
  },
  /** Bad input: a flag value, an environment twin or the trace itself. Nothing was sent. */
  'bad-input': {
    code: 2,
    replay: 'bad input (a flag or the trace); nothing was sent',
    verify: 'bad input (a flag or the trace)',
    healthcheck: 'bad input (--http)',
  },
  /** The Kafka brokers could not be reached at start (or the topics not prepared). Nothing was sent. */
  'broker-unreachable': {
    code: 3,
    replay: 'Kafka unreachable at start, lost mid-run, or a message not acknowledged',
    verify: 'Kafka unreachable, or lost while reading',
  },
  /** The brokers were lost mid-run and the send retries ran out. */
  'broker-lost': { code: 3, with: 'broker-unreachable' },
  /** A message was sent but never acknowledged. */
  unacknowledged: { code: 3, with: 'broker-unreachable' },
  /** A stream fell further behind its schedule than `--max-lag` allows (verify has none). */
  'max-lag': { code: 4, replay: 'a stream fell further behind its schedule than --max-lag' },
  /** The brokers rejected the SASL credentials. */
  auth: {
    code: 5,
    replay: 'the brokers rejected the SASL credentials',
    verify: 'the brokers rejected the SASL credentials',
  },
  /** An output could not be written: stdout (disk full, closed, I/O error; unlike a reader that left) or --summary-json. */
  'output-error': {
    code: 6,
    replay: 'an output could not be written (stdout: a full disk or closed; --summary-json; --report)',
    verify: 'stdout could not be written (closed, a full disk)',
  },
  /** SIGINT (128 + 2): stopped on request after reporting what was sent. */
  sigint: {
    code: 130,
    replay: 'stopped by SIGINT or SIGTERM (after reporting what was sent)',
    verify: 'stopped by SIGINT/SIGTERM (once reading began, the report of what was read is printed)',
  },
  /** The reader of stdout went away (`| head`): 128 + SIGPIPE, as a Unix tool killed by it. */
  'stdout-closed': {
    code: 141,
    replay: 'the reader of stdout went away (| head)',
    verify: 'the reader of stdout went away (| head)',
  },
  /** SIGTERM (128 + 15), as SIGINT. */
  sigterm: { code: 143, with: 'sigint' },
} as const satisfies Record<
  string,
  { code: number; replay?: string; verify?: string; healthcheck?: string; with?: string }
>

/** Why a command ended. */
export type Reason = keyof typeof TAXONOMY

/** Each reason's exit code. */
export const EXIT_CODES = Object.fromEntries(Object.entries(TAXONOMY).map(([reason, r]) => [reason, r.code])) as {
  readonly [R in Reason]: (typeof TAXONOMY)[R]['code']
}

/** Which command's meaning of the codes: a replay's (also inspect's), or verify's. */
export type ExitCodeView = 'replay' | 'verify' | 'healthcheck'

/** The exit codes as `--help` lists them for `view`: the code(s) of each line (`130/143`), and what it means. */
export function exitCodeLines(view: ExitCodeView): [codes: string, meaning: string][] {
  const entries = Object.entries(TAXONOMY) as [Reason, (typeof TAXONOMY)[Reason]][]
  return entries.flatMap(([reason, r]) => {
    const meaning = view in r ? (r as Record<ExitCodeView, string>)[view] : undefined
    if (meaning === undefined) return []
    const joined = entries.filter(([, other]) => 'with' in other && other.with === reason)
    const codes = [...new Set([r.code, ...joined.map(([, other]) => other.code)])]
    return [[codes.join('/'), meaning]]
  })
}

/** The reasons an error can carry (the others are outcomes of a run, not failures). */
export type ErrorReason = Extract<
  Reason,
  'internal' | 'bad-input' | 'broker-unreachable' | 'broker-lost' | 'auth' | 'output-error'
>

/** A failure with a reason (hence an exit code) and a one-line message for the user. */
export class ReplayError extends Error {
  readonly reason: ErrorReason
  constructor(reason: ErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ReplayError'
    this.reason = reason
  }
  get exitCode(): number {
    return EXIT_CODES[this.reason]
  }
}

/** Bad input: the message names the file, column, row and value, or the flag, where it can. */
export const badInput = (message: string, cause?: unknown) => new ReplayError('bad-input', message, { cause })

/** Any thrown value as a ReplayError: those pass through, anything else is internal. */
export function asReplayError(error: unknown): ReplayError {
  if (error instanceof ReplayError) return error
  const wrapped = new ReplayError('internal', (error as Error)?.message ?? String(error), { cause: error })
  if (error instanceof Error && error.stack) wrapped.stack = error.stack
  return wrapped
}
