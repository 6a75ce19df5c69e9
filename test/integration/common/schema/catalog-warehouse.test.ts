import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { batchColumns } from '../../../../common/schema/catalog/batch.js';
import { catalogs } from '../../../../common/schema/catalog/index.js';
import { keptDays } from '../../../../common/schema/catalog/retention.js';
import type { RecordCatalog } from '../../../../common/schema/catalog/types.js';
import { migrate } from '../../../../common/schema/migrate.js';
import { levels, rollupFields } from '../../../../common/schema/rollups.js';
import { ChdbWarehouse } from '../../../../common/warehouse/chdb.js';

interface Column {
  name: string;
  type: string;
  compression_codec: string;
}

/** What the catalog says a table must hold, as `name type codec` lines. */
const declared = (columns: readonly { column: string; type: string; codec?: string }[]): string[] =>
  columns.map((c) => `${c.column} ${c.type} ${c.codec ?? ''}`.trim()).sort();

/** The columns every level of a kind's rollup must hold. */
function levelColumns(catalog: RecordCatalog) {
  const time = { column: 'time', type: "DateTime('UTC')", codec: 'CODEC(DoubleDelta, ZSTD(1))' };
  const merge = catalog.rollup!.merge;
  if (merge.kind === 'last') {
    // Each bucket's edges: its first, peak and last samples (common/schema/rollups.ts).
    const edges = [
      { column: 'edge', type: 'UInt8' },
      { column: 'version', type: 'UInt64' },
    ];
    return [time, { column: 'sample_time', type: "DateTime64(6, 'UTC')" }, ...edges, ...catalog.fields];
  }
  return [
    time,
    ...rollupFields(catalog),
    ...Object.keys(merge.measures).map((m) => ({ column: m, type: 'UInt64' })),
  ];
}

/** The catalog against the schema a migrated warehouse really has: drift between them fails here. */
describe('the catalog against a migrated warehouse (system.columns)', () => {
  let warehouse: ChdbWarehouse;
  const held = async (table: string): Promise<string[]> => {
    const rows = await warehouse.query<Column>(
      'SELECT name, type, compression_codec FROM system.columns WHERE database = currentDatabase() AND table = {table:String}',
      { table },
    );
    return rows.map((c) => `${c.name} ${c.type} ${c.compression_codec}`.trim()).sort();
  };

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-catalog-')));
    await migrate(warehouse);
  });
  after(async () => warehouse.close());

  const createQuery = async (name: string): Promise<string> => {
    const [table] = await warehouse.query<{ create_table_query: string }>(
      'SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = {name:String}',
      { name },
    );
    return table!.create_table_query;
  };

  for (const catalog of catalogs) {
    it(`${catalog.table.name} holds the time, the batch columns and every catalog field`, async () => {
      assert.deepEqual(
        await held(catalog.table.name),
        declared([catalog.time, ...batchColumns, ...catalog.fields]),
      );
      if (catalog.table.ttl) {
        const days = keptDays(catalog);
        assert.match(await createQuery(catalog.table.name), new RegExp(`TTL .*toIntervalDay\\(${days}\\)`));
      }
    });
    for (const copy of catalog.copies ?? []) {
      it(`${copy.table} holds every column of ${catalog.table.name}, for the copies of its rows`, async () => {
        const columns = await held(copy.table);
        const missing = declared([catalog.time, ...batchColumns, ...catalog.fields]).filter(
          (c) => !columns.includes(c),
        );
        assert.deepEqual(missing, []);
      });
    }
    for (const level of levels(catalog)) {
      it(`${level.table} holds what the ${catalog.table.name} rollup keeps, with its TTL`, async () => {
        assert.deepEqual(await held(level.table), declared(levelColumns(catalog)));
        assert.match(
          await createQuery(level.table),
          new RegExp(`TTL time \\+ toIntervalDay\\(${parseInt(level.ttl)}\\)`),
        );
      });
    }
  }
});
