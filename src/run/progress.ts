import { formatDuration, formatTime } from '../core/text.ts'
import type { Role } from '../types.ts'

/** What the main thread knows of one stream while it runs. */
export interface StreamState {
  sent: number
  acked: number
  /** Event time of the last message sent (NaN before the first). */
  eventTime: number
  /** How late the last batch went out, ms. */
  lateness: number
  /** Window start and the stream's last event time in the window. */
  from: number
  end: number
}

/**
 * One stream's progress: trace time reached, percent of the window, messages (acknowledged, with
 * Kafka), rate, current lateness, and ETA (paced: the trace time left over the speed; at max
 * speed: elapsed time scaled by what is left). Paced, the trace time reached is where the
 * schedule stands (a sparse stream advances between its messages too); at max speed, the last
 * message sent.
 */
export function progressLine(
  role: Role,
  s: StreamState,
  elapsedMs: number,
  speed: number,
  acknowledges: boolean,
): string {
  const span = s.end - s.from
  const sentUpTo = Number.isNaN(s.eventTime) ? s.from : s.eventTime
  const reached = speed === Infinity ? sentUpTo : Math.min(s.end, Math.max(sentUpTo, s.from + elapsedMs * speed))
  const fraction = span > 0 ? Math.min(1, Math.max(0, (reached - s.from) / span)) : 1
  const rate = elapsedMs > 0 ? Math.round((s.sent / elapsedMs) * 1000) : 0
  const eta =
    speed === Infinity
      ? fraction > 0
        ? (elapsedMs * (1 - fraction)) / fraction
        : Infinity
      : Math.max(0, s.end - reached) / speed
  const at = speed === Infinity && Number.isNaN(s.eventTime) ? 'waiting' : formatTime(Math.floor(reached / 1000) * 1000)
  const counts = acknowledges ? `${s.sent} sent, ${s.acked} acked` : `${s.sent} sent`
  const percent = `${(fraction * 100).toFixed(1).padStart(5)}%`
  const late = `late ${s.lateness.toFixed(1)} ms`
  return `${role.padEnd(9)} ${at}  ${percent}  ${counts}  ${rate} msg/s  ${late}  ETA ${formatDuration(eta)}`
}

export interface DisplayOptions {
  /** Writes to stderr. */
  write(text: string): void
  /** A terminal: live lines redrawn in place; otherwise one log line every intervalMs. */
  tty: boolean
  intervalMs: number
  log(line: string): void
  speed: number
  /** The output acknowledges apart from writing: the lines count both. */
  acknowledges: boolean
  now(): number
}

const REDRAW_MS = 250

/** Shows progress on stderr while a replay runs; stop() clears the live lines. */
export class ProgressDisplay {
  private timer: ReturnType<typeof setInterval> | undefined
  private drawn = 0
  private readonly started: number
  private readonly options: DisplayOptions
  private readonly states: readonly (readonly [Role, StreamState])[]

  /** `states`: the streams to show, in order, and the state the main thread keeps for each. */
  constructor(options: DisplayOptions, states: readonly (readonly [Role, StreamState])[]) {
    this.options = options
    this.states = states
    this.started = options.now()
    this.timer = setInterval(() => this.show(), options.tty ? REDRAW_MS : options.intervalMs)
  }

  lines(): string[] {
    const elapsed = this.options.now() - this.started
    return this.states.map(([role, state]) =>
      progressLine(role, state, elapsed, this.options.speed, this.options.acknowledges),
    )
  }

  show(): void {
    const lines = this.lines()
    if (!this.options.tty) {
      this.options.log(lines.map((l) => l.replace(/\s+/g, ' ')).join('; '))
      return
    }
    const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : ''
    this.options.write(up + lines.map((l) => `\x1b[2K${l}\n`).join(''))
    this.drawn = lines.length
  }

  stop(): void {
    clearInterval(this.timer)
    if (this.options.tty && this.drawn > 0) this.options.write(`\x1b[${this.drawn}A\x1b[0J`)
    this.drawn = 0
  }
}
