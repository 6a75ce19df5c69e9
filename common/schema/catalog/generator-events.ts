import { microseconds } from './expressions.js';
import type { RecordCatalog } from './types.js';

/** What collectors saw of generator sessions: connects, disconnects, withdrawals (collector clock). */
export const generatorEventCatalog: RecordCatalog = {
  row: 'GeneratorEventRow',
  record: 'GeneratorEvent',
  table: { name: 'generator_events', since: 2, engine: 'MergeTree', orderBy: '(generator, time)' },
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
    { column: 'event', type: "Enum8('unspecified' = 0, 'connected' = 1, 'disconnected' = 2, 'withdrawn' = 3)", proto: 'event', read: 'Int8', since: 2 },
    { column: 'epoch', type: 'UInt64', proto: 'epoch', read: 'UInt64', since: 2 },
    { column: 'peer', type: 'String', proto: 'peer', read: 'String', since: 2 },
  ],
  // The stamp's generator is the event's: the collector stamps the batch with it.
  unstored: { generator: 'stored as the batch column generator' },
};
