import { describe, expect, it } from 'bun:test'
import type { ByteWriter } from '../../src/core/bytes.ts'
import { compressor, findGaps } from '../../src/core/gaps.ts'
import { Lateness } from '../../src/core/lateness.ts'
import { type Clock, pace, type Sink } from '../../src/core/pacer.ts'
import type { EventStream } from '../../src/core/stream.ts'

/** A stream over literal event times; keys are the indexes. */
function listStream(times: number[]): EventStream {
  let i = 0
  return {
    role: 'tasks',
    get time() {
      return i < times.length ? times[i]! : Infinity
    },
    keyBytes: () => Buffer.from(String(i)),
    keyJson: () => Buffer.from(String(i)),
    writeValue: (_w: ByteWriter) => {},
    advance: () => void i++,
  }
}

/** A clock that only moves when slept on (plus `overshoot`), or when a flush costs time. */
class FakeClock implements Clock {
  t: number
  sleeps: number[] = []
  constructor(
    start: number,
    private overshoot = 0,
  ) {
    this.t = start
  }
  now() {
    return this.t
  }
  async sleepUntil(wall: number) {
    this.sleeps.push(wall)
    this.t = Math.max(this.t, wall) + this.overshoot
  }
}

/** Records each flushed batch as [wall time, keys]. */
class RecordingSink implements Sink {
  batches: [number, string[]][] = []
  /** The due instant handed with each message. */
  dues: number[] = []
  private pending: string[] = []
  constructor(
    private clock: FakeClock,
    private flushCost = 0,
  ) {}
  add(m: EventStream, due: number) {
    this.pending.push(m.keyJson().toString())
    this.dues.push(due)
  }
  flush() {
    this.batches.push([this.clock.t, this.pending])
    this.pending = []
    this.clock.t += this.flushCost
  }
}

const never = () => false

