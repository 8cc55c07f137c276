import { asciiBytes, type ByteWriter } from '../../core/bytes.ts'
import type { EventStream } from '../../core/stream.ts'
import { PYTHON_TIMES } from '../../core/text.ts'
import type { Consumption } from '../../trace/load.ts'
import type { Window } from '../../types.ts'
import { quoted } from './streams.ts'
import { writeHeartbeat, writePower, writeTopology } from './wire.ts'

/**
 * dc-mock's streams besides its task messages (streams.ts): heartbeats on dc.workload and the
 * topology on dc.topology, each on a grid of trace time, and power rows on dc.power.
 */

/** Evenly spaced times first, first + every, ... last, within a window (nothing when every is 0). */
class GridStream {
  time = Infinity
  private next: number
  private readonly every: number
  private readonly last: number
  private readonly to: number

  constructor(first: number, every: number, last: number, window: Window) {
    this.every = every
    this.last = every > 0 ? last : -Infinity
    this.to = window.to
    const skip = every > 0 && window.from > first ? Math.ceil((window.from - first) / every) : 0
    this.next = first + skip * every
    this.update()
  }

  private update(): void {
    const t = this.next
    this.time = t <= this.last && t < this.to ? t : Infinity
  }

  advance(): void {
    this.next += this.every
    this.update()
  }
}

/**
 * The heartbeat grid, as dc-mock starts it and further: the first at the first task's time floored
 * to the minute, then one every `everyMs`, through the end of the trace (`endMs`, its last fragment)
 * and one at or after it, so a consumer's last window closes.
 */
export function heartbeatGrid(firstTaskMs: number, endMs: number, everyMs: number): { first: number; last: number } {
  const first = Math.floor(firstTaskMs / 60_000) * 60_000
  if (everyMs <= 0) return { first, last: -Infinity }
  return { first, last: first + Math.max(0, Math.ceil((endMs - first) / everyMs)) * everyMs }
}

export const HEARTBEAT_KEY = asciiBytes('heartbeat')
const HEARTBEAT_KEY_JSON = quoted(HEARTBEAT_KEY)

/** Heartbeats `{"message_type":"heartbeat","timestamp":T}` on dc.workload, key `heartbeat`. */
export class HeartbeatStream extends GridStream implements EventStream {
  readonly role = 'workload'

  constructor(grid: { first: number; last: number }, everyMs: number, window: Window) {
    super(grid.first, everyMs, grid.last, window)
  }

  keyBytes(): Buffer {
    return HEARTBEAT_KEY
  }

  keyJson(): Buffer {
    return HEARTBEAT_KEY_JSON
  }

  writeValue(w: ByteWriter): void {
    writeHeartbeat(w, this.time)
  }
}

export const TOPOLOGY_KEY = asciiBytes('datacenter')
const TOPOLOGY_KEY_JSON = quoted(TOPOLOGY_KEY)

/** The topology at the window's start and every `everyMs` of trace time to the end; its timestamp is the wall clock. */
export class TopologyStream extends GridStream implements EventStream {
  readonly role = 'topology'
  private readonly body: Buffer
  private readonly wallClock: () => number

  constructor(body: Buffer, everyMs: number, endMs: number, window: Window, wallClock: () => number = Date.now) {
    super(window.from, everyMs, Math.max(endMs, window.from), window)
    this.body = body
    this.wallClock = wallClock
  }

  keyBytes(): Buffer {
    return TOPOLOGY_KEY
  }

  keyJson(): Buffer {
    return TOPOLOGY_KEY_JSON
  }

  writeValue(w: ByteWriter): void {
    writeTopology(w, this.wallClock(), this.body)
  }
}

/** Power rows at absolute times, in time order (ties in file order). */
export interface Power {
  path: string
  time: Float64Array
  powerDraw: Float64Array
  energyUsage: Float64Array
  order: Int32Array
}

/**
 * Consumption rows placed in time: the first task's submission + the row's relative ms + the
 * offset. Returns the first row whose time Python's datetime cannot hold instead, for the caller
 * to report.
 */
export function placePower(
  consumption: Consumption,
  firstTaskMs: number,
  offsetMs: number,
): Power | { badRow: number } {
  const time = consumption.relative.map((r) => firstTaskMs + r + offsetMs)
  const badRow = time.findIndex((t) => !(t >= PYTHON_TIMES.from && t <= PYTHON_TIMES.to))
  if (badRow >= 0) return { badRow }
  const order = Int32Array.from({ length: consumption.rows }, (_, i) => i).sort((a, b) => time[a]! - time[b]! || a - b)
  return { path: consumption.path, time, powerDraw: consumption.powerDraw, energyUsage: consumption.energyUsage, order }
}

const NO_KEY_JSON = asciiBytes('null')

/** `{"power_draw","energy_usage","timestamp"}` on dc.power, without a key. */
export class PowerStream implements EventStream {
  readonly role = 'power'
  time = Infinity
  private next = 0
  private readonly power: Power
  private readonly to: number

  constructor(power: Power, window: Window) {
    this.power = power
    this.to = window.to
    while (this.next < power.order.length && power.time[power.order[this.next]!]! < window.from) this.next++
    this.update()
  }

  private update(): void {
    const row = this.power.order[this.next]
    const t = row === undefined ? Infinity : this.power.time[row]!
    this.time = t < this.to ? t : Infinity
  }

  keyBytes(): null {
    return null
  }

  keyJson(): Buffer {
    return NO_KEY_JSON
  }

  writeValue(w: ByteWriter): void {
    const row = this.power.order[this.next]!
    const p = this.power
    writePower(w, p.powerDraw[row]!, p.energyUsage[row]!, p.time[row]!)
  }

  advance(): void {
    this.next++
    this.update()
  }
}
