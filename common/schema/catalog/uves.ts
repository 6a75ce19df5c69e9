import type { RecordCatalog } from './types.js';
import { recordTime } from './expressions.js';

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
  time: {
    column: 'time',
    type: "DateTime64(6, 'UTC')",
    codec: 'CODEC(DoubleDelta, ZSTD(1))',
    proto: 'timestamp',
    read: 'UInt64',
    insert: recordTime,
    since: 2,
  },
  // prettier-ignore
  fields: [
    { column: 'type', type: 'LowCardinality(String)', proto: 'type', read: 'String', since: 2 },
    { column: 'name', type: 'String', proto: 'name', read: 'String', since: 2 },
    { column: 'struct_type', type: 'LowCardinality(String)', proto: 'struct_type', read: 'String', since: 2 },
    { column: 'attributes', type: 'String', codec: 'CODEC(ZSTD(3))', proto: 'attributes_json', read: 'String', since: 2 },
    { column: 'aggregation', type: aggregation, proto: 'aggregation', read: 'Map(String, Tuple(agg Int8, list_key String))', since: 2 },
    { column: 'deleted', type: 'Bool', proto: 'deleted', read: 'UInt8', since: 2 },
  ],
};
