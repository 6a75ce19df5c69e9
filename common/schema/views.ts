/**
 * What the materialized views compute, kept apart from the DDL so that the crash repair
 * (repair.ts) recomputes exactly what a view would have written.
 */

/**
 * Each generator's latest withdrawal (`withdrawn`, on the collector's clock) among those `until`
 * admits: its UVE parts, routes and workloads received before it no longer count. Without quotes
 * (event 3 is `withdrawn`), so that it also fits inside a dictionary's quoted source query.
 */
export const latestWithdrawals = (until = '1'): string =>
  `SELECT generator, max(time) AS withdrawn FROM generator_events
    WHERE toInt8(event) = 3 AND ${until} GROUP BY generator`;

/** The flow dimensions the rollups keep (and group by). */
export const rollupColumns = `vrouter, direction, action, source_vn, dest_vn, source_namespace, dest_namespace,
  protocol, dport, drop_reason, underlay_proto`;

/** records, bytes and packets: counted on raw flows (bytes scaled by sampling), summed on rollups. */
export const flowSums = (source: string): string =>
  source === 'flows'
    ? 'count() AS records, sum(diff_bytes * sampling) AS bytes, sum(diff_packets * sampling) AS packets'
    : 'sum(records) AS records, sum(bytes) AS bytes, sum(packets) AS packets';

/** A flow rollup's rows from `source` (raw or a finer rollup), bucketed by `bucket`. */
export const flowRollupSelect = (bucket: string, source: string, where = '1'): string =>
  `SELECT ${bucket}(time) AS time, ${rollupColumns}, ${flowSums(source)}
  FROM ${source} WHERE ${where}
  GROUP BY time, ${rollupColumns}`;

/**
 * A view whose target keeps the newest row per key (ReplacingMergeTree, read with argMax or LIMIT 1
 * BY): writing one of its rows twice changes nothing, so a repair may simply write them again.
 */
export interface LatestView {
  target: string;
  source: string;
  /** SELECT … FROM source, without WHERE. */
  select: string;
  where?: string;
}

export const uveLatestView: LatestView = {
  target: 'uve_latest',
  source: 'uve_updates',
  select: `SELECT type, name, struct_type, generator, received_at, time, attributes, aggregation, deleted
    FROM uve_updates`,
};

export const workloadsView: LatestView = {
  target: 'workloads',
  source: 'uve_updates',
  select: `SELECT name AS vmi, generator, received_at,
      arrayMap(a -> toIPv6(a), arrayFilter(a -> isIPv4String(a) OR isIPv6String(a),
        [JSONExtractString(attributes, 'ip_address'), JSONExtractString(attributes, 'ip6_address')])) AS ips,
      JSONExtractString(attributes, 'vm_name') AS workload,
      JSONExtractString(attributes, 'workload_kind') AS workload_kind,
      JSONExtractString(attributes, 'namespace') AS namespace,
      JSONExtractString(attributes, 'virtual_network') AS virtual_network,
      CAST(JSONExtractKeysAndValues(attributes, 'labels', 'String'), 'Map(String, String)') AS labels,
      deleted
    FROM uve_updates`,
  where: `type = 'virtual-machine-interface' AND struct_type = 'UveVMInterfaceAgent'`,
};

/** An interface-counter rollup: every sample with its bucket; the target keeps the last per bucket. */
export const ifStatsRollupView = (target: string, bucket: string, source: string): LatestView => ({
  target,
  source,
  select: `SELECT ${bucket}(time) AS time, ${source === 'if_stats' ? 'time' : 'sample_time'} AS sample_time,
      vmi_uuid, vm_name, virtual_network, vrouter,
      in_bytes, out_bytes, in_packets, out_packets, drops, active_flows
    FROM ${source}`,
});

/** The DDL of a latest-row view. */
export const createLatestView = (view: LatestView): string =>
  `CREATE MATERIALIZED VIEW IF NOT EXISTS ${view.target}_mv TO ${view.target} AS
    ${view.select}${view.where ? `\n    WHERE ${view.where}` : ''}`;
