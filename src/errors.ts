/**
 * The error taxonomy. Every failure the user can cause or meet maps to one exit code;
 * the CLI boundary (main.ts) prints `message` as one line and exits with `exitCode`.
 */
export const ExitCode = {
  ok: 0,
  /** A bug or an unexpected failure of the runtime. */
  internal: 1,
  /** Bad input: a flag value or the trace itself. Nothing was sent. */
  badInput: 2,
  /** The Kafka broker could not be reached or stopped acknowledging. */
  broker: 3,
  /** A stream fell further behind its schedule than --max-lag allows. */
  maxLag: 4,
  /** The brokers rejected the SASL credentials. */
  auth: 5,
  /** SIGINT (128 + 2) and SIGTERM (128 + 15): stopped on request after reporting what was sent. */
  sigint: 130,
  sigterm: 143,
  /** The reader of stdout went away (`| head`): 128 + SIGPIPE, as a Unix tool killed by it. */
  stdoutClosed: 141,
} as const

export type ErrorKind = 'bad-input' | 'broker' | 'auth' | 'internal'

const exitCodes: Record<ErrorKind, number> = {
  'bad-input': ExitCode.badInput,
  broker: ExitCode.broker,
  auth: ExitCode.auth,
  internal: ExitCode.internal,
}

export class ReplayError extends Error {
  readonly kind: ErrorKind
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ReplayError'
    this.kind = kind
  }
  get exitCode(): number {
    return exitCodes[this.kind]
  }
}

/** Bad input: names the file, column, row and value where it can. */
export const badInput = (message: string, cause?: unknown) => new ReplayError('bad-input', message, { cause })
