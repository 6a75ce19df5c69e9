import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FabricError } from '../../../../common/errors.js';
import { registry } from '../../../../common/metrics.js';
import { migrate } from '../../../../common/schema/migrate.js';
import { ClickHouseWarehouse } from '../../../../common/warehouse/clickhouse.js';
import { BatchWriter } from '../../../../writer/batch-writer.js';
import { writerRoute } from '../../../../writer/routes.js';
import { encodeBusBatch } from '../../../../common/bus/envelope.js';
import { encodeFields, FlowBatchSchema } from '../../../../common/proto.js';
import { freePort } from '../../../../harness/kafka.js';
import { clickHouseTools, startClickHouse, type ClickHouseServer } from '../../../../harness/clickhouse.js';
import { suiteNeeds } from '../../../../harness/system-tools.js';

const retriesSoFar = async (): Promise<number> =>
  (await registry.getSingleMetric('fabricscope_warehouse_retries_total')!.get()).values.reduce(
    (n, v) => n + v.value,
    0,
  );
const code = (expected: string) => (err: unknown) => err instanceof FabricError && err.code === expected;

/** The HTTP driver against a real ClickHouse server (Debian's 18.16 unless CLICKHOUSE_URL is set). */
describe('ClickHouse server driver on the wire', suiteNeeds(...clickHouseTools()), () => {
  let server: ClickHouseServer;
  let warehouse: ClickHouseWarehouse;

  before(async () => {
    server = await startClickHouse();
    warehouse = new ClickHouseWarehouse({ url: server.url });
  });
  after(async () => {
    await warehouse?.close();
    await server?.stop();
  });

  it('reads rows as JSON with 64-bit integers as exact strings', async () => {
    const rows = await warehouse.query<{ big: string; n: number; s: string }>(
      "SELECT toUInt64(18446744073709551615) AS big, toUInt8(7) AS n, 'x' AS s",
    );
    assert.deepEqual(rows, [{ big: '18446744073709551615', n: 7, s: 'x' }]);
  });

  it('runs DDL and inserts, and reads them back', async () => {
    await warehouse.exec('CREATE TABLE wire_test (id UInt64, name String) ENGINE = MergeTree ORDER BY id');
    await warehouse.exec("INSERT INTO wire_test VALUES (1, 'compute-1'), (2, 'compute-2')");
    const rows = await warehouse.query<{ id: string; name: string }>(
      'SELECT id, name FROM wire_test ORDER BY id',
    );
    assert.deepEqual(rows, [
      { id: '1', name: 'compute-1' },
      { id: '2', name: 'compute-2' },
    ]);
  });

  it('inserts rows given as objects (JSONEachRow), text of any shape as it is', async () => {
    await warehouse.exec('CREATE TABLE rows_test (id UInt64, text String) ENGINE = MergeTree ORDER BY id');
    const hostile = 'it\'s "quoted"\n); DROP TABLE rows_test; --';
    await warehouse.insertRows('rows_test', [
      { id: 1, text: hostile },
      { id: 2, text: '' },
    ]);
    const rows = await warehouse.query<{ id: string; text: string }>(
      'SELECT id, text FROM rows_test ORDER BY id',
    );
    assert.deepEqual(rows, [
      { id: '1', text: hostile },
      { id: '2', text: '' },
    ]);
  });

  it("reports bad SQL with the server's message, without retrying it", async () => {
    const before = await retriesSoFar();
    await assert.rejects(warehouse.query('SELEC 1'), (err: unknown) => {
      assert.ok(code('INTERNAL')(err));
      assert.match((err as Error).message, /ClickHouse at http:\/\/127\.0\.0\.1:\d+: .*Syntax error/);
      return true;
    });
    assert.equal(await retriesSoFar(), before);
  });

  it('names the user a server refuses', async () => {
    const url = new URL(server.url);
    url.username = server.user.name;
    url.password = 'wrong-password';
    const intruder = new ClickHouseWarehouse({ url: url.toString() });
    await assert.rejects(intruder.query('SELECT 1'), (err: unknown) => {
      assert.ok(code('UNAUTHENTICATED')(err));
      assert.match((err as Error).message, /refused user "fabric"/);
      return true;
    });
    await intruder.close();
    url.password = server.user.password;
    const friend = new ClickHouseWarehouse({ url: url.toString() });
    assert.deepEqual(await friend.query('SELECT 1 AS one'), [{ one: 1 }]);
    await friend.close();
  });

  it('gives up on an unreachable server after a bounded number of retries', async () => {
    const nowhere = new ClickHouseWarehouse({ url: `http://127.0.0.1:${await freePort()}`, retries: 2 });
    const started = Date.now();
    await assert.rejects(nowhere.query('SELECT 1'), (err: unknown) => {
      assert.ok(code('UNAVAILABLE')(err));
      assert.match((err as Error).message, /is unreachable/);
      return true;
    });
    assert.ok(Date.now() - started < 5000, `bounded: ${Date.now() - started} ms`);
    await nowhere.close();
  });

  it('stores flow rows sent as Protobuf through input()', async (t) => {
    if (Number(server.version.split('.')[0]) < 22) {
      return t.skip(
        `ClickHouse ${server.version} predates input() and DateTime64; needs CLICKHOUSE_URL of a server ≥ 22 with proto/fabricscope/v1 in its format_schema_path`,
      );
    }
    await migrate(warehouse);
    const records = [
      {
        flow_uuid: Buffer.alloc(16, 1),
        source_ip: Buffer.from([10, 0, 0, 1]),
        dest_ip: Buffer.from([10, 0, 0, 2]),
        diff_bytes: 10,
      },
    ];
    const payload = encodeFields(FlowBatchSchema, { records });
    const header = {
      generator: 'wire:Compute:m:0',
      epoch: Date.now(),
      seq: 0,
      receivedAt: Date.now() * 1000,
    };
    await new BatchWriter(warehouse, writerRoute('flows'), {
      maxBytes: 1,
      lingerMs: 0,
      dedupWindowHours: 1,
    }).write([{ key: 'wire', value: encodeBusBatch(header, 'flows', payload) }]);
    const rows = await warehouse.query<{ n: string }>(
      'SELECT count() AS n FROM flows WHERE generator = {g:String}',
      { g: header.generator },
    );
    assert.deepEqual(rows, [{ n: '1' }]);
  });

  it('retries through a server restart', async (t) => {
    if (!server.kill || !server.restart)
      return t.skip('the server comes from CLICKHOUSE_URL: this test cannot stop it');
    await server.kill();
    const answer = warehouse.query<{ one: number }>('SELECT 1 AS one');
    await sleep(300);
    await server.restart();
    assert.deepEqual(await answer, [{ one: 1 }]);
  });
});
