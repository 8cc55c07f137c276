import { describe, expect, it } from 'bun:test'
import type { Producer, ProducerBatch } from 'kafkajs'
import type { ByteWriter } from '../../src/core/bytes.ts'
import type { EventStream } from '../../src/core/stream.ts'
import { DUE_HEADER, KafkaSink, type KafkaSinkOptions } from '../../src/outputs/kafka/sink.ts'
import type { Role } from '../../src/types.ts'

/**
 * The Kafka sink with a fake producer: what each send holds, when a message counts as
 * acknowledged, one send in flight, a batch kept under the topic's limit, and a failed send.
 */

/** One message: its stream, event time, key and value text. */
type Row = [role: Role, time: number, key: string | null, value: string]

/** An EventStream over rows (as core/stream.ts's streams present messages). */
function rows(list: Row[]): EventStream {
  let i = 0
  return {
    get role() {
      return list[i]![0]
    },
    get time() {
      return i < list.length ? list[i]![1] : Infinity
    },
    keyBytes: () => (list[i]![2] === null ? null : Buffer.from(list[i]![2]!)),
    keyJson: () => Buffer.from(JSON.stringify(list[i]![2])),
    writeValue: (w: ByteWriter) => w.ascii(list[i]![3]),
    advance: () => void i++,
  }
}

/** A producer whose sends resolve or fail when the test says, recording what each held. */
function fakeProducer() {
  const sends: { batch: ProducerBatch; settle: (error?: Error) => void }[] = []
  const producer = {
    sendBatch(batch: ProducerBatch) {
      return new Promise<unknown>((resolve, reject) => {
        sends.push({ batch, settle: (error) => (error ? reject(error) : resolve([])) })
      })
    },
  } as unknown as Producer
  return { producer, sends }
}

const options = (extra: Partial<KafkaSinkOptions> = {}): KafkaSinkOptions => ({
  topics: { tasks: 't', fragments: 'f' },
  acks: -1,
  recordTime: 'send',
  maxMessageBytes: 1_048_588,
  dueHeader: false,
  ...extra,
})

/** Adds every row of the stream to the sink, each due at `due`. */
function addAll(sink: KafkaSink, stream: EventStream, due = 1000): void {
  for (; stream.time !== Infinity; stream.advance()) sink.add(stream, due)
}

const texts = (batch: ProducerBatch) =>
  batch.topicMessages!.map((t) => [
    t.topic,
    t.messages.map((m) => `${m.key?.toString() ?? 'null'}=${m.value!.toString()}`),
  ])

