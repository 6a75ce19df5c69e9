import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../../../common/schema/migrate.js';
import { migrations } from '../../../../common/schema/migrations.js';
import { ChdbWarehouse } from '../../../../common/warehouse/chdb.js';

/**
 * Migration 14 recodes flows.time (T64 and LZ4 in place of DoubleDelta and ZSTD): a warehouse deployed
 * before it keeps every flow's time, in the parts written before, and once they are merged with new ones.
 */
describe('upgrading flows.time to T64 and LZ4 (migration 14)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-flow-time-codec-'));
  // One hour of today (flows are partitioned by day): merged, the flows are one part.
  const start = Math.floor(Date.now() / 86400e3) * 86400e6 + 3600e6;
  let warehouse: ChdbWarehouse;
  const codec = async (): Promise<string> =>
    (
      await warehouse.query<{ codec: string }>(
        `SELECT compression_codec AS codec FROM system.columns
         WHERE database = currentDatabase() AND table = 'flows' AND name = 'time'`,
      )
    )[0]!.codec;
  /** Every time, to the µs, as one checksum, and how many there are. */
  const times = async () =>
    warehouse.query<{ n: string; sum: string; first: string; last: string }>(
      `SELECT count() AS n, toString(sum(toUnixTimestamp64Micro(time))) AS sum,
         toString(min(time)) AS first, toString(max(time)) AS last FROM flows`,
    );
  const activeParts = async (): Promise<string[]> =>
    (
      await warehouse.query<{ name: string }>(
        `SELECT name FROM system.parts WHERE database = currentDatabase() AND table = 'flows' AND active ORDER BY name`,
      )
    ).map((p) => p.name);
  /** 100k flows at irregular µs over an hour, from the `offset`th on. */
  const insertFlows = (offset: number) =>
    warehouse.exec(
      `INSERT INTO flows (time, vrouter, source_vn, dest_vn)
       SELECT fromUnixTimestamp64Micro(toInt64(${start} + (number * 7919 % 3600000) * 1000 + number % 997), 'UTC'),
         concat('vrouter-', toString(number % 7)), 'vn-a', 'vn-b'
       FROM numbers(${offset}, 100000)`,
    );

  before(async () => {
    warehouse = new ChdbWarehouse(dir);
    await migrate(
      warehouse,
      migrations.filter((m) => m.id < 14),
    );
  });
  after(async () => {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('recodes the column and keeps the times written before, merged or not', async () => {
    assert.equal(await codec(), 'CODEC(DoubleDelta, ZSTD(1))');
    await insertFlows(0);
    const before = await times();
    const partsBefore = await activeParts();

    assert.deepEqual(
      await migrate(
        warehouse,
        migrations.filter((m) => m.id <= 14),
      ),
      [14],
    );
    assert.equal(await codec(), 'CODEC(T64, LZ4)');
    assert.deepEqual(await times(), before);
    // Metadata only: a start does not rewrite a deployed warehouse's flows; merges recode them.
    assert.deepEqual(await activeParts(), partsBefore);

    await insertFlows(100000);
    const both = await times();
    assert.equal(both[0]!.n, '200000');
    await warehouse.exec('OPTIMIZE TABLE flows FINAL');
    assert.equal((await activeParts()).length, 1);
    assert.deepEqual(await times(), both);
  });
});
