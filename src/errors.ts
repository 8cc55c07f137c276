/**
 * The error taxonomy: every way a command ends has a reason, and each reason one exit code. This
 * table is the only place that says which code: the CLI boundary (main.ts), the workers, the
 * replay's conclusion and the JSON summary all read it. The README's and `--help`'s exit-code
 * tables list the same codes.
 */
export const EXIT_CODES = {
  /** Everything in the window was written (and acknowledged, with Kafka). */
  completed: 0,
  /** A bug or an unexpected failure of the runtime. */
  internal: 1,
  /** `verify`: the topics do not hold exactly the replay's messages. */
  mismatch: 1,
  /** Bad input: a flag value, an environment twin or the trace itself. Nothing was sent. */
  'bad-input': 2,
  /** The Kafka brokers could not be reached at start (or the topics not prepared). Nothing was sent. */
  'broker-unreachable': 3,
  /** The brokers were lost mid-run and the send retries ran out. */
  'broker-lost': 3,
  /** A message was sent but never acknowledged. */
  unacknowledged: 3,
  /** A stream fell further behind its schedule than `--max-lag` allows. */
  'max-lag': 4,
  /** The brokers rejected the SASL credentials. */
  auth: 5,
  /** An output could not be written: stdout (disk full, closed, I/O error; unlike a reader that left) or --summary-json. */
  'output-error': 6,
  /** SIGINT (128 + 2): stopped on request after reporting what was sent. */
  sigint: 130,
  /** The reader of stdout went away (`| head`): 128 + SIGPIPE, as a Unix tool killed by it. */
  'stdout-closed': 141,
  /** SIGTERM (128 + 15), as SIGINT. */
  sigterm: 143,
} as const

/**
 * The exit codes as `--help` lists them (cli/help.ts renders both forms from this one list): the
 * code(s), a short name, and what it means. Kept beside EXIT_CODES; a unit test checks they agree.
 */
export const EXIT_CODE_HELP: readonly (readonly [codes: string, short: string, long: string])[] = [
  ['0', 'ok', 'everything in the window was sent (and acknowledged, with Kafka)'],
  [
    '1',
    'internal error / not exact',
    'internal error (run with --verbose for the stack); verify: the topics differ from the trace',
  ],
  ['2', 'bad input', 'bad input (a flag or the trace); nothing was sent'],
  ['3', 'Kafka unreachable or lost', 'Kafka unreachable at start, lost mid-run, or a message not acknowledged'],
  ['4', '--max-lag exceeded', 'a stream fell further behind its schedule than --max-lag'],
  ['5', 'credentials rejected', 'the brokers rejected the SASL credentials'],
  ['6', 'output not writable', 'an output could not be written (stdout: a full disk or closed; --summary-json)'],
  ['130/143', 'SIGINT/SIGTERM', 'stopped by SIGINT or SIGTERM (after reporting what was sent)'],
  ['141', 'stdout closed', 'the reader of stdout went away (| head)'],
]

/** Why a command ended. */
export type Reason = keyof typeof EXIT_CODES

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
