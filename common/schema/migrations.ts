import {
  createLatestView,
  flowRollupSelect,
  ifStatsRollupView,
  latestWithdrawals,
  rollupColumns,
  uveLatestView,
  workloadsView,
} from './views.js';

/**
 * The warehouse schema as ordered migrations. Both drivers apply them at start; an applied migration
 * is recorded in schema_migrations and never changed afterwards: a change is a new migration.
 */
export interface Migration {
  id: number;
  name: string;
  statements: (string | ((context: SchemaContext) => string))[];
}

/** What a statement may need to know of the warehouse it runs on. */
export interface SchemaContext {
  /** ` USER '…' PASSWORD '…' DB '…'` for a dictionary reading this server's own tables, or '' (chdb). */
  localSource: string;
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

/**
 * A SummingMergeTree rollup of flows at one resolution, fed by a materialized view from `source`:
 * the raw table, or a finer rollup so the coarser level aggregates already-summed rows.
 */
function flowRollup(table: string, bucket: string, ttl: string, source: string): string[] {
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
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${table}_mv TO ${table} AS ${flowRollupSelect(bucket, source)}`,
  ];
}

const flows: Migration = {
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
};

/** Columns every table fed from the bus has: who sent the batch, its id, and when the collector got it. */
const batchColumns = `
  received_at DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
  generator LowCardinality(String),
  batch_epoch UInt64,
  batch_seq UInt64 CODEC(Delta, ZSTD(1))`;

const ifCounters = `
  in_bytes UInt64,
  out_bytes UInt64,
  in_packets UInt64,
  out_packets UInt64,
  drops Map(LowCardinality(String), UInt64),
  active_flows UInt32`;

/**
 * Interface counters down-sampled to the last sample of each bucket per interface. Rates come from
 * consecutive samples at any level (as Prometheus does), so a rollup keeps counters, not sums.
 */
function ifStatsRollup(table: string, bucket: string, ttl: string, source: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
      time DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
      sample_time DateTime64(6, 'UTC'),
      vmi_uuid UUID,
      vm_name LowCardinality(String),
      virtual_network LowCardinality(String),
      vrouter LowCardinality(String),
      ${ifCounters}
    ) ENGINE = ReplacingMergeTree(sample_time)
    PARTITION BY toYYYYMM(time)
    ORDER BY (vmi_uuid, time)
    TTL time + INTERVAL ${ttl}
    SETTINGS ttl_only_drop_parts = 1`,
    createLatestView(ifStatsRollupView(table, bucket, source)),
  ];
}

/**
 * The live identity of each address in each virtual network (TF lets VNs reuse addresses): the
 * newest UveVMInterfaceAgent part per (interface, generator), minus deleted parts and parts of
 * generators withdrawn since. No single quotes: it sits in one.
 */
const workloadSource = `
  SELECT virtual_network, ip, argMax(workload, updated) AS workload,
    argMax(namespace, updated) AS namespace, argMax(labels, updated) AS labels
  FROM (
    SELECT * FROM (
      SELECT vmi, generator, max(received_at) AS updated, argMax(ips, received_at) AS ips,
        argMax(virtual_network, received_at) AS virtual_network,
        argMax(workload, received_at) AS workload, argMax(namespace, received_at) AS namespace,
        argMax(labels, received_at) AS labels, argMax(deleted, received_at) AS deleted
      FROM workloads GROUP BY vmi, generator
    ) AS part
    LEFT JOIN (${latestWithdrawals()}) AS w USING generator
    WHERE NOT deleted AND updated > w.withdrawn
  )
  ARRAY JOIN ips AS ip
  GROUP BY virtual_network, ip`;

