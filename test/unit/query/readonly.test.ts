import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestListener } from '../../../common/http.js';
import { FabricError } from '../../../common/errors.js';
import type { Warehouse } from '../../../common/warehouse/warehouse.js';
import { defaultQueryConfig, start } from '../../../query/index.js';

/** A warehouse whose user has the given readonly setting, recording what it was asked. */
function warehouseWithReadonly(value: string): Warehouse & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    dictionarySource: () => '',
    query: async <T>(sql: string) => {
      asked.push(sql);
      return (/system\.settings/.test(sql) ? [{ value }] : []) as T[];
    },
    exec: async () => undefined,
    insertProtobuf: async () => undefined,
    insertRows: async () => undefined,
    close: async () => undefined,
  };
}

describe('the query service and a read-only warehouse user', () => {
  it('refuses to start under readonly=1, naming the fix, and serves nothing', async () => {
    const routes: Record<string, RequestListener> = {};
    const warehouse = warehouseWithReadonly('1');
    await assert.rejects(start(defaultQueryConfig, { warehouse, routes }), (err: unknown) => {
      assert.ok(err instanceof FabricError && err.code === 'CONFIG');
      assert.match(err.message, /readonly=1, which refuses the limits .*max_execution_time/);
      assert.match(err.message, /readonly=2/);
      return true;
    });
    assert.deepEqual(warehouse.asked, ["SELECT value FROM system.settings WHERE name = 'readonly'"]);
    assert.equal(routes['/graphql'], undefined);
  });

  for (const value of ['0', '2']) {
    it(`starts under readonly=${value}`, async () => {
      const routes: Record<string, RequestListener> = {};
      const service = await start(defaultQueryConfig, { warehouse: warehouseWithReadonly(value), routes });
      assert.equal(typeof routes['/graphql'], 'function');
      await service.close();
    });
  }
});
