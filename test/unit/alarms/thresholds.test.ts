import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlarmEngine } from '../../../alarms/engine.js';
import { loadThresholdRules } from '../../../alarms/threshold-files.js';
import { parseThresholdRule, thresholdUve } from '../../../common/model/alarm-rules/threshold.js';
import type { QueryParams, Warehouse } from '../../../common/warehouse/warehouse.js';
import { thresholdGroups } from '../../../alarms/thresholds.js';

/** A warehouse that answers each read with the next canned rows and keeps what it was asked. */
function recording(...answers: Record<string, unknown>[][]) {
  const asked: { sql: string; params: QueryParams }[] = [];
  const warehouse = {
    query: (sql: string, params: QueryParams = {}) => {
      asked.push({ sql, params });
      return Promise.resolve(answers.shift() ?? []);
    },
  } as unknown as Warehouse;
  return { warehouse, asked };
}

const condition = (operand1: string, operation: string, value: string) => ({
  or_list: [{ and_list: [{ operand1, operation, operand2: { json_value: value } }] }],
});

const hostile = "payments' OR 1=1 --";
const AT = Date.UTC(2026, 0, 1, 12, 7, 30);

describe('threshold evaluation', () => {
  it('reads flows through the API builder, values in parameters only, rate per second of the window', async () => {
    const rule = parseThresholdRule({
      name: 'bytes',
      alarm_severity: 2,
      source: 'flows',
      window: '5m',
      aggregate: { function: 'rate', of: 'bytes' },
      filter: [{ action: ['deny'], destNamespace: [hostile] }],
      groupBy: 'DEST_NAMESPACE',
      alarm_rules: condition('value', '>', '1'),
    });
    const { warehouse, asked } = recording([{ k0: 'payments', records: '3', bytes: '600', packets: '6' }]);
    const groups = await thresholdGroups(warehouse, rule, AT);
    assert.deepEqual([...groups], [['payments', { value: 2 }]]);
    assert.equal(asked.length, 1, 'no previous window read');
    const [{ sql, params }] = asked as [{ sql: string; params: QueryParams }];
    assert.ok(!sql.includes('payments') && !sql.includes('deny'), sql);
    const values = Object.values(params).flat();
    assert.ok(values.includes(hostile) && values.includes('deny'));
    assert.ok(values.includes((AT - 300e3) * 1000) && values.includes(AT * 1000), 'the window in µs');
  });

  it('reads the window before for a ratio: absent flows count 0, a ratio to 0 is left out', async () => {
    const rule = parseThresholdRule({
      name: 'ratio',
      alarm_severity: 2,
      source: 'flows',
      window: '1m',
      aggregate: { function: 'count' },
      groupBy: 'VROUTER',
      alarm_rules: condition('ratio', '<=', '0.5'),
    });
    const { warehouse, asked } = recording(
      [
        { k0: 'a', records: '5' },
        { k0: 'new', records: '2' },
      ],
      [
        { k0: 'a', records: '20' },
        { k0: 'gone', records: '4' },
      ],
    );
    const groups = Object.fromEntries(await thresholdGroups(warehouse, rule, AT));
    assert.deepEqual(groups, {
      a: { value: 5, previous: 20, ratio: 0.25 },
      new: { value: 2, previous: 0 },
      gone: { value: 0, previous: 4, ratio: 0 },
    });
    const range = (i: number) => Object.values(asked[i]!.params).filter((v) => typeof v === 'number');
    assert.deepEqual(range(1).slice(0, 2), [(AT - 120e3) * 1000, (AT - 60e3) * 1000]);
  });

  it('reads interface rates and route counts at the window boundary, parameters only', async () => {
    const drops = parseThresholdRule({
      name: 'drops',
      alarm_severity: 2,
      source: 'interface_stats',
      window: '1m',
      aggregate: { function: 'rate', of: 'drops' },
      filter: { vn: [hostile] },
      groupBy: 'VMI',
      alarm_rules: condition('value', '>', '10'),
    });
    const ifs = recording([{ key: 'vmi-1', drops: '1200', dropsPerSec: 20 }]);
    assert.deepEqual([...(await thresholdGroups(ifs.warehouse, drops, AT))], [['vmi-1', { value: 20 }]]);
    assert.ok(
      !ifs.asked[0]!.sql.includes(hostile) && Object.values(ifs.asked[0]!.params).flat().includes(hostile),
    );

    const routes = parseThresholdRule({
      name: 'halved',
      alarm_severity: 1,
      source: 'routes',
      window: '10m',
      aggregate: { function: 'count' },
      filter: { vrf: [hostile] },
      groupBy: 'VRF',
      alarm_rules: condition('ratio', '<=', '0.5'),
    });
    const last = Date.UTC(2026, 0, 1, 12, 0) * 1000;
    const first = last - 600e6;
    const counted = recording([
      { vrf: 'red', generator: 'c1', point: String(first), delta: '10' },
      { vrf: 'red', generator: 'c2', point: String(first), delta: '10' },
      { vrf: 'red', generator: 'c1', point: String(last), delta: '-12' },
    ]);
    const groups = await thresholdGroups(counted.warehouse, routes, AT);
    assert.deepEqual([...groups], [['red', { value: 8, previous: 20, ratio: 0.4 }]]);
    const { sql, params } = counted.asked[0]!;
    assert.ok(!sql.includes(hostile) && Object.values(params).flat().includes(hostile));
    assert.ok(Object.values(params).includes(last) && Object.values(params).includes(first));
  });
});

