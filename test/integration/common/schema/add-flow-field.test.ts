import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { wireRules } from '../../../../collector/validation/flow.js';
import { protoField } from '../../../../common/proto.js';
import { flowCatalog, type FlowField } from '../../../../common/schema/catalog/flows.js';
import { catalogs } from '../../../../common/schema/catalog/index.js';
import type { RecordCatalog } from '../../../../common/schema/catalog/types.js';
import { rowsInsert } from '../../../../common/schema/inserts.js';
import { migrate } from '../../../../common/schema/migrate.js';
import { migrations, migrationsOf } from '../../../../common/schema/migrations.js';
import { repairDerivedTables } from '../../../../common/schema/repair.js';
import { ChdbWarehouse } from '../../../../common/warehouse/chdb.js';
import { flowFields } from '../../../../query/flows/fields.js';

/**
 * ARCHITECTURE.md's promise: adding a flow field is one catalog entry (plus its proto field). This
 * adds one to a copy of the catalog and checks that every artefact derived from it sees the field,
 * on a warehouse migrated and filled before the field existed.
 */
/** The id a field added to the catalog today gets: the one after every migration there is. */
const nextMigration = Math.max(...migrations.map((m) => m.id)) + 1;
const zone: FlowField = {
  column: 'source_zone',
  type: 'LowCardinality(String)',
  proto: 'source_zone',
  read: 'String',
  since: nextMigration,
  rollup: 12,
  api: { name: 'sourceZone', graphql: 'String!', group: true, filter: { kind: 'text', either: 'zone' } },
};
const withZone: RecordCatalog<FlowField> = { ...flowCatalog, fields: [...flowCatalog.fields, zone] };
const allWithZone = catalogs.map((c) => (c === flowCatalog ? withZone : c));

describe('a flow field added to the catalog', () => {
  it('is read and stored by the row insert', () => {
    const insert = rowsInsert(withZone);
    assert.match(insert.structure, /record_source_zone String/);
    assert.ok(insert.columns.some(([c, e]) => c === 'source_zone' && e === 'record_source_zone'));
  });

  it('is checked on the wire as the text its column stores', () => {
    const numbers = (name: string): number =>
      name === 'source_zone' ? 34 : protoField('FlowRecord', name)!.number;
    const rule = wireRules(withZone, numbers)[34] ?? {};
    // Every rule carries every property (one shape for the checks): those set say what the column asks.
    const set = Object.fromEntries(Object.entries(rule).filter(([, value]) => value !== undefined));
    assert.deepEqual(set, { name: 'source_zone', wire: 2, max: 512 });
  });

  it('gets a migration of its own, applied migrations untouched', () => {
    const before = migrationsOf(catalogs);
    const now = migrationsOf(allWithZone);
    assert.deepEqual(
      now.slice(0, before.length),
      before.map((m) => ({ ...m, statements: m.statements })),
    );
    const added = now.at(-1)!;
    assert.equal(added.id, nextMigration);
    assert.match(added.name, /flows\.source_zone/);
    const sql = added.statements.join('\n');
    assert.match(sql, /ALTER TABLE flows ADD COLUMN IF NOT EXISTS source_zone LowCardinality\(String\)/);
    assert.match(
      sql,
      /ALTER TABLE flows_1h ADD COLUMN IF NOT EXISTS source_zone .*MODIFY ORDER BY \(time, .*underlay_proto, source_zone\)/,
    );
  });

  it('is a dimension, a filter (one end and either end), a record column and GraphQL fields', () => {
    const api = flowFields(withZone);
    assert.deepEqual(api.dimensions.SOURCE_ZONE, {
      column: 'source_zone',
      rollup: true,
      output: 'toString(source_zone)',
      address: false,
    });
    assert.equal(api.filters.sourceZone?.kind, 'text');
    assert.deepEqual(api.filters.zone?.on, [api.dimensions.SOURCE_ZONE]);
    assert.match(api.recordColumns, /source_zone AS sourceZone/);
    assert.match(api.typeDefs, /enum FlowDimension \{[^}]*SOURCE_ZONE/);
    assert.match(api.typeDefs, /input FlowFilter \{[^}]*sourceZone: \[String!\][^}]*zone: \[String!\]/);
    assert.match(api.typeDefs, /type Flow \{[^}]*sourceZone: String!/);
  });

  describe('on a warehouse that holds flows from before it', () => {
    let warehouse: ChdbWarehouse;
    const rows = (sql: string) => warehouse.query<Record<string, string>>(sql);

    before(async () => {
      warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-add-field-')));
      await migrate(warehouse);
      await warehouse.exec(`INSERT INTO flows (time, received_at, vrouter, action, diff_bytes, diff_packets, sampling)
        VALUES (now64(6), now64(6), 'compute-1', 'pass', 100, 1, 1)`);
    });
    after(async () => warehouse.close());

    it('upgrades in place: the raw table and every rollup level get the column, the rollups group by it', async () => {
      assert.deepEqual(await migrate(warehouse, migrationsOf(allWithZone)), [nextMigration]);
      for (const table of ['flows', 'flows_1m', 'flows_1h']) {
        const [column] = await rows(`SELECT type FROM system.columns
          WHERE database = currentDatabase() AND table = '${table}' AND name = 'source_zone'`);
        assert.equal(column?.type, 'LowCardinality(String)', table);
      }
      const [level] = await rows(`SELECT sorting_key FROM system.tables
        WHERE database = currentDatabase() AND name = 'flows_1m'`);
      assert.match(level!.sorting_key!, /underlay_proto, source_zone$/);
    });

    it('flows on through the replaced views into every level, next to the rows from before', async () => {
      await warehouse.exec(`INSERT INTO flows (time, received_at, vrouter, action, diff_bytes, diff_packets, sampling, source_zone)
        VALUES (now64(6), now64(6), 'compute-1', 'pass', 50, 1, 1, 'zone-a')`);
      for (const table of ['flows_1m', 'flows_1h']) {
        const byZone = await rows(`SELECT source_zone AS zone, toString(sum(bytes)) AS bytes FROM ${table}
          GROUP BY zone ORDER BY zone`);
        assert.deepEqual(
          byZone,
          [
            { zone: '', bytes: '100' },
            { zone: 'zone-a', bytes: '50' },
          ],
          table,
        );
      }
    });

    it('is repaired like the other rollup columns', async () => {
      await warehouse.exec("DELETE FROM flows_1m WHERE source_zone = 'zone-a'");
      await repairDerivedTables(warehouse, allWithZone);
      const [row] = await rows(
        `SELECT toString(sum(bytes)) AS bytes FROM flows_1m WHERE source_zone = 'zone-a'`,
      );
      assert.equal(row?.bytes, '50');
    });
  });
});
