import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChdbWarehouse } from '../../../../common/warehouse/chdb.js';
import { utcText } from '../../../../common/warehouse/warehouse.js';

/** Rows given as objects (the alarm engine's writes), on the embedded engine. */
describe('insertRows on chdb', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-rows-'));
  const warehouse = new ChdbWarehouse(dir);

  before(() =>
    warehouse.exec(
      "CREATE TABLE rows_test (at DateTime64(3, 'UTC'), n UInt64, ok Bool, text String) ENGINE = MergeTree ORDER BY n",
    ),
  );
  after(async () => {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every value as given, text that looks like SQL or breaks lines included', async () => {
    const hostile = 'it\'s "quoted"\n); DROP TABLE rows_test; -- \\ FORMAT CSV\n{"json": [1]}';
    const at = Date.UTC(2026, 11, 2, 10, 30, 0, 123);
    await warehouse.insertRows('rows_test', [
      { at: utcText(at), n: 2 ** 53 - 1, ok: true, text: hostile },
      { at: utcText(at + 1), n: 1, ok: false, text: '' },
    ]);
    const rows = await warehouse.query<{ ms: string; n: string; ok: boolean; text: string }>(
      'SELECT toString(toUnixTimestamp64Milli(at)) AS ms, n, ok, text FROM rows_test ORDER BY n',
    );
    assert.deepEqual(rows, [
      { ms: String(at + 1), n: '1', ok: false, text: '' },
      { ms: String(at), n: String(2 ** 53 - 1), ok: true, text: hostile },
    ]);
  });

  it('refuses a table name that is not a plain identifier', async () => {
    await assert.rejects(warehouse.insertRows('rows_test; DROP TABLE x', [{ n: 1 }]), /bad table name/);
    await assert.rejects(warehouse.insertRows('rows_test FORMAT CSV', [{ n: 1 }]), /bad table name/);
  });
});