describe('KafkaSink', () => {
  it('one send per flush, per topic in stream order; acknowledged only when the send resolves', async () => {
    const { producer, sends } = fakeProducer()
    const sink = new KafkaSink(producer, options({ compression: 'zstd' }))
    const acked: number[] = []
    sink.onCounts = (c) => acked.push(c.tasks!.acked + c.fragments!.acked)
    addAll(
      sink,
      rows([
        ['tasks', 10, 'a', '{"t":1}'],
        ['fragments', 10, 'a', '{"f":1}'],
        ['fragments', 20, 'a', '{"f":2}'],
        ['tasks', 30, null, '{"t":2}'],
      ]),
    )
    const flushed = sink.flush()
    await flushed
    expect(sends.length).toBe(1)
    expect(texts(sends[0]!.batch)).toEqual([
      ['t', ['a={"t":1}', 'null={"t":2}']],
      ['f', ['a={"f":1}', 'a={"f":2}']],
    ])
    expect([sends[0]!.batch.acks, sends[0]!.batch.compression]).toEqual([-1, 4])
    expect(sink.figures()).toEqual({
      tasks: { sent: 2, acked: 0, eventTime: 30, ackedTime: Number.NaN, bytesAcked: 0 },
      fragments: { sent: 2, acked: 0, eventTime: 20, ackedTime: Number.NaN, bytesAcked: 0 },
    })
    expect(sink.pendingFrom()).toBe(10)
    sends[0]!.settle()
    await sink.close()
    // Key and value bytes: a + {"t":1} and {"t":2} (no key); a + {"f":1} and a + {"f":2}.
    expect(sink.figures()).toEqual({
      tasks: { sent: 2, acked: 2, eventTime: 30, ackedTime: 30, bytesAcked: 15 },
      fragments: { sent: 2, acked: 2, eventTime: 20, ackedTime: 20, bytesAcked: 16 },
    })
    expect(sink.pendingFrom()).toBe(Infinity)
    expect(acked).toEqual([0, 4])
  })

  it('one send in flight: the next batch waits for the first to be answered', async () => {
    const { producer, sends } = fakeProducer()
    const sink = new KafkaSink(producer, options())
    addAll(sink, rows([['tasks', 1, 'a', 'x']]))
    await sink.flush()
    addAll(sink, rows([['tasks', 2, 'b', 'y']]))
    const second = sink.flush()
    await Promise.resolve()
    expect(sends.length).toBe(1)
    sends[0]!.settle()
    await second
    expect(sends.length).toBe(2)
    sends[1]!.settle()
    await sink.close()
    expect(sink.figures().tasks).toEqual({ sent: 2, acked: 2, eventTime: 2, ackedTime: 2, bytesAcked: 4 })
  })

  it("a send's values stay as sent until it is acknowledged; then its buffer holds later batches", async () => {
    const { producer, sends } = fakeProducer()
    const sink = new KafkaSink(producer, options())
    const values = (i: number) => sends[i]!.batch.topicMessages![0]!.messages.map((m) => m.value as Buffer)
    const texts = () => sends.map((_, i) => values(i)[0]!.toString())
    let time = 0
    /** One message and a flush; the send before it is acknowledged as the flush waits for it. */
    const batch = async (value: string) => {
      addAll(sink, rows([['tasks', ++time, 'k', value]]))
      const flushed = sink.flush()
      sends.at(-1)?.settle()
      await flushed
    }
    await batch('first')
    await batch('secnd')
    await batch('third')
    expect(texts()).toEqual(['first', 'secnd', 'third'])
    // The first send is acknowledged: the fourth batch is written where its values were, while the
    // third, in flight, keeps its own.
    addAll(sink, rows([['tasks', ++time, 'k', 'forth']]))
    expect(texts()).toEqual(['forth', 'secnd', 'third'])
    const fourth = sink.flush()
    sends[2]!.settle()
    await fourth
    expect(values(3)[0]!.buffer).toBe(values(0)[0]!.buffer)
    sends[3]!.settle()
    await sink.close()
    expect(sink.figures().tasks).toEqual({ sent: 4, acked: 4, eventTime: 4, ackedTime: 4, bytesAcked: 24 })
  })

  it("a message that would take the batch past the topic's limit starts the next one", async () => {
    const { producer, sends } = fakeProducer()
    // The limit less the sink's 4,096 bytes of headroom leaves room for one 3,000-byte message.
    const sink = new KafkaSink(producer, options({ maxMessageBytes: 4096 + 3200 }))
    addAll(
      sink,
      rows([
        ['tasks', 1, 'a', 'x'.repeat(3000)],
        ['tasks', 2, 'b', 'y'.repeat(3000)],
      ]),
    )
    expect(sink.full()).toBe(true)
    const flushed = sink.flush()
    await Promise.resolve()
    sends[0]!.settle()
    await flushed
    sends[1]!.settle()
    await sink.close()
    expect(sends.map((s) => s.batch.topicMessages![0]!.messages.length)).toEqual([1, 1])
    expect(sink.figures().tasks).toEqual({ sent: 2, acked: 2, eventTime: 2, ackedTime: 2, bytesAcked: 6002 })
  })

  it("--batch-size caps a send below the topic's limit: 10 messages of 1,061 bytes in sends of 3", async () => {
    const { producer, sends } = fakeProducer()
    // Each message counts its key (1 byte), value (998) and 62 bytes of record overhead: 1,061.
    const sink = new KafkaSink(producer, options({ batchBytes: 3 * 1061 }))
    addAll(sink, rows(Array.from({ length: 10 }, (_, i): Row => ['fragments', i, 'k', 'v'.repeat(998)])))
    const flushed = sink.flush()
    for (let i = 0; i < 4; i++) {
      await Promise.resolve()
      await Promise.resolve()
      sends[i]?.settle()
    }
    await flushed
    await sink.close()
    expect(sends.map((s) => s.batch.topicMessages![0]!.messages.length)).toEqual([3, 3, 3, 1])
    expect(sink.figures().fragments).toEqual({ sent: 10, acked: 10, eventTime: 9, ackedTime: 9, bytesAcked: 9990 })
  })

  it('a failed send: close throws, and what it held is sent but never acknowledged', async () => {
    const { producer, sends } = fakeProducer()
    const sink = new KafkaSink(producer, options())
    addAll(sink, rows([['fragments', 5, 'k', 'v']]))
    await sink.flush()
    sends[0]!.settle(new Error('NOT_LEADER_FOR_PARTITION'))
    await expect(sink.close()).rejects.toThrow('NOT_LEADER_FOR_PARTITION')
    expect(sink.figures().fragments).toEqual({
      sent: 1,
      acked: 0,
      eventTime: 5,
      ackedTime: Number.NaN,
      bytesAcked: 0,
    })
    expect(sink.pendingFrom()).toBe(5)
  })

  it('paced records carry their due instant; --record-time trace stamps the event time', async () => {
    const { producer, sends } = fakeProducer()
    const sink = new KafkaSink(producer, options({ dueHeader: true, recordTime: 'trace' }))
    addAll(sink, rows([['tasks', 1664_000_000_000.4, 'a', 'x']]), 1764169200005.125)
    await sink.flush()
    const record = sends[0]!.batch.topicMessages![0]!.messages[0]!
    expect([record.headers, record.timestamp]).toEqual([{ [DUE_HEADER]: '1764169200005.125' }, '1664000000000'])
    sends[0]!.settle()
    await sink.close()
  })
})
