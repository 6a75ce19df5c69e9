import { received } from './expressions.js';

/** BatchStamp as the Protobuf insert reads it (field 2 of every `<Kind>Row`). */
export const stampStructure = [
  'stamp_generator String',
  'stamp_epoch UInt64',
  'stamp_seq UInt64',
  'stamp_received_at UInt64',
];

/** The columns every bus-fed table has: when the collector got the batch, who sent it, its id. */
export const batchColumns: readonly { column: string; type: string; codec?: string; insert: string }[] = [
  {
    column: 'received_at',
    type: "DateTime64(6, 'UTC')",
    codec: 'CODEC(DoubleDelta, ZSTD(1))',
    insert: received,
  },
  { column: 'generator', type: 'LowCardinality(String)', insert: 'stamp_generator' },
  { column: 'batch_epoch', type: 'UInt64', insert: 'stamp_epoch' },
  { column: 'batch_seq', type: 'UInt64', codec: 'CODEC(Delta(8), ZSTD(1))', insert: 'stamp_seq' },
];
