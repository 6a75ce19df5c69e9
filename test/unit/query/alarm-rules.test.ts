import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoredRules } from '../../../alarms/rule-set.js';
import { readAlarmCommand, ruleChangeMessage } from '../../../common/bus/alarm-commands.js';
import type { Bus, BusMessage } from '../../../common/bus/bus.js';
import type { RuleVersion } from '../../../common/schema/alarm-rules.js';
import type { QueryParams, Warehouse } from '../../../common/warehouse/warehouse.js';
import { createQueryApi } from '../../../query/index.js';

const MINE = 'default-global-system-config:vrouter-mode-down';

const rule = (operation = '==') => ({
  name: 'vrouter-mode-down',
  alarm_severity: 2,
  uve_keys: { uve_key: ['vrouter'] },
  alarm_rules: {
    or_list: [
      { and_list: [{ operand1: 'VrouterAgent.mode', operation, operand2: { json_value: '"down"' } }] },
    ],
  },
});

/** A warehouse holding alarm_rules in memory: what the API reads and the engine (StoredRules) writes. */
function rulesWarehouse(): Warehouse & { versions: RuleVersion[] } {
  const versions: RuleVersion[] = [];
  return {
    versions,
    dictionarySource: () => '',
    query: async <T>(sql: string) => {
      assert.match(sql, /FROM alarm_rules/);
      return versions.map((v) => ({ ...v, version: String(v.version), at_ms: String(v.at) })) as T[];
    },
    exec: async (sql: string, params?: QueryParams) => {
      assert.match(sql, /INSERT INTO alarm_rules/);
      const v = params as unknown as RuleVersion;
      versions.push({ ...v, version: Number(v.version), at: Number(v.at) });
    },
    insertProtobuf: async () => undefined,
    insertRows: async () => undefined,
    close: async () => undefined,
  };
}

/** A bus to an engine that applies each rule change it is sent, after `meanwhile` (another writer). */
function busToEngine(warehouse: Warehouse, meanwhile: () => Promise<void> = async () => undefined) {
  const engine = new StoredRules(warehouse);
  const outcomes: string[] = [];
  const bus = {
    broadcast: async (_kind: string, messages: BusMessage[]) => {
      await meanwhile();
      for (const message of messages) {
        const command = readAlarmCommand(message);
        assert.equal(command.kind, 'rule');
        if (command.kind === 'rule') outcomes.push(await engine.apply(command));
      }
    },
  } as unknown as Bus;
  return { bus, outcomes };
}

async function ask(warehouse: Warehouse, query: string, variables: Record<string, unknown>, bus?: Bus) {
  const api = createQueryApi(warehouse, { queryTimeout: 2000 }, bus);
  const response = await api.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as {
    data?: Record<string, unknown>;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

const CREATE =
  'mutation($rule: JSON!) { createAlarmRule(rule: $rule, author: "ops") { type source version } }';

describe('GraphQL alarm rule mutations, through the engine that stores them', () => {
  it('refuses a bad rule BAD_USER_INPUT with its path, even where no engine is reachable; a good one is UNAVAILABLE there', async () => {
    const warehouse = rulesWarehouse();
    const bad = await ask(warehouse, CREATE, { rule: rule('like') });
    assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(bad.errors?.[0]?.message ?? '', /alarm_rules\.or_list\[0\]\.and_list\[0\]\.operation/);
    const good = await ask(warehouse, CREATE, { rule: rule() });
    assert.equal(good.errors?.[0]?.extensions?.code, 'UNAVAILABLE');
    assert.deepEqual(warehouse.versions, []);
  });

  it('answers the rule once the engine stored it; a redelivered change is not stored twice', async () => {
    const warehouse = rulesWarehouse();
    const { bus, outcomes } = busToEngine(warehouse);
    const created = await ask(warehouse, CREATE, { rule: rule() }, bus);
    assert.deepEqual(created.data, { createAlarmRule: { type: MINE, source: 'CUSTOM', version: 1 } });
    assert.deepEqual(
      warehouse.versions.map((v) => [v.name, v.version, v.status, v.author]),
      [[MINE, 1, 'enabled', 'ops']],
    );
    const again = readAlarmCommand(
      ruleChangeMessage({
        operation: 'create',
        name: MINE,
        rule: JSON.stringify(rule()),
        expectedVersion: 0,
        author: 'ops',
      }),
    );
    assert.equal(again.kind === 'rule' && (await new StoredRules(warehouse).apply(again)), 'unchanged');
    assert.deepEqual(outcomes, ['applied']);
    assert.equal(warehouse.versions.length, 1);
  });

  it('tells a change the engine refused, another stored since the API checked it, as a stale version', async () => {
    const warehouse = rulesWarehouse();
    const other = {
      name: MINE,
      version: 1,
      rule: JSON.stringify(rule('!=')),
      status: 'enabled',
      author: 'b',
      at: 0,
    } as const;
    const { bus, outcomes } = busToEngine(warehouse, async () => {
      warehouse.versions.push(other);
    });
    const answer = await ask(warehouse, CREATE, { rule: rule() }, bus);
    assert.equal(answer.errors?.[0]?.extensions?.code, 'FAILED_PRECONDITION');
    assert.match(answer.errors?.[0]?.message ?? '', /at version 1/);
    assert.deepEqual(outcomes, ['refused']);
    assert.deepEqual(warehouse.versions, [other]);
  });
});
