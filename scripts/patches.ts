/**
 * The dependency fixes applied while bundling (scripts/build.ts), each checked. A patch is
 * written for one file of one package version: the build fails when the package is another
 * version, when the file's bytes differ from the ones the patch was written for, when an edit's
 * anchor is not found exactly once, or when the hook did not fire (the file moved). A silent
 * no-op, or a patch over code it was not checked against, would be worse than a failed build.
 * Unit tests compare each patched function with the stock one (test/unit/patches.test.ts).
 * Sources run with `bun src/main.ts` use the stock modules.
 */

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BunPlugin } from 'bun'

export interface Patch {
  /** The package and file (inside the package) it replaces, and the version and sha256 it was written for. */
  package: string
  version: string
  file: string
  sha256: string
  /** Why: what goes wrong without it. */
  why: string
  /** The new source, from the stock one. */
  apply(source: string): string
}

/** Replaces each anchor, which must occur exactly once, by its replacement. */
function edits(file: string, pairs: [anchor: string, replacement: string][]): (source: string) => string {
  return (source) =>
    pairs.reduce((text, [anchor, replacement]) => {
      const count = text.split(anchor).length - 1
      if (count !== 1) throw new Error(`patch of ${file}: anchor found ${count} times, expected once: ${anchor}`)
      return text.replace(anchor, replacement)
    }, source)
}

export const LINEAR_GROUPING = `module.exports = ({ topic, partitionMetadata, messages, partitioner }) => {
  if (partitionMetadata.length === 0) return {}
  const result = {}
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message })
    ;(result[partition] || (result[partition] = [])).push(message)
  }
  return result
}
`

/**
 * kafkajs's sendMessages with responses kept per partition instead of per broker. The stock one
 * remembers which brokers answered and, on a retry, sends only to brokers that have not: when a
 * partition's leader dies and leadership moves to a broker that had already acknowledged its own
 * partitions of the same send, that partition is never sent again, and the send resolves as if
 * every message were acknowledged (tulios/kafkajs issue 1303). Here a retry sends every partition
 * that no broker has acknowledged, to its leader now; messages are grouped into partitions once, so
 * a keyless message keeps its partition across retries; an attempt waits for all of its requests
 * to settle before the next begins (none of them is still in flight when its partitions are sent
 * again); and a send resolves only when every partition has an answer.
 */