describe('pacing', () => {
  it('--linger: a batch takes the messages due within it of its first, and goes out when the next is due later', async () => {
    const clock = new FakeClock(0)
    const sink = new RecordingSink(clock)
    // Due at 0, 3, 7, 12, 30, 31 ms (speed 1); linger 5: {0, 3} at 3, {7, 12} at 12, {30, 31} at 31.
    const result = await pace(listStream([0, 3, 7, 12, 30, 31]), { start: 0, origin: 0, speed: 1 }, clock, sink, {
      maxBatch: 100,
      lingerMs: 5,
      stopped: never,
    })
    expect(sink.batches).toEqual([
      [3, ['0', '1']],
      [12, ['2', '3']],
      [31, ['4', '5']],
    ])
    // Each message waited from its due instant to its batch's send.
    expect([result.sent, result.lateness.count, result.lateness.max]).toEqual([6, 6, 5])
  })

  it('--linger ends a batch at the batch limit', async () => {
    const clock = new FakeClock(0)
    const sink = new RecordingSink(clock)
    await pace(listStream([0, 1, 2, 3]), { start: 0, origin: 0, speed: 1 }, clock, sink, {
      maxBatch: 2,
      lingerMs: 100,
      stopped: never,
    })
    expect(sink.batches).toEqual([
      [1, ['0', '1']],
      [3, ['2', '3']],
    ])
  })

  it('a run stopped while a batch lingers sends what the batch holds, and no more', async () => {
    const clock = new FakeClock(0)
    const sink = new RecordingSink(clock)
    const result = await pace(listStream([0, 1, 2, 3]), { start: 0, origin: 0, speed: 1 }, clock, sink, {
      maxBatch: 100,
      lingerMs: 100,
      stopped: () => clock.t >= 2,
    })
    expect([sink.batches, result.sent, result.stoppedEarly]).toEqual([[[2, ['0', '1']]], 2, true])
  })

  it('--linger has no effect at --speed max', async () => {
    const clock = new FakeClock(0)
    const sink = new RecordingSink(clock)
    await pace(listStream([0, 5, 10]), { start: 0, origin: 0, speed: Infinity }, clock, sink, {
      maxBatch: 100,
      lingerMs: 1000,
      stopped: never,
    })
    expect([sink.batches, clock.sleeps]).toEqual([[[0, ['0', '1', '2']]], []])
  })

  it('sends each message at start + (t - origin) / speed; equal instants go out together', async () => {
    const clock = new FakeClock(1000)
    const sink = new RecordingSink(clock)
    const result = await pace(
      listStream([0, 0, 1000, 5000, 5000]),
      { start: 1000, origin: 0, speed: 10 },
      clock,
      sink,
      { maxBatch: 100, stopped: never },
    )
    expect(sink.batches).toEqual([
      [1000, ['0', '1']],
      [1100, ['2']],
      [1500, ['3', '4']],
    ])
    expect(result.sent).toBe(5)
    expect(clock.sleeps).toEqual([1100, 1500])
    // Each message's due instant goes to the sink with it (Kafka's due-time header).
    expect(sink.dues).toEqual([1000, 1000, 1100, 1500, 1500])
  })

  it('at --speed max every message is due at the release', async () => {
    const clock = new FakeClock(700)
    const sink = new RecordingSink(clock)
    await pace(listStream([0, 1000, 5000]), { start: 700, origin: 0, speed: Infinity }, clock, sink, {
      maxBatch: 100,
      stopped: never,
    })
    expect(sink.dues).toEqual([700, 700, 700])
    expect(clock.sleeps).toEqual([])
  })

  it('at --speed max with a start instant ahead (--start-at), nothing goes out before it', async () => {
    const clock = new FakeClock(100)
    const sink = new RecordingSink(clock)
    await pace(listStream([0, 1000, 5000]), { start: 4100, origin: 0, speed: Infinity }, clock, sink, {
      maxBatch: 100,
      stopped: never,
    })
    expect(clock.sleeps).toEqual([4100])
    expect(sink.batches.map(([t, keys]) => [t, keys.length])).toEqual([[4100, 3]])
    expect(sink.dues).toEqual([4100, 4100, 4100])
  })

  it('with --max-gap, due times follow the compressed clock', async () => {
    const clock = new FakeClock(0)
    const sink = new RecordingSink(clock)
    const times = [0, 100, 10_100, 10_200]
    const compress = compressor(findGaps(times, 0, 1000)) // the 10 s gap becomes 1 s
    await pace(listStream(times), { start: 0, origin: 0, speed: 1, compress }, clock, sink, {
      maxBatch: 10,
      stopped: never,
    })
    expect(sink.batches.map((b) => b[0])).toEqual([0, 100, 1100, 1200])
  })

  it('the schedule is absolute: oversleeping does not accumulate', async () => {
    const clock = new FakeClock(0, 3) // every sleep wakes 3 ms late
    const sink = new RecordingSink(clock)
    await pace(listStream([100, 200, 300, 400]), { start: 0, origin: 0, speed: 1 }, clock, sink, {
      maxBatch: 10,
      stopped: never,
    })
    expect(clock.sleeps).toEqual([100, 200, 300, 400])
    expect(sink.batches.map((b) => b[0])).toEqual([103, 203, 303, 403])
  })

  it('window start is the origin: a replay of a later window starts at once', async () => {
    const clock = new FakeClock(50)
    const sink = new RecordingSink(clock)
    await pace(listStream([86_400_000, 86_400_500]), { start: 50, origin: 86_400_000, speed: 0.5 }, clock, sink, {
      maxBatch: 10,
      stopped: never,
    })
    expect(sink.batches).toEqual([
      [50, ['0']],
      [1050, ['1']],
    ])
  })

  it('when behind, everything already due goes out in one batch (up to maxBatch)', async () => {
    const clock = new FakeClock(0)
    const sink = new RecordingSink(clock, 250) // each flush takes 250 ms
    await pace(listStream([0, 100, 200, 300, 400, 500, 600]), { start: 0, origin: 0, speed: 1 }, clock, sink, {
      maxBatch: 2,
      stopped: never,
    })
    expect(sink.batches).toEqual([
      [0, ['0']],
      [250, ['1', '2']],
      [500, ['3', '4']],
      [750, ['5', '6']],
    ])
  })

  it('--speed max never sleeps and fills batches', async () => {
    const clock = new FakeClock(0)
    const sink = new RecordingSink(clock)
    const times = Array.from({ length: 10 }, (_, i) => i * 3_600_000)
    const result = await pace(listStream(times), { start: 0, origin: 0, speed: Infinity }, clock, sink, {
      maxBatch: 4,
      stopped: never,
    })
    expect(clock.sleeps).toEqual([])
    expect(sink.batches.map((b) => b[1].length)).toEqual([4, 4, 2])
    expect(result.lateness.count).toBe(0)
  })

  it('measures lateness as flush end minus due time', async () => {
    const clock = new FakeClock(0)
    const sink = new RecordingSink(clock, 2) // 2 ms per write
    const result = await pace(listStream([0, 10, 20]), { start: 0, origin: 0, speed: 1 }, clock, sink, {
      maxBatch: 10,
      stopped: never,
    })
    expect(result.lateness.count).toBe(3)
    expect(result.lateness.max).toBe(2)
  })

  it('stops between batches when asked, reporting what was sent', async () => {
    const clock = new FakeClock(0)
    const sink = new RecordingSink(clock)
    let stop = false
    const stream = listStream([0, 100, 200])
    const promise = pace(
      stream,
      { start: 0, origin: 0, speed: 1 },
      {
        now: () => clock.now(),
        sleepUntil: async (w) => {
          stop = true
          await clock.sleepUntil(w)
        },
      },
      sink,
      { maxBatch: 10, stopped: () => stop },
    )
    const result = await promise
    expect(result).toMatchObject({ sent: 1, stoppedEarly: true })
    expect(sink.batches).toEqual([[0, ['0']]])
  })
})

