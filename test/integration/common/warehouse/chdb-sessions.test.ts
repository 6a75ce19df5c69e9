import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ChdbWarehouse } from '../../../../common/warehouse/chdb.js';

/** A read of `columns` that takes about `ms` (the engine sleeps a millisecond per row, ten rows a block). */
const slowRead = (ms: number, columns: string): string =>
  `SELECT ${columns}, sum(sleepEachRow(0.001)) AS slept FROM numbers(${ms})
   SETTINGS max_block_size = 10, function_sleep_max_microseconds_per_block = 100000000`;

/** Statements of the embedded warehouse side by side, each with its own parameters. */
describe('chdb warehouse sessions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-sessions-'));
  const warehouse = new ChdbWarehouse(dir);

  after(async () => {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a small insert while a slow read with parameters is under way', async () => {
    await warehouse.exec('CREATE TABLE beside_slow (n UInt64) ENGINE = MergeTree ORDER BY n');
    let slowDone = false;
    const slow = warehouse.query(slowRead(1500, '{p:String} AS p'), { p: 'x' }).then(() => (slowDone = true));
    await warehouse.insertRows('beside_slow', [{ n: 1 }]);
    const [row] = await warehouse.query<{ rows: string }>(
      'SELECT toString(count()) AS rows FROM beside_slow WHERE n = {n:UInt64}',
      { n: 1 },
    );
    assert.equal(row?.rows, '1');
    assert.equal(slowDone, false, 'the insert and the bound read waited for the slow read');
    await slow;
  });

  it('binds each statement its own parameters when many run at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        warehouse.query<{ v: string; list: string[] }>(
          slowRead(20, '{v:String} AS v, {list:Array(String)} AS list'),
          { v: `value ${i}: it's \\ a\ttab\nand a line`, list: [`'${i}'`, '\\'] },
        ),
      ),
    );
    answers.forEach((rows, i) =>
      assert.deepEqual(
        rows.map(({ v, list }) => ({ v, list })),
        [{ v: `value ${i}: it's \\ a\ttab\nand a line`, list: [`'${i}'`, '\\'] }],
      ),
    );
  });

  it('refuses a parameter name that could not be one, naming it', async () => {
    await assert.rejects(
      warehouse.query('SELECT 1', { 'x = 1; DROP TABLE beside_slow': 'y' }),
      /'x = 1; DROP TABLE beside_slow' is not a query parameter name/,
    );
  });

  it('runs background merges at nice 10, below the inserts and reads waited for', async () => {
    const [row] = await warehouse.query<{ value: string }>(
      "SELECT value FROM system.server_settings WHERE name = 'os_threads_nice_value_merge_mutate'",
    );
    assert.equal(row?.value, '10');
  });
});
