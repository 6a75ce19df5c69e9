import { recordTime, uuid } from './expressions.js';
import type { RecordCatalog } from './types.js';

/**
 * Interface counters. Rates come from consecutive samples at any level (as Prometheus does), so the
 * rollups keep the last counter sample of each bucket per interface, not sums.
 */
export const interfaceStatsCatalog: RecordCatalog = {
  row: 'InterfaceStatsRow',
  record: 'InterfaceStats',
  table: {
    name: 'if_stats',
    since: 2,
    engine: 'MergeTree',
    partitionBy: 'toYYYYMMDD(time)',
    orderBy: '(vmi_uuid, time)',
    ttl: 'toDateTime(time) + INTERVAL 7 DAY',
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
    { column: 'vmi_uuid', type: 'UUID', proto: 'vmi_uuid', read: 'String', insert: uuid, since: 2 },
    { column: 'vm_name', type: 'LowCardinality(String)', proto: 'vm_name', read: 'String', since: 2 },
    { column: 'virtual_network', type: 'LowCardinality(String)', proto: 'virtual_network', read: 'String', since: 2 },
    { column: 'vrouter', type: 'LowCardinality(String)', proto: 'vrouter', read: 'String', since: 2 },
    { column: 'in_bytes', type: 'UInt64', proto: 'in_bytes', read: 'UInt64', since: 2 },
    { column: 'out_bytes', type: 'UInt64', proto: 'out_bytes', read: 'UInt64', since: 2 },
    { column: 'in_packets', type: 'UInt64', proto: 'in_packets', read: 'UInt64', since: 2 },
    { column: 'out_packets', type: 'UInt64', proto: 'out_packets', read: 'UInt64', since: 2 },
    { column: 'drops', type: 'Map(LowCardinality(String), UInt64)', proto: 'drops', read: 'Map(String, UInt64)', since: 2 },
    { column: 'active_flows', type: 'UInt32', proto: 'active_flows', read: 'UInt32', since: 2 },
  ],
  rollup: {
    merge: { kind: 'last' },
    levels: [
      {
        table: 'if_stats_1m',
        bucket: 'toStartOfMinute',
        bucketSeconds: 60,
        source: 'if_stats',
        ttl: '30 DAY',
      },
      {
        table: 'if_stats_1h',
        bucket: 'toStartOfHour',
        bucketSeconds: 3600,
        source: 'if_stats_1m',
        ttl: '365 DAY',
      },
    ],
  },
};
