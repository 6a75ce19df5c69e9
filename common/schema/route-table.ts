import { printedAddress } from './addresses.js';
import { routeCatalog } from './catalog/index.js';
import { SNAPSHOT_TTL_DAYS } from './catalog/retention.js';
import { columnList, rowColumns } from './ddl.js';
import { quoted } from './inserts.js';
import { latestWithdrawals } from './views.js';

/**
 * The table of routes at an instant, as the query API reads it and the writer snapshots it.
 *
 * `routes` holds events; a path is (prefix, protocol, peer) in a VRF as one generator holds it —
 * every control node keeps its own table, as in Tungsten Fabric — and its latest event at or before
 * the instant decides: an add puts it in the table with that event's next hops and attributes, a
 * delete takes it out. A generator withdrawn (gone past its grace period) takes its paths along.
 *
 * Events expire (SNAPSHOT_SOURCE_TTL), so the writer periodically snapshots the table: at each
 * multiple of its --snapshot-interval it copies the latest event of every present path into
 * `route_snapshots` and then records the snapshot as complete in `route_snapshot_runs`. The table
 * at an instant is then the latest complete snapshot at or before it plus the events after it. A
 * snapshot is itself computed so, from the one before, so it is the same SQL whoever runs it: two
 * writers or a retry write the same rows (ReplacingMergeTree folds them). Snapshots and events are
 * kept the retention plus the longest interval, so an instant within the retention always finds its
 * snapshot and the events after it.
 *
 * An event can reach the warehouse after a snapshot of a later instant was taken (a writer behind
 * its bus). Each run records its `cutoff`: the warehouse's clock when it started, less the longest
 * an insert takes to land; the events stored since (`stored_at`) are read with the snapshot
 * whatever their time, and the newest event of a path still wins. So a late event is never lost.
 */

export const ROUTE_SNAPSHOTS = 'route_snapshots';
export const SNAPSHOT_RUNS = 'route_snapshot_runs';

/** How much earlier than a run's start an insert may have taken its `stored_at` and still be landing. */
export const INSERT_MARGIN_US = 10 * 60e6;

/** The snapshot tables as migration `id` (5) creates them, with the route fields it has. */
export const createSnapshotTables = (id: number): string[] => [
  `CREATE TABLE IF NOT EXISTS ${ROUTE_SNAPSHOTS} (
  snapshot_at DateTime64(6, 'UTC'),
  ${columnList(rowColumns(routeCatalog, id))}
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(snapshot_at)
ORDER BY (snapshot_at, routing_instance, prefix, protocol, peer, generator)
TTL toDateTime(snapshot_at) + INTERVAL ${SNAPSHOT_TTL_DAYS} DAY
SETTINGS ttl_only_drop_parts = 1`,
  `CREATE TABLE IF NOT EXISTS ${SNAPSHOT_RUNS} (
  snapshot_at DateTime64(6, 'UTC'),
  cutoff DateTime64(6, 'UTC')
)
ENGINE = MergeTree
ORDER BY snapshot_at
TTL toDateTime(snapshot_at) + INTERVAL ${SNAPSHOT_TTL_DAYS} DAY`,
];

/** Every column of a route event, as the events and the snapshots hold them. */
export const eventColumns = rowColumns(routeCatalog)
  .map((c) => quoted(c.column))
  .join(', ');

/**
 * The latest complete snapshot at or before `at` (an SQL instant) as a tuple (instant, cutoff); of
 * two runs of one snapshot, the earlier cutoff. The epoch twice when there is none: every event counts.
 */
const baseSnapshot = (at: string): string =>
  `(SELECT (max(snapshot_at), argMax(cutoff, (snapshot_at, -toUnixTimestamp64Micro(cutoff))))
    FROM ${SNAPSHOT_RUNS} WHERE snapshot_at <= ${at})`;

/**
 * The rows the table at `upTo` is built from, restricted by `where` on their columns: the snapshot
 * at or before `baseAt` (default `upTo`), then the events received after it or stored after its
 * cutoff, up to `upTo`. A path's newest row among them is its latest event. `columns`: those read.
 */
export function routeRows(where: string, upTo: string, baseAt = upTo, columns = eventColumns): string {
  const base = baseSnapshot(baseAt);
  return `SELECT ${columns} FROM ${ROUTE_SNAPSHOTS}
      WHERE snapshot_at = tupleElement(${base}, 1) AND ${where}
    UNION ALL
    SELECT ${columns} FROM routes
      WHERE ${where} AND received_at <= ${upTo}
        AND (received_at > tupleElement(${base}, 1) OR stored_at >= tupleElement(${base}, 2))`;
}

