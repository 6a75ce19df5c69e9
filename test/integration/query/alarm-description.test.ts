import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { idleStatus } from '../../../alarms/lifecycle.js';
import { AlarmStore } from '../../../alarms/store.js';
import { BUILTIN_RULES } from '../../../common/model/alarm-rules/builtin/index.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';
import { ask } from '../../../harness/query-api-client.js';

const CUSTOM = 'default-global-system-config:vrouter-control-ip';
const PROCESS_STATUS = 'default-global-system-config:system-defined-process-status';

/**
 * An alarm carries its rule's description as the engine stored it, so one of a custom or threshold
 * rule is described (once null); a row stored before rows carried it ('') shows the built-in's.
 */
describe('alarm descriptions', () => {
  let warehouse: ChdbWarehouse;
  let store: AlarmStore;
  let api: QueryApi;

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-q-alarm-description-')));
    await migrate(warehouse);
    store = new AlarmStore(warehouse);
    await store.open();
    const now = Date.now();
    const raised = (name: string, alarmType: string, description: string) => ({
      uveType: 'vrouter',
      uveName: name,
      alarmType,
      severity: 1,
      description,
      status: { ...idleStatus(`vrouter:${name}`), state: 'Active' as const, token: `t-${name}` },
      transitions: [
        { at: now, kind: 'state' as const, from: 'Idle' as const, to: 'Active' as const, token: `t-${name}` },
      ],
    });
    await store.store([
      raised('compute-1', CUSTOM, 'A vRouter on a control address being drained.'),
      raised('compute-2', PROCESS_STATUS, ''),
    ]);
    api = createQueryApi(warehouse);
  });
  after(() => warehouse.close());

  it('shows the description stored with the alarm, or the built-in rule’s for a row without one', async () => {
    const answer = await ask<{ alarms: { edges: { node: { name: string; description: string | null } }[] } }>(
      api,
      '{ alarms { edges { node { name description } } } }',
    );
    assert.deepEqual(
      answer.alarms.edges.map((e) => [e.node.name, e.node.description]),
      [
        ['compute-1', 'A vRouter on a control address being drained.'],
        ['compute-2', BUILTIN_RULES.find((r) => r.fqName === PROCESS_STATUS)!.description],
      ],
    );
  });

  it('restores the description with the alarm, for the clearing row of a rule since gone', async () => {
    const held = await store.held();
    assert.deepEqual(
      held.map((a) => [a.uveName, a.description]),
      [
        ['compute-1', 'A vRouter on a control address being drained.'],
        ['compute-2', ''],
      ],
    );
  });
});