const uvesRoutesInterfaceStats: Migration = {
  id: 2,
  name: 'UVEs, generator events, routes, interface stats, workload identity on flows',
  statements: [
    `CREATE TABLE IF NOT EXISTS uve_updates (
      time DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
      ${batchColumns},
      type LowCardinality(String),
      name String,
      struct_type LowCardinality(String),
      attributes String CODEC(ZSTD(3)),
      aggregation Map(String, Tuple(agg Enum8('none' = 0, 'sum' = 1, 'union' = 2, 'append' = 3), list_key String)),
      deleted Bool
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMMDD(received_at)
    ORDER BY (type, name, struct_type, generator, received_at)
    TTL toDateTime(received_at) + INTERVAL 30 DAY
    SETTINGS ttl_only_drop_parts = 1`,
    // The newest part per (UVE, struct, generator); no TTL: state outlives its history.
    `CREATE TABLE IF NOT EXISTS uve_latest (
      type LowCardinality(String),
      name String,
      struct_type LowCardinality(String),
      generator LowCardinality(String),
      received_at DateTime64(6, 'UTC'),
      time DateTime64(6, 'UTC'),
      attributes String CODEC(ZSTD(3)),
      aggregation Map(String, Tuple(agg Enum8('none' = 0, 'sum' = 1, 'union' = 2, 'append' = 3), list_key String)),
      deleted Bool
    ) ENGINE = ReplacingMergeTree(received_at)
    ORDER BY (type, name, struct_type, generator)`,
    createLatestView(uveLatestView),
    `CREATE TABLE IF NOT EXISTS generator_events (
      time DateTime64(6, 'UTC'),
      ${batchColumns},
      event Enum8('unspecified' = 0, 'connected' = 1, 'disconnected' = 2, 'withdrawn' = 3),
      epoch UInt64,
      peer String
    ) ENGINE = MergeTree
    ORDER BY (generator, time)`,
    `CREATE TABLE IF NOT EXISTS routes (
      time DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
      ${batchColumns},
      routing_instance LowCardinality(String),
      family LowCardinality(String),
      prefix String,
      op Enum8('unspecified' = 0, 'add' = 1, 'delete' = 2),
      next_hops Nested(tunnel_type LowCardinality(String), destination IPv6, label UInt32, interface String),
      protocol LowCardinality(String),
      peer LowCardinality(String),
      local_pref UInt32,
      med UInt32,
      as_path String,
      communities Array(String),
      origin_vn LowCardinality(String)
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMM(received_at)
    ORDER BY (routing_instance, prefix, protocol, peer, time)`,
    `CREATE TABLE IF NOT EXISTS if_stats (
      time DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
      ${batchColumns},
      vmi_uuid UUID,
      vm_name LowCardinality(String),
      virtual_network LowCardinality(String),
      vrouter LowCardinality(String),
      ${ifCounters}
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMMDD(time)
    ORDER BY (vmi_uuid, time)
    TTL toDateTime(time) + INTERVAL 7 DAY
    SETTINGS ttl_only_drop_parts = 1`,
    ...ifStatsRollup('if_stats_1m', 'toStartOfMinute', '30 DAY', 'if_stats'),
    ...ifStatsRollup('if_stats_1h', 'toStartOfHour', '365 DAY', 'if_stats_1m'),
    `CREATE TABLE IF NOT EXISTS workloads (
      vmi String,
      generator LowCardinality(String),
      received_at DateTime64(6, 'UTC'),
      ips Array(IPv6),
      workload String,
      workload_kind LowCardinality(String),
      namespace LowCardinality(String),
      virtual_network LowCardinality(String),
      labels Map(String, String),
      deleted Bool
    ) ENGINE = ReplacingMergeTree(received_at)
    ORDER BY (vmi, generator)`,
    createLatestView(workloadsView),
    ({ localSource }) => `CREATE DICTIONARY IF NOT EXISTS workload_by_ip (
      virtual_network String, ip IPv6, workload String, namespace String, labels Map(String, String)
    ) PRIMARY KEY virtual_network, ip
    SOURCE(CLICKHOUSE(QUERY '${workloadSource.replace(/\s+/g, ' ').trim()}'${localSource}))
    LAYOUT(COMPLEX_KEY_HASHED())
    LIFETIME(MIN 5 MAX 10)`,
    `ALTER TABLE flows
      ADD COLUMN IF NOT EXISTS source_labels Map(LowCardinality(String), String),
      ADD COLUMN IF NOT EXISTS dest_labels Map(LowCardinality(String), String)`,
  ],
};

export const migrations: Migration[] = [flows, uvesRoutesInterfaceStats];
