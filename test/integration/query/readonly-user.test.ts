import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RequestListener } from '../../../common/http.js';
import { FabricError } from '../../../common/errors.js';
import { ClickHouseWarehouse } from '../../../common/warehouse/clickhouse.js';
import { clickHouseTools, startClickHouse, type ClickHouseServer } from '../../../harness/clickhouse.js';
import { suiteNeeds } from '../../../harness/system-tools.js';
import { defaultQueryConfig, start } from '../../../query/index.js';

/** The query service on a ClickHouse server (Debian's 18.16 unless CLICKHOUSE_URL is set) under a user. */
describe('the query service and the ClickHouse readonly setting', suiteNeeds(...clickHouseTools()), () => {
  let server: ClickHouseServer;
  const warehouses: ClickHouseWarehouse[] = [];
  const as = (user?: { name: string; password: string }): ClickHouseWarehouse => {
    const url = new URL(server.url);
    if (user) [url.username, url.password] = [user.name, user.password];
    const warehouse = new ClickHouseWarehouse({ url: url.toString(), retries: 0 });
    warehouses.push(warehouse);
    return warehouse;
  };
  const unconfigurable = 'the server comes from CLICKHOUSE_URL: its users are not this test’s to configure';

  before(async () => {
    server = await startClickHouse();
  });
  after(async () => {
    for (const warehouse of warehouses) await warehouse.close();
    await server?.stop();
  });

  it('under readonly=1 the server refuses the per-query limits of a read (Code 164)', async (t) => {
    if (!server.readOnlyUsers) return t.skip(unconfigurable);
    const reader = as(server.readOnlyUsers[1]);
    assert.deepEqual(await reader.query('SELECT 1 AS one'), [{ one: 1 }]);
    await assert.rejects(reader.query('SELECT 1 AS one', {}, { max_execution_time: 10 }), /Code: 164/);
  });

  it('refuses to start under readonly=1, naming readonly=2 as the fix', async (t) => {
    if (!server.readOnlyUsers) return t.skip(unconfigurable);
    const routes: Record<string, RequestListener> = {};
    await assert.rejects(
      start(defaultQueryConfig, { warehouse: as(server.readOnlyUsers[1]), routes }),
      (err) => {
        assert.ok(err instanceof FabricError && err.code === 'CONFIG');
        assert.match(err.message, /readonly=1.*readonly=2/s);
        return true;
      },
    );
    assert.equal(routes['/graphql'], undefined);
  });

  it('starts under readonly=2, whose reads take their limits', async (t) => {
    if (!server.readOnlyUsers) return t.skip(unconfigurable);
    const reader = as(server.readOnlyUsers[2]);
    const routes: Record<string, RequestListener> = {};
    const service = await start(defaultQueryConfig, { warehouse: reader, routes });
    assert.equal(typeof routes['/graphql'], 'function');
    assert.deepEqual(await reader.query('SELECT 1 AS one', {}, { max_execution_time: 10 }), [{ one: 1 }]);
    await assert.rejects(reader.exec('CREATE TABLE refused (id UInt8) ENGINE = Memory'), /Code: 164/);
    await service.close();
  });

  it('starts under a user that may write (readonly=0)', async () => {
    const routes: Record<string, RequestListener> = {};
    const service = await start(defaultQueryConfig, { warehouse: as(), routes });
    assert.equal(typeof routes['/graphql'], 'function');
    await service.close();
  });
});
