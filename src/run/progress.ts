import { formatDuration, formatTime } from '../core/text.ts'
import type { LiveStatus } from '../live/status.ts'

/**
 * The progress line, from the run's status (run/monitor.ts): where the acknowledged position
 * stands on the trace, what each topic has sent and had acknowledged, the acknowledged rate, how
 * late the run is now, and the ETA from acknowledged progress. While stalled it starts with why
 * and for how long: `stalled 12s: no acknowledgement from 127.0.0.1:9092`.
 */
export function progressLine(s: LiveStatus, acknowledges: boolean): string {
  const at =
    s.trace.acknowledged === null ? 'waiting' : formatTime(Math.floor(Date.parse(s.trace.acknowledged) / 1000) * 1000)
  const percent = `${(s.trace.fraction * 100).toFixed(1)}%`
  const counts = s.topics
    .map((t) => (acknowledges ? `${t.stream} ${t.acknowledged}/${t.sent} acked` : `${t.stream} ${t.sent} sent`))
    .join(', ')
  const rate = s.topics.reduce((n, t) => n + t.ratePerSecond, 0)
  const late = `late ${s.lateness.currentMs.toFixed(1)} ms`
  const eta = s.trace.etaSeconds === null ? '?' : formatDuration(s.trace.etaSeconds * 1000)
  const head = s.stalled
    ? `stalled ${formatDuration(s.stalled.seconds * 1000)}: ${s.stalled.reason}  `
    : s.state === 'waiting'
      ? 'waiting for --start-at  '
      : ''
  return `${head}${at}  ${percent}  ${counts}  ${rate} msg/s  ${late}  ETA ${eta}`
}

export interface DisplayOptions {
  /** Writes to stderr. */
  write(text: string): void
  /** A terminal: the live line redrawn in place; otherwise one log line every intervalMs. */
  tty: boolean
  intervalMs: number
  log(line: string): void
  /** The output acknowledges apart from writing: the line counts both. */
  acknowledges: boolean
  status(): LiveStatus
}

const REDRAW_MS = 250

/** Shows progress on stderr while a replay runs; stop() clears the live line. */
export class ProgressDisplay {
  private timer: ReturnType<typeof setInterval> | undefined
  private drawn = 0
  private readonly options: DisplayOptions

  constructor(options: DisplayOptions) {
    this.options = options
    this.timer = setInterval(() => this.show(), options.tty ? REDRAW_MS : options.intervalMs)
  }

  line(): string {
    return progressLine(this.options.status(), this.options.acknowledges)
  }

  show(): void {
    const line = this.line()
    if (!this.options.tty) {
      this.options.log(line.replace(/\s+/g, ' '))
      return
    }
    const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : ''
    this.options.write(`${up}\x1b[2K${line}\n`)
    this.drawn = 1
  }

  stop(): void {
    clearInterval(this.timer)
    if (this.options.tty && this.drawn > 0) this.options.write(`\x1b[${this.drawn}A\x1b[0J`)
    this.drawn = 0
  }
}