export const PER_PARTITION_SEND = `const { KafkaJSMetadataNotLoaded } = require('../errors')
const { staleMetadata } = require('../protocol/error')
const groupMessagesPerPartition = require('./groupMessagesPerPartition')
const createTopicData = require('./createTopicData')
const responseSerializer = require('./responseSerializer')

const { keys } = Object
const slot = (topic, partition) => topic + '\\u0000' + partition

module.exports = ({ logger, cluster, partitioner, eosManager, retrier }) => {
  return async ({ acks, timeout, compression, topicMessages }) => {
    /** Per topic: its messages per partition, grouped once. */
    const groups = new Map()
    /** Per topic and partition acknowledged: the broker's answer (null with acks 0). */
    const answered = new Map()

    const pendingPartitions = topic =>
      keys(groups.get(topic)).filter(partition => !answered.has(slot(topic, partition)))

    const createProducerRequests = async () => {
      await cluster.refreshMetadataIfNecessary()
      const perTopic = []
      const leaders = new Set()
      for (const { topic, messages } of topicMessages) {
        const partitionMetadata = cluster.findTopicPartitionMetadata(topic)
        if (partitionMetadata.length === 0) {
          logger.debug('Producing to topic without metadata', {
            topic,
            targetTopics: Array.from(cluster.targetTopics),
          })
          throw new KafkaJSMetadataNotLoaded('Producing to topic without metadata')
        }
        if (!groups.has(topic)) {
          groups.set(topic, groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }))
        }
        const pending = pendingPartitions(topic)
        const partitionsPerLeader = cluster.findLeaderForPartitions(topic, pending)
        const led = keys(partitionsPerLeader).reduce((n, id) => n + partitionsPerLeader[id].length, 0)
        if (led !== pending.length) {
          throw new KafkaJSMetadataNotLoaded('Producing to partitions without metadata')
        }
        perTopic.push({ topic, partitionsPerLeader, messagesPerPartition: groups.get(topic) })
        for (const nodeId of keys(partitionsPerLeader)) leaders.add(nodeId)
      }

      const brokers = []
      for (const nodeId of leaders) brokers.push(await cluster.findBroker({ nodeId }))

      return brokers.map(async broker => {
        const topicData = createTopicData(
          perTopic
            .filter(({ partitionsPerLeader }) => !!partitionsPerLeader[broker.nodeId])
            .map(({ topic, partitionsPerLeader, messagesPerPartition }) => ({
              topic,
              partitions: partitionsPerLeader[broker.nodeId],
              messagesPerPartition,
            }))
        )

        await eosManager.acquireBrokerLock(broker)
        try {
          if (eosManager.isTransactional()) {
            await eosManager.addPartitionsToTransaction(topicData)
          }

          topicData.forEach(({ topic, partitions }) => {
            partitions.forEach(entry => {
              entry['firstSequence'] = eosManager.getSequence(topic, entry.partition)
              eosManager.updateSequence(topic, entry.partition, entry.messages.length)
            })
          })

          let response
          try {
            response = await broker.produce({
              transactionalId: eosManager.isTransactional()
                ? eosManager.getTransactionalId()
                : undefined,
              producerId: eosManager.getProducerId(),
              producerEpoch: eosManager.getProducerEpoch(),
              acks,
              timeout,
              compression,
              topicData,
            })
          } catch (e) {
            topicData.forEach(({ topic, partitions }) => {
              partitions.forEach(entry => {
                eosManager.updateSequence(topic, entry.partition, -entry.messages.length)
              })
            })
            throw e
          }

          if (acks === 0) {
            topicData.forEach(({ topic, partitions }) =>
              partitions.forEach(({ partition }) => answered.set(slot(topic, partition), null))
            )
          } else {
            for (const entry of responseSerializer(response)) {
              answered.set(slot(entry.topicName, entry.partition), entry)
            }
          }
        } finally {
          await eosManager.releaseBrokerLock(broker)
        }
      })
    }

    return retrier(async (bail, retryCount, retryTime) => {
      const topics = topicMessages.map(({ topic }) => topic)
      await cluster.addMultipleTargetTopics(topics)

      try {
        const requests = await createProducerRequests()
        const settled = await Promise.allSettled(requests)
        const failed = settled.find(result => result.status === 'rejected')
        if (failed) throw failed.reason
        if (topics.some(topic => pendingPartitions(topic).length > 0)) {
          throw new KafkaJSMetadataNotLoaded('A partition was not acknowledged')
        }
        return Array.from(answered.values()).filter(entry => entry !== null)
      } catch (e) {
        if (e.name === 'KafkaJSConnectionClosedError') {
          cluster.removeBroker({ host: e.host, port: e.port })
        }

        if (!cluster.isConnected()) {
          logger.debug(\`Cluster has disconnected, reconnecting: \${e.message}\`, {
            retryCount,
            retryTime,
          })
          await cluster.connect()
          await cluster.refreshMetadata()
          throw e
        }

        // This is necessary in case the metadata is stale and the number of partitions
        // for this topic has increased in the meantime
        if (
          staleMetadata(e) ||
          e.name === 'KafkaJSMetadataNotLoaded' ||
          e.name === 'KafkaJSConnectionError' ||
          e.name === 'KafkaJSConnectionClosedError' ||
          (e.name === 'KafkaJSProtocolError' && e.retriable)
        ) {
          logger.error(\`Failed to send messages: \${e.message}\`, { retryCount, retryTime })
          await cluster.refreshMetadata()
          throw e
        }

        logger.error(\`\${e.message}\`, { retryCount, retryTime })
        if (e.retriable) throw e
        bail(e)
      }
    })
  }
}
`

