import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';
import { createRng } from '../../../simulator/fabric/random.js';
import { ask as askApi, post } from '../../../harness/query-api-client.js';
import { randomFilter } from '../../support/random-flow-filters.js';

/**
 * 120 flows over 4 minutes that differ in every filtered field: vRouters, both address families,
 * two destinations, protocols, ports, actions and drop reasons, directions, namespaces, workloads,
 * VNs, labels and security group rules.
 */
const start = Math.floor(Date.now() / 60e3) * 60 - 600;
const insert = `INSERT INTO flows (time, generator, batch_seq, flow_uuid, vrouter, direction, source_vn, dest_vn,
    source_ip, dest_ip, protocol, sport, dport, action, drop_reason, diff_bytes, diff_packets, sampling,
    source_namespace, dest_namespace, source_workload, dest_workload, source_labels, sg_rule_uuid)
  SELECT toDateTime64({start:UInt32} + intDiv(number, 30) * 60 + number % 30, 6, 'UTC'), 'g:Compute:m:0', number,
    generateUUIDv4(), concat('compute-', toString(number % 3 + 1)), if(number % 2 = 0, 'ingress', 'egress'),
    if(number < 50, 'default-domain:payments:vn', 'default-domain:web:vn'), 'default-domain:db:vn',
    if(number < 80, toIPv6(IPv4NumToString(toUInt32(167772160 + number))), toIPv6(concat('2001:db8::', hex(number)))),
    if(intDiv(number, 7) % 2 = 0, toIPv6('10.1.0.1'), toIPv6('192.168.0.1')), if(number % 3 = 0, 17, 6), 30000 + number,
    [53, 80, 443, 8080][number % 4 + 1], ['pass', 'pass', 'deny', 'drop'][number % 4 + 1],
    if(number % 4 = 3, 'POLICY_DENY', ''), 100, 1, 1,
    if(number < 40, 'payments', 'default'), if(number % 5 = 0, 'db', 'web'),
    concat('pod-', toString(number % 4)), concat('vm-', toString(number % 2)),
    map('app', if(number % 3 = 0, 'web', 'api')), concat('rule-', toString(number % 5))
  FROM numbers(120)`;
const TOTAL = 120;

/** The same question as a text filter and as the structured filter (GraphQL arguments). */
const questions: [where: string, structured: string][] = [
  [
    'src.namespace = "payments" and action = deny and dst.port in (80, 443) and not dst.ip << 10.0.0.0/8',
    'filter: [{ sourceNamespace: ["payments"], action: ["deny"], destPort: [80, 443] }], exclude: [{ destIp: ["10.0.0.0/8"] }]',
  ],
  [
    'vrouter = compute-2 or src.namespace = payments',
    'filter: [{ vrouter: ["compute-2"] }, { sourceNamespace: ["payments"] }]',
  ],
  ['not namespace = payments', 'exclude: [{ namespace: ["payments"] }]'],
  [
    'src.ip << 10.0.0.0/27 or ip = 2001:db8::/64',
    'filter: [{ sourceIp: ["10.0.0.0/27"] }, { ip: ["2001:db8::/64"] }]',
  ],
  [
    'action in (deny, drop) and port != 53',
    'filter: [{ action: ["deny", "drop"] }], exclude: [{ port: [53] }]',
  ],
  [
    'protocol = udp and src.workload ~ "pod-*"',
    'filter: [{ protocol: ["17"], sourceWorkload: ["pod-0", "pod-1", "pod-2", "pod-3"] }]',
  ],
  ['dst.port < 100 and direction = INGRESS', 'filter: [{ destPort: [53, 80], direction: ["ingress"] }]'],
  [
    'drop_reason = POLICY_DENY and dst.vm = vm-1',
    'filter: [{ dropReason: ["POLICY_DENY"], destWorkload: ["vm-1"] }]',
  ],
  [
    'src.vn = default-domain:web:vn and src.label = "app=web"',
    'filter: [{ sourceVn: ["default-domain:web:vn"], sourceLabel: ["app=web"] }]',
  ],
  [
    'sg_rule_uuid = rule-1 and vrouter != compute-1',
    'filter: [{ sgRuleUuid: ["rule-1"] }], exclude: [{ vrouter: ["compute-1"] }]',
  ],
  [
    '(dst.namespace = db or dst.port = 8080) and not (vrouter = compute-1)',
    'filter: [{ destNamespace: ["db"] }, { destPort: [8080] }], exclude: [{ vrouter: ["compute-1"] }]',
  ],
];

