import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../../../common/schema/migrate.js';
import { migrations } from '../../../../common/schema/migrations.js';
import { ChdbWarehouse } from '../../../../common/warehouse/chdb.js';

const SETTING = 'merge_selector_enable_heuristic_to_remove_small_parts_at_right';

/**
 * Migration 12: every table of the schema merges its small new parts together before folding them
 * into its large part (see foldSmallPartsFirst), on an engine that knows the setting; on one that
 * does not, the migration runs nothing and still records itself.
 */
describe('merge selection of the schema', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-merge-selection-'));
  let warehouse: ChdbWarehouse;

  before(async () => {
    warehouse = new ChdbWarehouse(dir);
    await migrate(warehouse);
  });
  after(async () => {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('turns the small-parts-at-right heuristic off on every MergeTree table', async () => {
    const tables = await warehouse.query<{ name: string; create_table_query: string }>(
      `SELECT name, create_table_query FROM system.tables
       WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND name != 'schema_migrations'`,
    );
    assert.ok(tables.length >= 19, `${tables.length} tables`);
    const untouched = tables
      .filter((t) => !t.create_table_query.includes(`${SETTING} = 0`))
      .map((t) => t.name);
    assert.deepEqual(untouched, []);
  });

  it('runs nothing where the engine predates the setting', () => {
    const migration = migrations.find((m) => m.id === 12)!;
    const context = { dictionarySource: '', mergeTreeSettings: new Set(['index_granularity']) };
    const sql = migration.statements.map((s) => (typeof s === 'string' ? s : s(context)));
    assert.ok(sql.length > 0);
    assert.deepEqual(
      sql.filter((s) => s !== undefined),
      [],
    );
  });
});
