/**
 * The derived tables that are not rollups of one kind (UVE latest state, workload identity), kept
 * apart from the DDL so that the crash repair (repair.ts) recomputes exactly what a view would have
 * written. Rollup views are derived from the catalog (rollups.ts).
 */

/**
 * Each generator's latest withdrawal (`withdrawn`, on the collector's clock) among those `until`
 * admits: its UVE parts, routes and workloads received before it no longer count. Without quotes
 * (event 3 is `withdrawn`), so that it also fits inside a dictionary's quoted source query.
 */
export const latestWithdrawals = (until = '1'): string =>
  `SELECT generator, max(time) AS withdrawn FROM generator_events
    WHERE toInt8(event) = 3 AND ${until} GROUP BY generator`;

/**
 * A view whose target keeps the newest row per key (ReplacingMergeTree, read with argMax or LIMIT 1
 * BY): writing one of its rows twice changes nothing, so a repair may simply write them again.
 */
export interface LatestView {
  target: string;
  /** The columns a row is the newest of (the target's sorting key). */
  key: readonly string[];
  source: string;
  /** SELECT … FROM source, without WHERE. */
  select: string;
  where?: string;
}

export const uveLatestView: LatestView = {
  target: 'uve_latest',
  key: ['type', 'name', 'struct_type', 'generator'],
  source: 'uve_updates',
  select: `SELECT type, name, struct_type, generator, received_at, time, attributes, aggregation, deleted
    FROM uve_updates`,
};

/** The UVE struct that says which workload an interface serves: what workloads and its dictionary read. */
export const WORKLOAD_STRUCT = 'UveVMInterfaceAgent';

export const workloadsView: LatestView = {
  target: 'workloads',
  key: ['vmi', 'generator'],
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
  where: `type = 'virtual-machine-interface' AND struct_type = '${WORKLOAD_STRUCT}'`,
};

/** The DDL of a latest-row view. */
export const createLatestView = (view: LatestView): string =>
  `CREATE MATERIALIZED VIEW IF NOT EXISTS ${view.target}_mv TO ${view.target} AS
    ${view.select}${view.where ? `\n    WHERE ${view.where}` : ''}`;

/**
 * Deletes from a latest-row view's target what has been dead since before `before` (an SQL instant):
 * every row of a key whose newest row is a deletion received before it, and every row received
 * before a withdrawal of its generator that came before it. Every row of such a key goes at once:
 * a TTL would drop only the newest, and the older row that it replaced, when still in another part,
 * would come back to life (ReplacingMergeTree keeps a deletion's row for that reason).
 */
export function deleteDead(view: LatestView, before: string): string {
  const key = view.key.join(', ');
  return `DELETE FROM ${view.target} WHERE (${key}) IN (
      SELECT ${key} FROM ${view.target} GROUP BY ${key}
      HAVING argMax(deleted, received_at) AND max(received_at) < ${before}
    ) OR (generator, received_at) IN (
      SELECT part.generator, part.received_at FROM ${view.target} AS part
      INNER JOIN (${latestWithdrawals(`time < ${before}`)}) AS gone USING generator
      WHERE part.received_at < gone.withdrawn
    )`;
}