describe('threshold alarms in the engine', () => {
  const rule = parseThresholdRule({
    name: 'halved',
    alarm_severity: 1,
    source: 'routes',
    window: '10m',
    aggregate: { function: 'count' },
    groupBy: 'VRF',
    alarm_rules: condition('ratio', '<=', '0.5'),
  });
  const states = (changes: { uveName: string; status: { state: string } }[]) =>
    changes.map((c) => `${c.uveName} ${c.status.state}`);

  it('raises per group, fails a condition on an operand the group lacks, clears a group gone', () => {
    const engine = new AlarmEngine([], [rule.rule]);
    const first = engine.evaluateGroups(
      rule.rule,
      new Map([
        ['red', thresholdUve({ value: 8, previous: 20, ratio: 0.4 })],
        ['new', thresholdUve({ value: 5, previous: 0 })],
      ]),
      1000,
    );
    assert.deepEqual(
      states(first),
      ['red Active'],
      'no ratio: not raised, though null would order below 0.5',
    );
    engine.apply(first);
    // The UVE-driven evaluation (a restart evaluates every held UVE) leaves a threshold alarm alone.
    assert.deepEqual(engine.evaluate(new Map([['routing-instance:red', { uve: {} }]]), 2000), []);
    assert.deepEqual(states(engine.evaluateGroups(rule.rule, new Map(), 3000)), ['red Idle']);
  });

  it('loads a folder of rules, naming the file of a fault or of a name taken twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-threshold-rules-'));
    const json = (name: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        name,
        alarm_severity: 1,
        source: 'routes',
        window: '10m',
        aggregate: { function: 'count' },
        groupBy: 'VRF',
        alarm_rules: condition('value', '<', '1'),
        ...extra,
      });
    writeFileSync(join(dir, 'a.json'), json('a'));
    writeFileSync(join(dir, 'notes.txt'), 'not a rule');
    assert.deepEqual(
      (await loadThresholdRules(dir, new Set())).map((r) => r.rule.name),
      ['a'],
    );
    await assert.rejects(
      loadThresholdRules(dir, new Set(['default-global-system-config:a'])),
      /a\.json: another rule is named default-global-system-config:a/,
    );
    writeFileSync(join(dir, 'b.json'), json('b', { groupBy: 'VN' }));
    await assert.rejects(
      loadThresholdRules(dir, new Set()),
      /b\.json: .*groupBy: "VN" is not a route dimension/,
    );
    assert.deepEqual(await loadThresholdRules('', new Set()), []);
  });
});
