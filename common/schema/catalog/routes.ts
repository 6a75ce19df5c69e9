import { field, storedAtField, timestampField } from './fields.js';
import { optionalIp } from './expressions.js';
import { SNAPSHOT_SOURCE_TTL } from './retention.js';
import type { RecordCatalog } from './types.js';

/** Next hops arrive as the parallel arrays of a Nested; each destination is an address or empty (local). */
const nextHops = (read: string): string => `arrayMap(d -> ${optionalIp('d')}, \`${read}.destination\`)`;

/**
 * Route events from control nodes: the table at any instant is derived from them (schema/route-table.ts),
 * and from the snapshots the writer takes of it (route_snapshots, migration 5), which keep a route
 * added long ago answerable after its event expired.
 */
export const routeCatalog: RecordCatalog = {
  row: 'RouteRow',
  record: 'RouteEvent',
  table: {
    name: 'routes',
    since: 2,
    engine: 'MergeTree',
    partitionBy: 'toYYYYMM(received_at)',
    orderBy: '(routing_instance, prefix, protocol, peer, time)',
    ttl: SNAPSHOT_SOURCE_TTL,
    ttlSince: 5,
  },
  time: timestampField(2),
  // prettier-ignore
  fields: [
    field('routing_instance', 'LowCardinality(String)', 'String', 2),
    field('family', 'LowCardinality(String)', 'String', 2),
    field('prefix', 'String', 'String', 2),
    field('op', "Enum8('unspecified' = 0, 'add' = 1, 'delete' = 2)", 'Int8', 2),
    { column: 'next_hops.tunnel_type', type: 'Array(LowCardinality(String))', proto: 'next_hops', read: 'Nested(tunnel_type String, destination String, label UInt32, interface String)', insert: (r) => `\`${r}.tunnel_type\``, since: 2 },
    { column: 'next_hops.destination', type: 'Array(IPv6)', insert: () => nextHops('record_next_hops'), since: 2 },
    { column: 'next_hops.label', type: 'Array(UInt32)', insert: () => '`record_next_hops.label`', since: 2 },
    { column: 'next_hops.interface', type: 'Array(String)', insert: () => '`record_next_hops.interface`', since: 2 },
    field('protocol', 'LowCardinality(String)', 'String', 2),
    field('peer', 'LowCardinality(String)', 'String', 2),
    field('local_pref', 'UInt32', 'UInt32', 2),
    field('med', 'UInt32', 'UInt32', 2),
    field('as_path', 'String', 'String', 2),
    field('communities', 'Array(String)', 'Array(String)', 2),
    field('origin_vn', 'LowCardinality(String)', 'String', 2),
    storedAtField(4),
  ],
  copies: [{ table: 'route_snapshots', since: 5 }],
};
