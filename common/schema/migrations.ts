/**
 * The warehouse schema as ordered migrations. Both drivers apply them at start; an applied migration
 * is recorded in schema_migrations and never changed afterwards: a change is a new migration.
 */
export interface Migration {
  id: number;
  name: string;
  statements: string[];
}

const flowDimensions = `
  vrouter LowCardinality(String),
  direction Enum8('unspecified' = 0, 'ingress' = 1, 'egress' = 2),
  action Enum8('unspecified' = 0, 'pass' = 1, 'deny' = 2, 'drop' = 3, 'nat' = 4, 'mirror' = 5),
  source_vn LowCardinality(String),
  dest_vn LowCardinality(String),
  source_namespace LowCardinality(String),
  dest_namespace LowCardinality(String),
  protocol UInt8,
  dport UInt16,
  drop_reason LowCardinality(String),
  underlay_proto LowCardinality(String)`;

const rollupColumns = `vrouter, direction, action, source_vn, dest_vn, source_namespace, dest_namespace,
  protocol, dport, drop_reason, underlay_proto`;

/**
 * A SummingMergeTree rollup of flows at one resolution, fed by a materialized view from `source`:
 * the raw table, or a finer rollup so the coarser level aggregates already-summed rows.
 */
function flowRollup(table: string, bucket: string, ttl: string, source: string): string[] {
  const sums =
    source === 'flows'
      ? 'count() AS records, sum(diff_bytes * sampling) AS bytes, sum(diff_packets * sampling) AS packets'
      : 'sum(records) AS records, sum(bytes) AS bytes, sum(packets) AS packets';
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
      time DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
      ${flowDimensions},
      records UInt64,
      bytes UInt64,
      packets UInt64
    ) ENGINE = SummingMergeTree((records, bytes, packets))
    PARTITION BY toYYYYMM(time)
    ORDER BY (time, ${rollupColumns})
    TTL time + INTERVAL ${ttl}
    SETTINGS ttl_only_drop_parts = 1`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${table}_mv TO ${table} AS
      SELECT ${bucket}(time) AS time, ${rollupColumns}, ${sums}
      FROM ${source}
      GROUP BY time, ${rollupColumns}`,
  ];
}

export const migrations: Migration[] = [
  {
    id: 1,
    name: 'flows with 1m and 1h rollups',
    statements: [
      `CREATE TABLE IF NOT EXISTS flows (
        time DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
        received_at DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
        generator LowCardinality(String),
        batch_epoch UInt64,
        batch_seq UInt64 CODEC(Delta, ZSTD(1)),
        flow_uuid UUID,
        reverse_uuid UUID,
        vrouter_ip IPv6,
        other_vrouter_ip IPv6,
        source_ip IPv6,
        dest_ip IPv6,
        sport UInt16,
        sg_rule_uuid LowCardinality(String),
        nw_ace_uuid LowCardinality(String),
        vmi_uuid UUID,
        setup_time DateTime64(6, 'UTC'),
        teardown_time DateTime64(6, 'UTC'),
        bytes UInt64,
        packets UInt64,
        diff_bytes UInt64,
        diff_packets UInt64,
        tcp_flags UInt16,
        underlay_source_port UInt16,
        sampling UInt32,
        source_workload LowCardinality(String),
        dest_workload LowCardinality(String),
        ${flowDimensions}
      ) ENGINE = MergeTree
      PARTITION BY toYYYYMMDD(time)
      ORDER BY (toStartOfMinute(time), vrouter, source_vn, dest_vn, time)
      TTL toDateTime(time) + INTERVAL 7 DAY
      SETTINGS ttl_only_drop_parts = 1`,
      ...flowRollup('flows_1m', 'toStartOfMinute', '30 DAY', 'flows'),
      ...flowRollup('flows_1h', 'toStartOfHour', '365 DAY', 'flows_1m'),
    ],
  },
];
