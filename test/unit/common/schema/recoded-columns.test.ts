import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routeCatalog } from '../../../../common/schema/catalog/index.js';
import type { RecordCatalog } from '../../../../common/schema/catalog/types.js';
import { createTable, recodeColumns, rowColumns } from '../../../../common/schema/ddl.js';
import { migrationsOf } from '../../../../common/schema/migrations.js';

/**
 * A column whose codec a later migration changes (the catalog's `recoded`): created with the codec it
 * had then, changed by that migration in the table and in the copies made before it.
 */
describe('recoded catalog columns', () => {
  const OLD = 'CODEC(DoubleDelta, ZSTD(1))';
  const NEW = 'CODEC(T64, LZ4)';
  // Routes: created by migration 2, copied into route_snapshots since 5; their time recoded by 40.
  const recoded: RecordCatalog = {
    ...routeCatalog,
    time: { ...routeCatalog.time, codec: NEW, recoded: { since: 40, from: OLD } },
  };
  const timeOf = (id: number) => rowColumns(recoded, id).find((c) => c.column === 'time')!.codec;

  it('creates the column with the codec it had at the creating migration', () => {
    assert.equal(timeOf(2), OLD);
    assert.equal(timeOf(39), OLD);
    assert.equal(timeOf(40), NEW);
    assert.equal(timeOf(Infinity), NEW);
    assert.match(createTable(recoded, 2), /time DateTime64\(6, 'UTC'\) CODEC\(DoubleDelta, ZSTD\(1\)\)/);
  });

  it('changes it at its migration, in the table and its copies, and nowhere else', () => {
    const modify = `MODIFY COLUMN time DateTime64(6, 'UTC') ${NEW}`;
    assert.deepEqual(recodeColumns(recoded, 40), [
      `ALTER TABLE routes ${modify}`,
      `ALTER TABLE route_snapshots ${modify}`,
    ]);
    assert.deepEqual(recodeColumns(recoded, 39), []);
    assert.deepEqual(recodeColumns(routeCatalog, 40), []);
  });

  it('is part of the migration written for it', () => {
    const migration = migrationsOf([recoded], [{ id: 40, name: 'routes.time recoded', statements: [] }]).find(
      (m) => m.id === 40,
    );
    assert.deepEqual(
      migration!.statements.filter((s) => typeof s === 'string' && s.includes('MODIFY COLUMN')),
      recodeColumns(recoded, 40),
    );
  });
});
