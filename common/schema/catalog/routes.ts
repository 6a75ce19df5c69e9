import { optionalIp, recordTime } from './expressions.js';
import type { RecordCatalog } from './types.js';

/** Next hops arrive as the parallel arrays of a Nested; each destination is an address or empty (local). */
const nextHops = (read: string): string => `arrayMap(d -> ${optionalIp('d')}, \`${read}.destination\`)`;

/** Route events from control nodes: the table at any instant is derived from them. */
export const routeCatalog: RecordCatalog = {
  row: 'RouteRow',
  record: 'RouteEvent',
  table: {
    name: 'routes',
    since: 2,
    engine: 'MergeTree',
    partitionBy: 'toYYYYMM(received_at)',
    orderBy: '(routing_instance, prefix, protocol, peer, time)',
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
    { column: 'routing_instance', type: 'LowCardinality(String)', proto: 'routing_instance', read: 'String', since: 2 },
    { column: 'family', type: 'LowCardinality(String)', proto: 'family', read: 'String', since: 2 },
    { column: 'prefix', type: 'String', proto: 'prefix', read: 'String', since: 2 },
    { column: 'op', type: "Enum8('unspecified' = 0, 'add' = 1, 'delete' = 2)", proto: 'op', read: 'Int8', since: 2 },
    { column: 'next_hops.tunnel_type', type: 'Array(LowCardinality(String))', proto: 'next_hops', read: 'Nested(tunnel_type String, destination String, label UInt32, interface String)', insert: (r) => `\`${r}.tunnel_type\``, since: 2 },
    { column: 'next_hops.destination', type: 'Array(IPv6)', insert: () => nextHops('record_next_hops'), since: 2 },
    { column: 'next_hops.label', type: 'Array(UInt32)', insert: () => '`record_next_hops.label`', since: 2 },
    { column: 'next_hops.interface', type: 'Array(String)', insert: () => '`record_next_hops.interface`', since: 2 },
    { column: 'protocol', type: 'LowCardinality(String)', proto: 'protocol', read: 'String', since: 2 },
    { column: 'peer', type: 'LowCardinality(String)', proto: 'peer', read: 'String', since: 2 },
    { column: 'local_pref', type: 'UInt32', proto: 'local_pref', read: 'UInt32', since: 2 },
    { column: 'med', type: 'UInt32', proto: 'med', read: 'UInt32', since: 2 },
    { column: 'as_path', type: 'String', proto: 'as_path', read: 'String', since: 2 },
    { column: 'communities', type: 'Array(String)', proto: 'communities', read: 'Array(String)', since: 2 },
    { column: 'origin_vn', type: 'LowCardinality(String)', proto: 'origin_vn', read: 'String', since: 2 },
  ],
};