describe('the filter language on the embedded warehouse', () => {
  let warehouse: ChdbWarehouse;
  let api: QueryApi;
  const ask = <T>(query: string) => askApi<T>(api, query);
  const range = `from: "${new Date(start * 1000).toISOString()}", to: "now"`;
  const flowIds = async (args: string): Promise<string[]> => {
    const data = await ask<{ flows: { edges: { node: { flowUuid: string } }[] } }>(
      `{ flows(${range}, ${args}, first: 1000) { edges { node { flowUuid } } } }`,
    );
    return data.flows.edges.map((e) => e.node.flowUuid).sort();
  };
  const where = (text: string): string => `where: ${JSON.stringify(text)}`;

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-flow-language-')));
    await migrate(warehouse);
    await warehouse.exec(insert, { start });
    api = createQueryApi(warehouse);
  });
  after(() => warehouse.close());

  for (const [text, structured] of questions)
    it(`finds the same flows for ${text} as for ${structured}`, async () => {
      const asText = await flowIds(where(text));
      assert.ok(asText.length > 0 && asText.length < TOTAL, `${asText.length} flows: the question selects`);
      assert.deepEqual(asText, await flowIds(structured));
    });

  it('ANDs where with filter and exclude, in totals, groups and series alike', async () => {
    const both = `${where('dst.port = 443')}, filter: [{ action: ["deny", "pass"] }], exclude: [{ vrouter: ["compute-3"] }]`;
    const structured =
      'filter: [{ destPort: [443], action: ["deny", "pass"] }], exclude: [{ vrouter: ["compute-3"] }]';
    const expected = await flowIds(structured);
    assert.ok(expected.length > 0);
    assert.deepEqual(await flowIds(both), expected);
    const data = await ask<{
      flowTotals: { records: number };
      flowGroups: { groups: { records: number }[] };
      flowSeries: { series: { points: { value: number }[] }[] };
    }>(`{
      flowTotals(${range}, ${both}) { records }
      flowGroups(${range}, ${both}, by: [VROUTER], metric: RECORDS) { groups { records } }
      flowSeries(${range}, ${both}, metric: RECORDS, step: "1m") { series { points { value } } }
    }`);
    assert.equal(data.flowTotals.records, expected.length);
    assert.equal(
      data.flowGroups.groups.reduce((n, g) => n + g.records, 0),
      expected.length,
    );
    assert.equal(
      data.flowSeries.series.flatMap((s) => s.points).reduce((n, p) => n + p.value, 0),
      expected.length,
    );
  });

  it('refuses a bad filter as BAD_USER_INPUT naming the position and what was expected', async () => {
    const body = await post(
      api,
      `{ flowTotals(${range}, ${where('src.namespace = "payments" nad action = deny')}) { records } }`,
    );
    assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.equal(
      body.errors?.[0]?.message,
      'where: expected one of `and`, `or`, end of input at 1:28, found `nad`',
    );
    const deep = await post(api, `{ flowTotals(${range}, ${where('('.repeat(10_000))}) { records } }`);
    assert.equal(deep.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(deep.errors?.[0]?.message ?? '', /^where: 10000 characters, more than \d+$/);
  });

  it('answers random filters of hostile values without an engine error: every value is bound as a parameter', async () => {
    const rng = createRng(0xf17e6);
    for (let i = 0; i < 60; i++) {
      const { text } = randomFilter(rng, 2);
      const body = await post(api, `{ flowTotals(${range}, ${where(text)}) { records } }`);
      assert.equal(body.errors, undefined, `${JSON.stringify(text)}: ${JSON.stringify(body.errors)}`);
    }
  });
});
