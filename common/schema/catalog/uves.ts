import { field, timestampField } from './fields.js';
import type { RecordCatalog } from './types.js';

const aggregation =
  "Map(String, Tuple(agg Enum8('none' = 0, 'sum' = 1, 'union' = 2, 'append' = 3), list_key String))";

/** UVE structs as generators send them: the history; uve_latest and workloads follow by views. */
export const uveCatalog: RecordCatalog = {
  row: 'UveRow',
  record: 'UveUpdate',
  table: {
    name: 'uve_updates',
    since: 2,
    engine: 'MergeTree',
    partitionBy: 'toYYYYMMDD(received_at)',
    orderBy: '(type, name, struct_type, generator, received_at)',
    ttl: 'toDateTime(received_at) + INTERVAL 30 DAY',
  },
  time: timestampField(2),
  // prettier-ignore
  fields: [
    field('type', 'LowCardinality(String)', 'String', 2),
    field('name', 'String', 'String', 2),
    field('struct_type', 'LowCardinality(String)', 'String', 2),
    { column: 'attributes', type: 'String', codec: 'CODEC(ZSTD(3))', proto: 'attributes_json', read: 'String', since: 2 },
    field('aggregation', aggregation, 'Map(String, Tuple(agg Int8, list_key String))', 2),
    field('deleted', 'Bool', 'UInt8', 2),
  ],
};