/**
 * kafkajs's Record (one record of a record batch), written straight into one buffer of its exact
 * size. The stock one allocates a 512-byte zeroed Encoder per record (and one per header), and
 * computes the timestamp delta's varlong with Long objects: encoding alone capped a send loop at
 * about 230,000 records/s, under Kafka's own producer. Records whose fields are all of the kinds
 * the replay sends (key and value Buffers or null, headers of text or Buffer values, deltas in
 * 32 bits) take this path, with the same bytes; any other goes to the stock function, kept as it is.
 */
export const FAST_RECORD = `
const zigzag = (v) => ((v << 1) ^ (v >> 31)) >>> 0
const varintSize = (u) => (u < 0x80 ? 1 : u < 0x4000 ? 2 : u < 0x200000 ? 3 : u < 0x10000000 ? 4 : 5)
const putVarint = (buf, at, u) => {
  while (u >= 0x80) {
    buf[at++] = (u & 0x7f) | 0x80
    u >>>= 7
  }
  buf[at++] = u
  return at
}
/** The encoder patch's: buffers from this size on are taken by reference. */
const ADOPT_BYTES = 16384
const isInt32 = (v) => typeof v === 'number' && (v | 0) === v
const isBytes = (v) => v === null || v === undefined || Buffer.isBuffer(v)
const bytesSize = (v) => (v == null ? 1 : varintSize(zigzag(v.length)) + v.length)
const putBytes = (buf, at, v) => {
  if (v == null) return putVarint(buf, at, 1) // -1: null
  at = putVarint(buf, at, zigzag(v.length))
  v.copy(buf, at)
  return at + v.length
}

module.exports = (record) => {
  const { offsetDelta = 0, timestampDelta = 0, key, value, headers = {} } = record
  if (!isInt32(offsetDelta) || !isInt32(timestampDelta) || !isBytes(key) || !isBytes(value)) return stockRecord(record)
  const names = Object.keys(headers)
  let headerSize = varintSize(zigzag(names.length))
  for (const name of names) {
    const v = headers[name]
    if (typeof v !== 'string' && !Buffer.isBuffer(v)) return stockRecord(record)
    const k = Buffer.byteLength(name)
    const n = typeof v === 'string' ? Buffer.byteLength(v) : v.length
    headerSize += varintSize(zigzag(k)) + k + varintSize(zigzag(n)) + n
  }
  const body =
    1 + varintSize(zigzag(timestampDelta)) + varintSize(zigzag(offsetDelta)) + bytesSize(key) + bytesSize(value) + headerSize
  const size = varintSize(zigzag(body)) + body
  // A large value is not copied: the record is the bytes before it, the value itself (taken by
  // reference, as the encoder patch takes large buffers), and its headers.
  const adopt = value != null && value.length >= ADOPT_BYTES
  const buf = Buffer.allocUnsafe(adopt ? size - value.length : size)
  let at = putVarint(buf, 0, zigzag(body))
  buf[at++] = 0 // attributes
  at = putVarint(buf, at, zigzag(timestampDelta))
  at = putVarint(buf, at, zigzag(offsetDelta))
  at = putBytes(buf, at, key)
  at = adopt ? putVarint(buf, at, zigzag(value.length)) : putBytes(buf, at, value)
  const split = at
  at = putVarint(buf, at, zigzag(names.length))
  for (const name of names) {
    const v = headers[name]
    const k = Buffer.byteLength(name)
    at = putVarint(buf, at, zigzag(k))
    at += buf.write(name, at, k, 'utf8')
    if (typeof v === 'string') {
      const n = Buffer.byteLength(v)
      at = putVarint(buf, at, zigzag(n))
      at += buf.write(v, at, n, 'utf8')
    } else at = putBytes(buf, at, v)
  }
  const encoder = Object.create(Encoder.prototype)
  if (adopt) {
    encoder.parts = [buf.subarray(0, split), value]
    encoder.partsSize = split + value.length
    encoder.buf = buf.subarray(split)
    encoder.offset = at - split
  } else {
    encoder.buf = buf
    encoder.offset = size
  }
  return encoder
}
`

