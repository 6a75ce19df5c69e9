import { logger } from '../log.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { catalogs } from './catalog/index.js';
import type { RecordCatalog, RollupLevel } from './catalog/types.js';
import { levels, rollupColumns, rollupSelect } from './rollups.js';
import { uveLatestView, workloadsView, type LatestView } from './views.js';

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

export async function repairDerivedTables(warehouse: Warehouse, kinds = catalogs): Promise<void> {
  for (const catalog of kinds) {
    if (catalog.rollup?.merge.kind === 'sum') await repairSums(warehouse, catalog);
    if (catalog.rollup?.merge.kind === 'last') await rewriteLastSamples(warehouse, catalog);
  }
  for (const view of [uveLatestView, workloadsView]) await rewriteLatest(warehouse, view);
  log.info('derived tables checked after start');
}

/** A latest-row view is idempotent: its recent rows are simply written again. */
async function rewriteLatest(warehouse: Warehouse, view: LatestView): Promise<void> {
  const where = [view.where ?? '1', lastReceived(view.source)].join(' AND ');
  await warehouse.exec(`INSERT INTO ${view.target} ${view.select} WHERE ${where}`);
}

/** Last-sample levels are idempotent too: the finest is written again, its view carries on upwards. */
async function rewriteLastSamples(warehouse: Warehouse, catalog: RecordCatalog): Promise<void> {
  const [finest] = levels(catalog);
  if (!finest) return;
  // Written as the newest migration (SAMPLE_EDGES_SINCE and after) has the levels: edges kept.
  const columns = ['time', 'sample_time', 'edge', 'version', ...catalog.fields.map((f) => f.column)].join(
    ', ',
  );
  const select = rollupSelect(catalog, finest, lastReceived(catalog.table.name));
  await warehouse.exec(`INSERT INTO ${finest.table} (${columns}) ${select}`);
}

/**
 * Sums are not idempotent: each level gets what it lacks, the sums of its source minus its own, in
 * the buckets the last received rows fall in. The coarsest level first, against its finer source,
 * then down to the finest against the raw rows (whose view carries those corrections upwards).
 */
async function repairSums(warehouse: Warehouse, catalog: RecordCatalog): Promise<void> {
  const raw = catalog.table.name;
  for (const level of [...levels(catalog)].reverse()) {
    const recent = `SELECT DISTINCT ${level.bucket}(time) FROM ${raw} WHERE ${lastReceived(raw)}`;
    await insertShortfall(warehouse, catalog, level, recent);
  }
}

async function insertShortfall(
  warehouse: Warehouse,
  catalog: RecordCatalog,
  level: RollupLevel,
  buckets: string,
): Promise<void> {
  const names = catalog.rollup?.merge.kind === 'sum' ? Object.keys(catalog.rollup.merge.measures) : [];
  const columns = rollupColumns(catalog);
  const expected = rollupSelect(catalog, level, `${level.bucket}(time) IN (${buckets})`);
  const held = rollupSelect(
    catalog,
    { ...level, bucket: 'toDateTime', source: level.table },
    `time IN (${buckets})`,
  );
  const lack = names.map((m) => `want.${m} - least(want.${m}, have.${m})`);
  await warehouse.exec(`INSERT INTO ${level.table} (time, ${columns}, ${names.join(', ')})
    SELECT time, ${columns}, ${lack.join(', ')}
    FROM (${expected}) AS want
    LEFT JOIN (${held}) AS have USING (time, ${columns})
    WHERE ${names.map((m) => `want.${m} > have.${m}`).join(' OR ')}`);
}
