/**
 * kafkajs's murmur2 (src/producer/partitioners/default/murmur2.js: the default partitioner's hash
 * of every key) is our own src/core/shard.ts murmur2, the 32-bit integer arithmetic of Kafka's
 * Java client that `--shard` uses: one function places keys in partitions and in shards.
 *
 * Stock, it does the same arithmetic with kafkajs's Long class, an object per step: 59 % of the
 * CPU of a send loop once records were fast; the loop (653,467 SURF fragments, 7,000 a send) went
 * from 134,018 to 468,435 msg/s (BENCHMARKS.md, 2026-12-06). The same hash: test/unit/patches
 * compares it with the stock one on 266 keys and with four values from kafka-clients 4.4.0.
 * Upstream: none found.
 */
import { murmur2 } from '../../src/core/shard.ts'

/** kafkajs's murmur2 of a key (a Buffer, or anything it turns into text). */
export const kafkajsMurmur2 = (key: unknown): number => murmur2(Buffer.isBuffer(key) ? key : Buffer.from(String(key)))
