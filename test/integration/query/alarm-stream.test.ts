import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { idleStatus } from '../../../alarms/lifecycle.js';
import { AlarmStore } from '../../../alarms/store.js';
import { LocalLogBus } from '../../../common/bus/local-log.js';
import { startHttpServer, type HttpServer } from '../../../common/http.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';
import { until } from '../../../harness/wait.js';
import { sseSubscribe } from '../../support/subscriptions.js';

const PROCESS_STATUS = 'default-global-system-config:system-defined-process-status';

/** The alarms subscription: the engine's transitions as its store writes them, from subscribing on. */
describe('alarms subscription', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-q-alarm-stream-'));
  let warehouse: ChdbWarehouse;
  let bus: LocalLogBus;
  let api: QueryApi;
  let http: HttpServer;
  let store: AlarmStore;

  const raise = (uveType: string, name: string, alarmType = PROCESS_STATUS) =>
    store.store([
      {
        uveType,
        uveName: name,
        alarmType,
        severity: 0,
        description: '',
        status: { ...idleStatus(`${uveType}:${name}`), state: 'Active' as const, token: `t-${name}` },
        transitions: [
          {
            at: Date.now(),
            kind: 'state' as const,
            from: 'Idle' as const,
            to: 'Active' as const,
            token: `t-${name}`,
          },
        ],
      },
    ]);

  before(async () => {
    warehouse = new ChdbWarehouse(join(dir, 'chdb'));
    await migrate(warehouse);
    store = new AlarmStore(warehouse);
    await store.open();
    bus = new LocalLogBus({ dir: join(dir, 'bus'), maxBytes: 1 << 20 });
    api = createQueryApi(warehouse, {}, undefined, undefined, bus);
    http = await startHttpServer({ host: '127.0.0.1', port: 0, routes: { '/graphql': api.handler } });
  });
  after(async () => {
    await api?.close();
    await http?.close();
    await bus?.close();
    await warehouse?.close();
  });

  it('streams the transitions stored after subscribing, of the UVE type, name glob and rule asked for', async () => {
    await raise('vrouter', 'compute-0');
    const url = `http://127.0.0.1:${http.port}/graphql`;
    const held = sseSubscribe(
      url,
      'subscription { alarms(uveType: "vrouter", name: "compute-*", type: "system-defined-process-status") { uveType name type kind from to token } }',
    );
    try {
      let n = 0;
      await until('a transition streamed', async () => {
        n++;
        await raise('vrouter', `compute-${n}`);
        await raise('control-node', `compute-${n}`);
        await raise('vrouter', `other-${n}`);
        await raise('vrouter', `compute-${n}`, 'default-global-system-config:system-defined-disk-usage-high');
        return held.events.length > 0;
      });
      const streamed = held.events.map((e) => e.data?.alarms as Record<string, string>);
      for (const t of streamed) {
        assert.deepEqual(
          [t.uveType, t.type, t.kind, t.from, t.to],
          ['vrouter', PROCESS_STATUS, 'STATE', 'IDLE', 'ACTIVE'],
        );
        assert.match(String(t.name), /^compute-[1-9]\d*$/, 'only those after subscribing, of the glob');
        assert.equal(t.token, `t-${t.name}`);
      }
    } finally {
      held.close();
    }
  });
});
