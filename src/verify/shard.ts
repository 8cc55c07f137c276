import { shardOf } from '../core/shard.ts'
import type { Shard } from '../types.ts'

/**
 * Whose a record is, when `verify --shard K/N` reads topics that every shard writes:
 * - `ours`: checked as usual;
 * - `other`: another shard's, counted apart and not checked;
 * - `shared`: a message every shard sends alike (dc-mock's heartbeats and topology under
 *   `--shard-control all`): the first copy is checked, the others are other shards' copies.
 * Task records belong to the shard of their key (Kafka's murmur2, as `replay --shard` splits
 * them); power (keyless) to shard 0; heartbeats and topology to shard 0, or to every shard.
 */
export type Owner = 'ours' | 'other' | 'shared'

export function shardOwner(shard: Shard, controlKeys: readonly Uint8Array[]): (key: Buffer | null) => Owner {
  const mine = (yes: boolean): Owner => (yes ? 'ours' : 'other')
  return (key) => {
    if (key === null) return mine(shard.index === 0)
    if (controlKeys.some((k) => key.equals(k))) {
      return shard.control === 'all' ? 'shared' : mine(shard.index === 0)
    }
    return mine(shardOf(key, shard.count) === shard.index)
  }
}
