/**
 * Sharding by key, as Kafka's default partitioner places keys: murmur2 of the key bytes, made
 * positive, modulo the count. So with N shards and a partition count that N divides, a shard is
 * a set of partitions, and each key's messages come from one process, in order.
 */

/** Kafka's murmur2 (its Java client's Utils.murmur2), as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995
  const length = data.length
  let h = 0x9747b28c ^ length
  const length4 = length >>> 2
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24)
    k = Math.imul(k, m)
    k ^= k >>> 24
    k = Math.imul(k, m)
    h = Math.imul(h, m) ^ k
  }
  const tail = length & ~3
  switch (length % 4) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur2 mixes the last bytes by falling through
    case 3:
      h ^= data[tail + 2]! << 16
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: as above
    case 2:
      h ^= data[tail + 1]! << 8
    case 1:
      h ^= data[tail]!
      h = Math.imul(h, m)
  }
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return h | 0
}

/** The shard (or partition) of a key among `count`: Kafka's toPositive(murmur2(key)) % count. */
export const shardOf = (key: Uint8Array, count: number): number => (murmur2(key) & 0x7fffffff) % count