/**
 * kafkajs's murmur2 (the default partitioner's hash of every key) is our own core/shard.ts murmur2,
 * the 32-bit integer arithmetic of Kafka's Java client that `--shard` already uses: one function
 * places keys in partitions and in shards. The stock one does the same arithmetic with its Long
 * class, an object per step: 59 % of the CPU of a send loop in a profile once records were fast.
 */
export const FAST_MURMUR2 = `// Kafka's murmur2: opendt-replay's own (src/core/shard.ts), for the bytes kafkajs hashed.
const { murmur2 } = require(${JSON.stringify(join(import.meta.dir, '..', 'src', 'core', 'shard.ts'))})
module.exports = key => murmur2(Buffer.isBuffer(key) ? key : Buffer.from(String(key)))
`

export const PATCHES: Patch[] = [
  {
    package: 'kafkajs',
    version: '2.2.4',
    file: 'src/producer/groupMessagesPerPartition.js',
    sha256: 'ea72357721fbf67770b5e06b9bf4260faa1e60f3affb556bff2cc7892c1881fb',
    why:
      'kafkajs groups a batch by partition with [...current, message] for every message: quadratic in the ' +
      'batch size, 66 % of the CPU of a send loop in a profile. The same groups in linear time.',
    apply: () => LINEAR_GROUPING,
  },
  {
    package: 'kafkajs',
    version: '2.2.4',
    file: 'src/producer/sendMessages.js',
    sha256: '8a120e6993955e040a13014cccebd79b8d41e7355d6eda1065fa83fea2fbbcdb',
    why:
      'On a retry kafkajs sends only to brokers that have not answered yet: a partition whose leader moved ' +
      'to a broker that had acknowledged other partitions of the send is dropped, and the send resolves as ' +
      'acknowledged (32 fragments lost on 3 brokers when a leader was killed). Answers are kept per partition.',
    apply: () => PER_PARTITION_SEND,
  },
  {
    package: 'kafkajs',
    version: '2.2.4',
    file: 'src/protocol/recordBatch/record/v0/index.js',
    sha256: 'ffbc628c1f35f5de8ba798165616b1009d9af1c27ca959999a10e6e3c18f8215',
    why:
      'Each record is encoded through a 512-byte zeroed Encoder of its own and Long arithmetic: 2.9 us a record, ' +
      "which capped sending under Kafka's own producer. Records of the replay's kinds are written into one " +
      'buffer of their exact size, with the same bytes; others take the stock path. A value of 16 KiB or more ' +
      '(a dc-mock task message) is not copied: the record holds it by reference, as the encoder patch does.',
    apply: edits('kafkajs/src/protocol/recordBatch/record/v0/index.js', [
      ['module.exports = ({ offsetDelta', 'const stockRecord = ({ offsetDelta'],
      ['const sizeOfHeaders = headersArray =>', `${FAST_RECORD}\nconst sizeOfHeaders = headersArray =>`],
    ]),
  },
  {
    package: 'kafkajs',
    version: '2.2.4',
    file: 'src/producer/partitioners/default/murmur2.js',
    sha256: '82c3a52a692c32b2c62e4e91adc553b4572b9abbd53d237255bf33cf132e1f98',
    why:
      'The default partitioner hashes every key with murmur2 done in Long objects: 59 % of the CPU of a ' +
      'send loop once records were fast. The same 32-bit hash in integer arithmetic.',
    apply: () => FAST_MURMUR2,
  },
  {
    package: 'kafkajs',
    version: '2.2.4',
    file: 'src/protocol/encoder.js',
    sha256: '9977889e184a9e910e4f6098c36ec6a0ca36c183aa6ead0f24191b6aa1c9a777',
    why:
      'A record batch copies its records in through a slice and a bounds check each: 0.4 us a record. ' +
      'And every layer of a produce request (record, batch, partition, topic, request, size) copies the ' +
      'layer inside it into a new zeroed buffer: a 1 MB send was copied 9 times, 40 % of the CPU of a ' +
      'dc-mock send loop. The same bytes: records copied after one check and one allocation for them ' +
      'all, and a large buffer or encoder taken in by reference, copied once when the bytes are read.',
    apply: edits('kafkajs/src/protocol/encoder.js', [
      [
        `  writeBufferInternal(buffer) {
    const bufferLength = buffer.length
`,
        `  writeBufferInternal(buffer) {
    const bufferLength = buffer.length
    if (bufferLength >= ADOPT_BYTES) return this.adopt(buffer)
`,
      ],
      [
        `  get buffer() {
    return this.buf.slice(0, this.offset)
  }`,
        `  /** A large buffer joins the parts by reference; the bytes written before it become a part too. */
  adopt(buffer) {
    if (!this.parts) {
      this.parts = []
      this.partsSize = 0
    }
    if (this.offset > 0) {
      this.parts.push(this.buf.subarray(0, this.offset))
      this.partsSize += this.offset
      this.buf = this.buf.subarray(this.offset)
      this.offset = 0
    }
    this.parts.push(buffer)
    this.partsSize += buffer.length
  }

  /** Another encoder's bytes: its large parts by reference, the rest copied. */
  writeEncoderParts(value) {
    if (value.parts) for (const part of value.parts) this.writeBufferInternal(part)
    this.writeBufferInternal(value.buf.subarray(0, value.offset))
  }

  /** The bytes as buffers in order, not joined (a record batch's CRC32C reads them so). */
  chunks() {
    const tail = this.buf.subarray(0, this.offset)
    return this.parts ? [...this.parts, tail] : [tail]
  }

  get buffer() {
    if (this.parts) {
      this.parts.push(this.buf.subarray(0, this.offset))
      this.buf = Buffer.concat(this.parts, this.partsSize + this.offset)
      this.offset = this.buf.length
      this.parts = null
      this.partsSize = 0
    }
    return this.buf.slice(0, this.offset)
  }`,
      ],
      [
        `      throw new Error('value should be an instance of Encoder')
    }

    this.writeBufferInternal(value.buffer)`,
        `      throw new Error('value should be an instance of Encoder')
    }

    this.writeEncoderParts(value)`,
      ],
      [
        `    value.forEach(v => {
      this.writeBufferInternal(v.buffer)
    })
    return this`,
        `    // Records are copied side by side (their batch's CRC32C reads them as one buffer); an encoder
    // holding parts by reference keeps them so.
    let total = 0
    let parts = false
    for (const v of value) {
      total += v.offset
      if (v.parts) parts = true
    }
    if (parts) {
      for (const v of value) this.writeEncoderParts(v)
      return this
    }
    this.ensureAvailable(total)
    for (const v of value) {
      v.buf.copy(this.buf, this.offset, 0, v.offset)
      this.offset += v.offset
    }
    return this`,
      ],
      [
        `    return this.offset
  }`,
        `    return (this.partsSize || 0) + this.offset
  }`,
      ],
      [
        `const MOST_SIGNIFICANT_BIT = 0x80 // 128`,
        `/** Buffers from this size on are taken in by reference, not copied. */
const ADOPT_BYTES = 16384
const MOST_SIGNIFICANT_BIT = 0x80 // 128`,
      ],
    ]),
  },
  {
    package: 'kafkajs',
    version: '2.2.4',
    file: 'src/protocol/recordBatch/v0/index.js',
    sha256: '6d6b63a8959ff0b9ea1198b2d4ec0af940a4c92d5c793bb592310ab46f99df30',
    why:
      "A record batch ends as writeBytes(batch.buffer), and its CRC32C reads batchBody.buffer: the batch's " +
      'bytes copied twice more. The same bytes: the batch written as an encoder (its length, then the ' +
      'batch), which the encoder patch takes by reference, and the CRC32C read over its chunks.',
    apply: edits('kafkajs/src/protocol/recordBatch/v0/index.js', [
      [
        'return new Encoder().writeInt64(firstOffset).writeBytes(batch.buffer)',
        'return new Encoder().writeInt64(firstOffset).writeInt32(batch.size()).writeEncoder(batch)',
      ],
      ['.writeUInt32(crc32C(batchBody.buffer))', '.writeUInt32(crc32C(batchBody.chunks()))'],
    ]),
  },
  {
    package: 'kafkajs',
    version: '2.2.4',
    file: 'src/protocol/recordBatch/crc32C/crc32C.js',
    sha256: '1c09c7a44e7a207f2dabb920e6bf9f6b1b3fd9cc023e959a9e91ba83e5b6f61a',
    why:
      "Every record batch's CRC32C is taken a byte at a time: 3.3 ms a MB, half of encoding a batch once " +
      'records are fast. The same checksum eight bytes at a time (slicing-by-8 tables made from the table), ' +
      'of one buffer or of several one after another.',
    apply: edits('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js', [
      [
        `const crc32C = buffer => {
  let crc = 0 ^ -1
  for (let i = 0; i < buffer.length; i++) {
    crc = T[(crc ^ buffer[i]) & 0xff] ^ (crc >>> 8)
  }

  return (crc ^ -1) >>> 0
}`,
        `let T8
const tables = () => {
  // Table k maps a byte to the CRC of that byte followed by k zero bytes; table 0 is T.
  T8 = new Int32Array(8 * 256)
  T8.set(T)
  for (let k = 1; k < 8; k++)
    for (let n = 0; n < 256; n++) {
      const c = T8[(k - 1) * 256 + n]
      T8[k * 256 + n] = T[c & 0xff] ^ (c >>> 8)
    }
  return T8
}
/** The CRC32C of a buffer, or of buffers one after another (a record batch's chunks). */
const crc32C = data => {
  const t = T8 || tables()
  let crc = 0 ^ -1
  for (const buffer of Array.isArray(data) ? data : [data]) crc = update(t, crc, buffer)
  return (crc ^ -1) >>> 0
}
const update = (t, crc, buffer) => {
  let i = 0
  const n = buffer.length
  for (const end = n - (n & 7); i < end; i += 8) {
    const a = (buffer[i] | (buffer[i + 1] << 8) | (buffer[i + 2] << 16) | (buffer[i + 3] << 24)) ^ crc
    const b = buffer[i + 4] | (buffer[i + 5] << 8) | (buffer[i + 6] << 16) | (buffer[i + 7] << 24)
    crc =
      t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^
      t[768 + (b & 0xff)] ^ t[512 + ((b >>> 8) & 0xff)] ^ t[256 + ((b >>> 16) & 0xff)] ^ t[b >>> 24]
  }
  for (; i < n; i++) crc = t[(crc ^ buffer[i]) & 0xff] ^ (crc >>> 8)
  return crc
}`,
      ],
    ]),
  },
  {
    package: 'hyparquet',
    version: '1.31.5',
    file: 'src/encoding.js',
    sha256: 'bdf777d370fc2d70b630cae537318308694743aae696c93dd5fa6b944a75d496',
    why:
      'A run-length run longer than the page (one corrupt byte of a run header) is written past the end ' +
      'of the page array, which grows without bound: 14.5 GB after 100 s on a corrupted SURF. It is an error.',
    apply: edits('hyparquet/src/encoding.js', [
      [
        '  // repeat value count times\n',
        '  if (seen + count > output.length) {\n' +
          '    throw new Error(`parquet run of ${count} values overflows the page (${output.length - seen} left)`)\n' +
          '  }\n  // repeat value count times\n',
      ],
    ]),
  },
  {
    package: 'hyparquet',
    version: '1.31.5',
    file: 'src/column.js',
    sha256: 'fcd0b7c8dab543affa29b8fbc6a2552ac3c9442fff053479e41cbf42118097ad',
    why:
      'A page header is trusted as it is: a corrupt value count allocates arrays of that size, and a page ' +
      'checksum (crc) is never checked, so a flipped value in a checksummed page reads as another number. ' +
      'Value counts of a flat column are capped by the rows its row group has left; checksums are checked.',
    apply: edits('hyparquet/src/column.js', [
      [
        'export function readColumn(reader, { groupStart, selectStart, selectEnd }, columnDecoder, onPage) {',
        'export function readColumn(reader, { groupStart, groupRows, selectStart, selectEnd }, columnDecoder, onPage) {',
      ],
      [
        '    const header = parquetHeader(reader)\n',
        '    const header = parquetHeader(reader)\n' +
          '    if (isFlat && groupRows !== undefined) {\n' +
          '      const count = header.data_page_header?.num_values ?? header.data_page_header_v2?.num_values ??\n' +
          '        header.dictionary_page_header?.num_values ?? 0\n' +
          '      const left = header.dictionary_page_header ? groupRows : groupRows - rowCount\n' +
          '      if (!(count >= 0 && count <= left)) {\n' +
          '        throw new Error(`parquet ${header.type} page declares ${count} values, the row group has ${left} left`)\n' +
          '      }\n' +
          '    }\n',
      ],
      [
        '  reader.offset += header.compressed_page_size\n',
        '  reader.offset += header.compressed_page_size\n' +
          '  if (header.crc !== undefined && header.crc !== null) {\n' +
          '    const actual = Bun.hash.crc32(compressedBytes)\n' +
          '    if ((actual | 0) !== (header.crc | 0)) {\n' +
          '      throw new Error(`parquet page checksum mismatch: the header says ${header.crc >>> 0}, the page has ${actual >>> 0}`)\n' +
          '    }\n' +
          '  }\n',
      ],
    ]),
  },
]

