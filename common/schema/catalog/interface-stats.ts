import { field, timestampField } from './fields.js';
import { uuid } from './expressions.js';
import type { RecordCatalog } from './types.js';

/**
 * Interface counters. Rates come from consecutive samples at any level (as Prometheus does), so the
 * rollups keep counter samples of each bucket per interface, not sums: its first, its peak (the
 * highest counters: the last before a reset) and its last (rollups.ts).
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
  time: timestampField(2),
  // prettier-ignore
  fields: [
    field('vmi_uuid', 'UUID', 'String', 2, { insert: uuid }),
    field('vm_name', 'LowCardinality(String)', 'String', 2),
    field('virtual_network', 'LowCardinality(String)', 'String', 2),
    field('vrouter', 'LowCardinality(String)', 'String', 2),
    field('in_bytes', 'UInt64', 'UInt64', 2),
    field('out_bytes', 'UInt64', 'UInt64', 2),
    field('in_packets', 'UInt64', 'UInt64', 2),
    field('out_packets', 'UInt64', 'UInt64', 2),
    field('drops', 'Map(LowCardinality(String), UInt64)', 'Map(String, UInt64)', 2),
    field('active_flows', 'UInt32', 'UInt32', 2),
  ],
  rollup: {
    merge: { kind: 'last', peak: ['in_bytes', 'out_bytes', 'in_packets', 'out_packets'] },
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
