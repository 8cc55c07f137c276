import { describe, expect, it } from 'bun:test'
import { createConsola } from 'consola'
import { logLevel } from 'kafkajs'
import { KafkaLog } from '../../src/kafka/client.ts'

/** A KafkaLog over a consola that keeps its lines, and the function kafkajs would log through. */
function kafkaLog() {
  const lines: string[] = []
  const consola = createConsola({
    level: 5,
    reporters: [{ log: (entry) => lines.push(`${entry.type} ${entry.args.join(' ')}`) }],
  })
  const log = new KafkaLog(consola)
  const emit = log.creator()
  const entry = (level: number, message: string, extra: object = {}) =>
    emit({ namespace: 'Producer', level, label: '', log: { timestamp: '', logger: 'kafkajs', message, ...extra } })
  return { log, lines, entry }
}

describe("kafkajs's log (KafkaLog)", () => {
  it('counts, once connected, each entry with a retry count as a retry and each error as an error', () => {
    const { log, entry } = kafkaLog()
    const counts = { retries: 0, errors: 0 }
    const counters = { retried: () => void counts.retries++, failed: () => void counts.errors++ }
    // While connecting nothing is counted: the retries are the start's own.
    entry(logLevel.ERROR, 'Connection error', { retryCount: 0, retryTime: 300 })
    expect(counts).toEqual({ retries: 0, errors: 0 })
    log.counters = counters
    entry(logLevel.ERROR, 'Failed to send messages: connect ECONNREFUSED', { retryCount: 0, retryTime: 300 })
    entry(logLevel.WARN, 'Response Metadata', { retryCount: 1, retryTime: 600 })
    entry(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded')
    entry(logLevel.INFO, 'Consumer has joined the group')
    expect(counts).toEqual({ retries: 2, errors: 2 })
  })

  it('says each distinct warning once, once loud; before that, and every repeat, at debug', () => {
    const { log, lines, entry } = kafkaLog()
    entry(logLevel.ERROR, 'Connection error')
    log.loud = true
    entry(logLevel.ERROR, 'Connection error')
    entry(logLevel.ERROR, 'Connection error')
    entry(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees')
    expect(lines).toEqual([
      'debug kafkajs Producer: Connection error',
      'warn kafkajs Producer: Connection error',
      'debug kafkajs Producer: Connection error',
    ])
  })
})
