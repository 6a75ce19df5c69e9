import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueryParams, Warehouse } from '../../../common/warehouse/warehouse.js';
import { createQueryApi } from '../../../query/index.js';

/** A warehouse whose alarm_state holds one shown alarm, and which keeps what it was asked. */
function warehouseWithAlarm() {
  const reads: { sql: string; params?: QueryParams }[] = [];
  const row = {
    uve_type: 'control-node',
    uve_name: 'control-1',
    alarm_type: 'default-global-system-config:system-defined-bgp-connectivity',
    severity: 1,
    state: 'Active',
    token: 't1',
    acknowledged: false,
    flapping: false,
    status: JSON.stringify({ rules: { or_list: [] }, since: 1_750_000_000_000 }),
    at_ms: '1750000000000',
  };
  const warehouse: Warehouse = {
    dictionarySource: () => '',
    query: async <T>(sql: string, params?: QueryParams) => {
      reads.push({ sql, params });
      return [row] as T[];
    },
    exec: async () => undefined,
    insertProtobuf: async () => undefined,
    insertRows: async () => undefined,
    close: async () => undefined,
  };
  return { warehouse, reads };
}

async function ask(warehouse: Warehouse, query: string) {
  const response = await createQueryApi(warehouse).fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as {
    data?: Record<string, unknown>;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

describe('GraphQL alarms', () => {
  it('lists the alarms shown (ACTIVE, SOAK_IDLE) unless told which states, as TF reports them', async () => {
    const { warehouse, reads } = warehouseWithAlarm();
    const answer = await ask(warehouse, '{ alarms { edges { node { name type severity state since } } } }');
    assert.deepEqual(answer.data, {
      alarms: {
        edges: [
          {
            node: {
              name: 'control-1',
              type: 'default-global-system-config:system-defined-bgp-connectivity',
              severity: 'MAJOR',
              state: 'ACTIVE',
              since: '2025-06-15T15:06:40.000000Z',
            },
          },
        ],
      },
    });
    assert.ok(Object.values(reads[0]?.params ?? {}).some((v) => String(v) === 'Active,Soak_Idle'));
    await ask(warehouse, '{ alarms(filter: { state: [SOAK_ACTIVE] }) { edges { cursor } } }');
    assert.ok(Object.values(reads[1]?.params ?? {}).some((v) => String(v) === 'Soak_Active'));
  });

  it('refuses a cursor it did not hand out', async () => {
    const { warehouse, reads } = warehouseWithAlarm();
    const answer = await ask(warehouse, '{ alarms(after: "bm9wZQ") { edges { cursor } } }');
    assert.equal(answer.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.equal(reads.length, 0);
  });

  it('answers acknowledgeAlarm UNAVAILABLE where no alarm engine is reachable, naming what is needed', async () => {
    const { warehouse } = warehouseWithAlarm();
    const answer = await ask(
      warehouse,
      'mutation { acknowledgeAlarm(uveType: "control-node", name: "control-1", type: "system-defined-bgp-connectivity", token: "t1") { acknowledged } }',
    );
    assert.equal(answer.errors?.[0]?.extensions?.code, 'UNAVAILABLE');
    assert.match(answer.errors?.[0]?.message ?? '', /Kafka/);
  });
});
