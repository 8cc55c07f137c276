import { afterEach, describe, expect, it, mock, spyOn } from 'bun:test'
// @ts-expect-error: kafkajs ships no types for its internal modules
import createRetry from 'kafkajs/src/retry/index.js'
import { sendRetry } from '../../src/kafka/client.ts'

afterEach(() => mock.restore())

/** The waits kafkajs's retrier makes between the attempts of a send that always fails retriably. */
async function waitsOf(retries: number): Promise<number[]> {
  const waits: number[] = []
  // The middle of each randomized range, and no real waiting.
  spyOn(Math, 'random').mockReturnValue(0.5)
  spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => {
    waits.push(ms)
    queueMicrotask(fn)
    return 0
  }) as unknown as typeof setTimeout)
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { name: 'KafkaJSConnectionError', retriable: true })
  const failure = await createRetry(sendRetry(retries))(async () => {
    throw refused
  }).catch((e: Error) => e)
  expect((failure as Error).name).toBe('KafkaJSNumberOfRetriesExceeded')
  return waits
}

describe('the retries of a send (sendRetry)', () => {
  it('back off from 300 ms, doubling to 30 s, even under NODE_ENV=test, whose kafkajs defaults differ', async () => {
    // bun test sets NODE_ENV=test, as it does for every replay a test starts from the sources.
    expect(process.env.NODE_ENV).toBe('test')
    const waits = await waitsOf(8)
    expect(waits).toEqual([300, 600, 1200, 2400, 4800, 9600, 19_200, 30_000])
    expect(waits.reduce((a, b) => a + b, 0)).toBe(68_100)
  })
})
