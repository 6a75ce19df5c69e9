import { logger } from '../log.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import {
  flowRollupSelect,
  ifStatsRollupView,
  rollupColumns,
  uveLatestView,
  workloadsView,
  type LatestView,
} from './views.js';

const log = logger('schema');

/**
 * An insert into a table with materialized views is not atomic: a writer killed between the table's
 * part and a view's part leaves the view short, and the resent batch is then skipped as stored. So a
 * writer starting up recomputes what the views derive from the rows received last before it (a crash
 * can only have cut those), before it takes new batches. Run it with no other writer inserting.
 */
const LOOKBACK = 'INTERVAL 10 MINUTE';

/** The rows of `table` received within the lookback before its newest one. */
const lastReceived = (table: string): string =>
  `received_at >= (SELECT max(received_at) FROM ${table}) - ${LOOKBACK}`;

export async function repairDerivedTables(warehouse: Warehouse): Promise<void> {
  await repairFlowRollups(warehouse);
  for (const view of [
    uveLatestView,
    workloadsView,
    ifStatsRollupView('if_stats_1m', 'toStartOfMinute', 'if_stats'),
  ]) {
    await rewriteLatest(warehouse, view);
  }
  log.info('derived tables checked after start');
}

/** A latest-row view is idempotent: its recent rows are simply written again (if_stats_1h follows). */
async function rewriteLatest(warehouse: Warehouse, view: LatestView): Promise<void> {
  const where = [view.where ?? '1', lastReceived(view.source)].join(' AND ');
  await warehouse.exec(`INSERT INTO ${view.target} ${view.select} WHERE ${where}`);
}

/**
 * Sums are not idempotent: each rollup gets what it lacks, the sums of its source minus its own, in
 * the buckets the last received flows fall in. The hour level first, against the minute level, then
 * the minute level against the raw flows (its view carries those corrections on to the hour level).
 */
async function repairFlowRollups(warehouse: Warehouse): Promise<void> {
  const recent = (bucket: string): string =>
    `SELECT DISTINCT ${bucket}(time) FROM flows WHERE ${lastReceived('flows')}`;
  await insertShortfall(warehouse, 'flows_1h', 'toStartOfHour', 'flows_1m', recent('toStartOfHour'));
  await insertShortfall(warehouse, 'flows_1m', 'toStartOfMinute', 'flows', recent('toStartOfMinute'));
}

async function insertShortfall(
  warehouse: Warehouse,
  rollup: string,
  bucket: string,
  source: string,
  buckets: string,
): Promise<void> {
  const expected = flowRollupSelect(bucket, source, `${bucket}(time) IN (${buckets})`);
  const held = flowRollupSelect('toDateTime', rollup, `time IN (${buckets})`);
  const lack = (metric: string): string => `want.${metric} - least(want.${metric}, have.${metric})`;
  await warehouse.exec(`INSERT INTO ${rollup} (time, ${rollupColumns}, records, bytes, packets)
    SELECT time, ${rollupColumns}, ${lack('records')}, ${lack('bytes')}, ${lack('packets')}
    FROM (${expected}) AS want
    LEFT JOIN (${held}) AS have USING (time, ${rollupColumns})
    WHERE want.records > have.records OR want.bytes > have.bytes OR want.packets > have.packets`);
}
