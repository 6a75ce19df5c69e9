import { field, storedAtField } from './fields.js';
import { microseconds } from './expressions.js';
import { SNAPSHOT_SOURCE_TTL } from './retention.js';
import type { RecordCatalog } from './types.js';

/**
 * What collectors saw of generator sessions: connects, disconnects, withdrawals (collector clock).
 * Each generator's latest event of each kind is restated by every snapshot (schema/snapshots.ts), so
 * its state outlives the TTL until it has been withdrawn for longer than the retention.
 */
export const generatorEventCatalog: RecordCatalog = {
  row: 'GeneratorEventRow',
  record: 'GeneratorEvent',
  table: {
    name: 'generator_events',
    since: 2,
    engine: 'MergeTree',
    orderBy: '(generator, time)',
    ttl: SNAPSHOT_SOURCE_TTL,
    ttlSince: 5,
  },
  time: {
    column: 'time',
    type: "DateTime64(6, 'UTC')",
    proto: 'time',
    read: 'UInt64',
    insert: microseconds,
    since: 2,
  },
  // prettier-ignore
  fields: [
    field('event', "Enum8('unspecified' = 0, 'connected' = 1, 'disconnected' = 2, 'withdrawn' = 3)", 'Int8', 2),
    field('epoch', 'UInt64', 'UInt64', 2),
    field('peer', 'String', 'String', 2),
    storedAtField(4),
  ],
  // The stamp's generator is the event's: the collector stamps the batch with it.
  unstored: { generator: 'stored as the batch column generator' },
};