/** Where a patch's target file is, under node_modules. */
export const targetOf = (patch: Patch, nodeModules: string) => join(nodeModules, patch.package, patch.file)

/** Throws unless `nodeModules` holds the version and file bytes each patch was written for. */
export function checkPatchTargets(nodeModules: string, patches: Patch[] = PATCHES): void {
  for (const patch of patches) {
    const pkg = join(nodeModules, patch.package)
    const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }
    if (version !== patch.version) {
      throw new Error(
        `patch of ${patch.package}/${patch.file}: written for ${patch.package} ${patch.version}, found ${version}; ` +
          'check the file and update scripts/patches.ts',
      )
    }
    const hash = new Bun.CryptoHasher('sha256').update(readFileSync(targetOf(patch, nodeModules))).digest('hex')
    if (hash !== patch.sha256) {
      throw new Error(
        `patch of ${patch.package}/${patch.file}: the file has sha256 ${hash}, the patch was written for ${patch.sha256}`,
      )
    }
  }
}

/** The bundler hook, and which patches it applied. */
export function patchPlugin(patches: Patch[] = PATCHES): { plugin: BunPlugin; missed: () => Patch[] } {
  const fired = new Set<Patch>()
  const plugin: BunPlugin = {
    name: 'opendt-replay-patches',
    setup(build) {
      for (const patch of patches) {
        const path = `${patch.package}/${patch.file}`.replace(/[.]/g, '\\.').replaceAll('/', '[\\\\/]')
        build.onLoad({ filter: new RegExp(`node_modules[\\\\/]${path}$`) }, (args) => {
          fired.add(patch)
          return { loader: 'js', contents: patch.apply(readFileSync(args.path, 'utf8')) }
        })
      }
    },
  }
  return { plugin, missed: () => patches.filter((p) => !fired.has(p)) }
}