/** A path's key, the order of a listing; each column with the type its cursor value binds as. */
export const pathKey = [
  ['key_rank', 'UInt8'],
  ['key_net', 'IPv6'],
  ['key_bits', 'UInt8'],
  ['key_name', 'String'],
  ['protocol', 'String'],
  ['peer', 'String'],
  ['generator', 'String'],
] as const;
export const pathKeyColumns = pathKey.map(([column]) => column);

/**
 * The order of a path's events, and the clock of an instant: when the collector received them. A
 * generator resyncing its table after a reconnect resends records with their old timestamps; on the
 * collector's clock they take effect when they arrive, and compare with withdrawals on one clock.
 */
export const versionColumns = ['received_at', 'time', 'batch_epoch', 'batch_seq'];

/**
 * Rows with a canonical key for their prefix. Senders may write a prefix with host bits set or IPv6
 * in capitals; both name one prefix, so paths are keyed by the network and its length, and ordered
 * numerically (IPv4, then IPv6, then EVPN by text) rather than as strings, where 9.0.0.0/8 would
 * follow 10.0.0.0/8. EVPN routes keep their text even when it looks like a CIDR; `OrZero` and
 * `ifNull` keep their strings from failing the parse.
 */
export const keyedRows = (columns: string, rows: string): string => `SELECT ${columns},
    splitByChar('/', prefix) AS key_parts,
    ifNull(toUInt8OrNull(key_parts[2]), 255) AS key_length,
    multiIf(family = 'evpn' OR length(key_parts) != 2, 2, isIPv4String(key_parts[1]) AND key_length <= 32, 0,
      isIPv6String(key_parts[1]) AND key_length <= 128, 1, 2) AS key_rank,
    toUInt8(if(key_rank = 2, 0, key_length + if(key_rank = 0, 96, 0))) AS key_bits,
    if(key_rank = 2, toIPv6('::'), tupleElement(IPv6CIDRToRange(toIPv6OrZero(key_parts[1]), key_bits), 1)) AS key_net,
    if(key_rank = 2, prefix, concat(${printedAddress('key_net')}, '/', toString(key_length))) AS key_name
  FROM (${rows})`;

/**
 * The paths present at `at` (an SQL instant) among the rows `where` admits, restricted by
 * `keyCondition` on the key columns, as their latest events. The condition reads only the key, so it
 * keeps or leaves whole paths before the latest event of each is picked. LIMIT 1 BY after sorting
 * newest first takes a path's latest event with all its columns at once: twice as fast as one
 * argMax per column on 500k events. A generator withdrawn takes its table along, as its UVE parts:
 * its paths count again only once it resends them (both times on the collector's clock).
 */
export function pathsAt(at: string, where: string, keyCondition = '1'): string {
  const newestFirst = versionColumns.map((c) => `${c} DESC`).join(', ');
  return `SELECT path.* FROM (
      SELECT * FROM (${keyedRows(eventColumns, routeRows(where, at))}) WHERE ${keyCondition}
      ORDER BY ${pathKeyColumns.join(', ')}, ${newestFirst} LIMIT 1 BY ${pathKeyColumns.join(', ')}
    ) AS path
    LEFT JOIN (${latestWithdrawals(`time <= ${at}`)}) AS gone USING generator
    WHERE path.op = 'add' AND path.received_at > gone.withdrawn`;
}

/**
 * The snapshot at `{at:Int64}` (µs): every path present then, in every VRF, as its latest event.
 * Run it, then record the run with `recordSnapshotRun`; a snapshot without its run is never read.
 */
export const insertSnapshot = (): string => {
  const at = "fromUnixTimestamp64Micro({at:Int64}, 'UTC')";
  return `INSERT INTO ${ROUTE_SNAPSHOTS} (snapshot_at, ${eventColumns})
    SELECT ${at}, ${eventColumns} FROM (${pathsAt(at, '1')})`;
};

/** Records the snapshot at `{at:Int64}` as complete, with the `{cutoff:Int64}` of its run (µs). */
export const recordSnapshotRun = (): string =>
  `INSERT INTO ${SNAPSHOT_RUNS} (snapshot_at, cutoff)
    VALUES (fromUnixTimestamp64Micro({at:Int64}, 'UTC'), fromUnixTimestamp64Micro({cutoff:Int64}, 'UTC'))`;
