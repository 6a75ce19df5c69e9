import type { Warehouse } from '../warehouse/warehouse.js';
import { generatorEventCatalog, uveCatalog } from './catalog/index.js';
import { keptDays, SNAPSHOT_TTL_DAYS } from './catalog/retention.js';
import { rowColumns } from './ddl.js';
import { quoted } from './inserts.js';
import { INSERT_MARGIN_US, insertSnapshot, recordSnapshotRun, SNAPSHOT_RUNS } from './route-table.js';
import { deleteDead, uveLatestView, workloadsView } from './views.js';

/**
 * The snapshot pass a writer runs at every multiple of its --snapshot-interval, which keeps state
 * answerable while the rows it comes from expire (ARCHITECTURE.md, "Retention"):
 * - the table of routes at the instant (route-table.ts says how it is taken and read);
 * - each generator's latest session event of each kind, restated as stored now once a week, so a
 *   generator connected long ago stays known, as does a withdrawal its UVE parts are hidden by;
 * - the UVE parts and workloads dead (deleted, or withdrawn with their generator) for longer than
 *   the UVE history is kept, deleted; a generator withdrawn that long is no longer restated.
 * Every step is a statement computed by the warehouse from what it holds: two writers, or a pass
 * retried, leave what reads the same (a route snapshot taken twice folds into one; a generator
 * event restated twice is read once).
 */

const DAY_US = 86400e6;
const instant = (name: string): string => `fromUnixTimestamp64Micro({${name}:Int64}, 'UTC')`;

/**
 * The instants the pass snapshots routes at, oldest first: the latest multiple of the interval, unless
 * taken already (`lastUs`, the latest snapshot, 0 for none). After a gap (no writer running), also
 * one a day back to the last one, as the TTLs assume: each instant of the gap then has a snapshot at
 * most a day older, which outlives it. With none at all, every event is still there to read.
 */
export function snapshotInstants(lastUs: number, nowUs: number, intervalUs: number): number[] {
  const latest = Math.floor(nowUs / intervalUs) * intervalUs;
  if (lastUs === 0) return [latest];
  const step = Math.ceil(DAY_US / intervalUs) * intervalUs;
  const from = Math.max(lastUs, nowUs - SNAPSHOT_TTL_DAYS * DAY_US);
  const instants: number[] = [];
  for (let at = latest; at > from; at -= step) instants.unshift(at);
  return instants;
}

/** The instant of the latest complete route snapshot (µs), 0 when there is none. */
export async function lastRouteSnapshot(warehouse: Warehouse): Promise<number> {
  const [row] = await warehouse.query<{ at: string }>(
    `SELECT toUnixTimestamp64Micro(max(snapshot_at)) AS at FROM ${SNAPSHOT_RUNS}`,
  );
  return Number(row?.at ?? 0);
}

/** Snapshots the table of routes at `atUs`, then records the run with its cutoff. */
export async function snapshotRoutes(warehouse: Warehouse, atUs: number): Promise<void> {
  const [clock] = await warehouse.query<{ now: string }>('SELECT toUnixTimestamp64Micro(now64(6)) AS now');
  const cutoff = Number(clock!.now) - INSERT_MARGIN_US;
  await warehouse.exec(insertSnapshot(), { at: atUs });
  await warehouse.exec(recordSnapshotRun(), { at: atUs, cutoff });
}

/** Generator event columns as a restatement writes them: the event as it was, stored now. */
const restated = rowColumns(generatorEventCatalog).map((c) =>
  c.column === 'stored_at' ? 'now64(6)' : quoted(c.column),
);

/** How old a generator event's newest copy may grow before a pass restates it (its TTL is 31 days). */
const RESTATE_AFTER_DAYS = 7;

/**
 * Restates each generator's latest event of each kind (connected, disconnected, withdrawn) once its
 * newest copy was stored before `{refresh}`, except for generators whose latest event is a
 * withdrawal before `{before}`: those are forgotten as their events expire. Readers take the latest
 * by `time`, which a restatement keeps.
 */
const restateGenerators = `INSERT INTO generator_events (${rowColumns(generatorEventCatalog)
  .map((c) => quoted(c.column))
  .join(', ')})
  SELECT ${restated.join(', ')} FROM (
    SELECT * FROM generator_events
    WHERE generator NOT IN (
      SELECT generator FROM generator_events GROUP BY generator
      HAVING argMax(event, time) = 'withdrawn' AND max(time) < ${instant('before')}
    )
    ORDER BY generator, event, time DESC, stored_at DESC LIMIT 1 BY generator, event
  )
  WHERE stored_at < ${instant('refresh')}`;

/**
 * One pass at `nowUs`: dead state deleted first (so that no generator is forgotten while parts it
 * hides remain), generators restated, then the route snapshots due. Returns the snapshot instants.
 */
export async function snapshotPass(
  warehouse: Warehouse,
  nowUs: number,
  intervalUs: number,
): Promise<number[]> {
  const before = nowUs - keptDays(uveCatalog) * DAY_US;
  for (const view of [uveLatestView, workloadsView]) {
    await warehouse.exec(deleteDead(view, instant('before')), { before });
  }
  await warehouse.exec(restateGenerators, { before, refresh: nowUs - RESTATE_AFTER_DAYS * DAY_US });
  const instants = snapshotInstants(await lastRouteSnapshot(warehouse), nowUs, intervalUs);
  for (const at of instants) await snapshotRoutes(warehouse, at);
  return instants;
}
