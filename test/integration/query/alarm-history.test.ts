import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { idleStatus } from '../../../alarms/lifecycle.js';
import { AlarmStore } from '../../../alarms/store.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';
import { ask } from '../../../harness/query-api-client.js';

interface Page {
  alarmHistory: {
    edges: { cursor: string; node: { name: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

/** alarmHistory pages through every transition, newest first, each once (its `after` cursor). */
describe('alarmHistory paging', () => {
  let warehouse: ChdbWarehouse;
  let api: QueryApi;

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-q-alarm-history-')));
    await migrate(warehouse);
    const store = new AlarmStore(warehouse);
    await store.open();
    const now = Date.now();
    // One insert: the rows share their time and differ by version alone.
    await store.store(
      ['compute-1', 'compute-2', 'compute-3'].map((name) => ({
        uveType: 'vrouter',
        uveName: name,
        alarmType: 'default-global-system-config:system-defined-process-status',
        severity: 0,
        description: '',
        status: { ...idleStatus(`vrouter:${name}`), state: 'Active' as const, token: 't' },
        transitions: [
          { at: now, kind: 'state' as const, from: 'Idle' as const, to: 'Active' as const, token: 't' },
        ],
      })),
    );
    api = createQueryApi(warehouse);
  });
  after(() => warehouse.close());

  it('follows endCursor to the last transition', async () => {
    const names: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 5; pages++) {
      const args = after === null ? 'first: 2' : `first: 2, after: ${JSON.stringify(after)}`;
      const page: Page = await ask<Page>(
        api,
        `{ alarmHistory(${args}) { edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }`,
      );
      names.push(...page.alarmHistory.edges.map((e) => e.node.name));
      if (!page.alarmHistory.pageInfo.hasNextPage) break;
      after = page.alarmHistory.pageInfo.endCursor;
    }
    assert.deepEqual(names, ['compute-3', 'compute-2', 'compute-1']);
  });
});