describe('progress and --max-lag', () => {
  it('reports after each batch how far the stream got and how late the batch was', async () => {
    const clock = new FakeClock(0)
    const sink = new RecordingSink(clock, 3)
    const seen: unknown[] = []
    await pace(listStream([0, 0, 100]), { start: 0, origin: 0, speed: 1 }, clock, sink, {
      maxBatch: 10,
      stopped: never,
      onBatch: (p) => seen.push(p),
    })
    expect(seen).toEqual([
      { sent: 2, eventTime: 0, lateness: 3 },
      { sent: 3, eventTime: 100, lateness: 3 },
    ])
  })

  it('stops when a batch goes out more than maxLagMs behind schedule', async () => {
    const clock = new FakeClock(0)
    const sink = new RecordingSink(clock, 60) // every write takes 60 ms
    const result = await pace(listStream([0, 10, 20, 30, 1000]), { start: 0, origin: 0, speed: 1 }, clock, sink, {
      maxBatch: 1,
      stopped: never,
      maxLagMs: 50,
    })
    expect(result).toMatchObject({ sent: 1, stoppedEarly: true, lagExceeded: 60 })
  })
})

describe('lateness histogram', () => {
  it('quantiles land within one bucket (1.6 %) and never above the max', () => {
    const h = new Lateness()
    for (let i = 1; i <= 1000; i++) h.add(i / 100) // 0.01 .. 10 ms
    expect(h.count).toBe(1000)
    expect(h.max).toBe(10)
    expect(Math.abs(h.quantile(0.5) - 5) / 5).toBeLessThan(0.016)
    expect(Math.abs(h.quantile(0.99) - 9.9) / 9.9).toBeLessThan(0.016)
    expect(h.quantile(1)).toBe(10)
  })
  it('merges by adding counts; early messages count as zero lateness', () => {
    const a = new Lateness()
    const b = new Lateness()
    a.add(-5)
    b.add(3)
    a.merge(b)
    expect(a.count).toBe(2)
    expect(a.max).toBe(3)
    expect(a.quantile(0.5)).toBe(0.001)
  })
})
