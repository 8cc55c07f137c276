import { Kafka, Partitioners, logLevel } from 'kafkajs'
const broker = process.argv[2]!
const kafka = new Kafka({ clientId: 'probe', brokers: [broker], logLevel: logLevel.NOTHING })
const admin = kafka.admin(); await admin.connect()
const topic = 'probe-' + Date.now()
await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true })
const producer = kafka.producer({ idempotent: process.env.IDEM !== '0', createPartitioner: Partitioners.DefaultPartitioner })
await producer.connect()
const N = 400000, B = Number(process.env.B ?? 7000)
const val = Buffer.from('{"submission_time":"2022-10-06T22:00:30Z","duration":30000,"cpu_usage":33600.0}')
const keys = Array.from({ length: 7000 }, (_, i) => Buffer.from('{"id":"' + (2130000 + i) + '"}'))
const t0 = performance.now()
for (let i = 0; i < N; i += B) {
  const messages = Array.from({ length: B }, (_, j) => ({ key: keys[(i + j) % 7000], value: val }))
  await producer.send({ topic, messages, acks: -1 })
}
const dt = performance.now() - t0
console.log('B', B, 'sent', N, 'in', dt.toFixed(0), 'ms =', Math.round(N / dt * 1000), 'msg/s')
await producer.disconnect(); await admin.disconnect()
