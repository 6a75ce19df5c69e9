import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { structuredCondition, type FlowFilterInput } from '../../../common/sql/flows/filter.js';
import { parseFlowFilter } from '../../../common/sql/flows/language/parse.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';
import { flowPredicate } from '../../../query/streams/flow-predicate.js';
import { createRng } from '../../../simulator/fabric/random.js';
import { randomFilter } from '../../support/random-flow-filters.js';
import { ask as askApi, post } from '../../../harness/query-api-client.js';

/**
 * The live streams' in-memory filter against the flows query's SQL, on the same stored records: for
 * each filter, the flows the SQL selects are exactly the flows the predicate keeps of all of them.
 */
const start = Math.floor(Date.now() / 1000) - 600;
const insert = `INSERT INTO flows (time, generator, batch_seq, flow_uuid, vrouter, direction, source_vn, dest_vn,
    source_ip, dest_ip, protocol, sport, dport, action, drop_reason, underlay_proto, source_namespace, dest_namespace,
    source_workload, dest_workload, source_labels, dest_labels, sampling)
  SELECT toDateTime64({start:UInt32} + number, 6, 'UTC'), 'g:Compute:m:0', number, generateUUIDv4(),
    concat('compute-', toString(number % 3)), ['ingress', 'egress'][number % 2 + 1],
    ['vn-a', 'vn-b'][intDiv(number, 2) % 2 + 1], ['vn-b', 'vn-c'][number % 2 + 1],
    if(number < 64, toIPv6(IPv4NumToString(toUInt32(167772160 + number * 3))), toIPv6(concat('2001:db8::', hex(number)))),
    toIPv6(concat('10.1.0.', toString(number % 5))), [6, 17, 1, 58][number % 4 + 1], 1000 + number % 7,
    [80, 443, 53][number % 3 + 1], ['pass', 'deny', 'drop', 'nat'][number % 4 + 1],
    if(number % 4 IN (1, 2), ['SHORT_ACL_DENY', 'FLOW_LIMIT'][number % 2 + 1], ''), ['MPLSoUDP', 'VXLAN'][number % 2 + 1],
    ['payments', 'default', ''][number % 3 + 1], ['default', 'test-isolated-ns'][intDiv(number, 3) % 2 + 1],
    concat('pod-', toString(number % 4)), concat('db-', toString(number % 2)),
    if(number % 5 = 0, map(), map('app', ['web', 'db'][number % 2 + 1])),
    if(number % 3 = 0, map('tier', 'back'), map()), 1
  FROM numbers(96)`;

const FIELDS = `flowUuid vrouter direction sourceVn destVn sourceIp destIp protocol sourcePort destPort action
  dropReason underlayProto sourceWorkload destWorkload sourceNamespace destNamespace sourceLabels destLabels`;

const cases: { filter?: FlowFilterInput[]; exclude?: FlowFilterInput[] }[] = [
  { filter: [{ vrouter: ['compute-1'] }] },
  { filter: [{ action: ['DENY', 'drop'] }] },
  { filter: [{ direction: ['egress'], dropReason: ['FLOW_LIMIT'] }] },
  { filter: [{ sourcePort: [1000, 1003] }] },
  { filter: [{ port: [443] }] },
  { filter: [{ protocol: ['udp', '1'] }] },
  { filter: [{ sourceIp: ['10.0.0.30'] }] },
  { filter: [{ sourceIp: ['10.0.0.0/27'] }] },
  { filter: [{ ip: ['2001:db8::/120'] }] },
  { filter: [{ sourceIp: ['::ffff:10.0.0.0/122'] }] },
  { filter: [{ destIp: ['10.1.0.3', '10.1.0.4/32'] }] },
  { filter: [{ vn: ['vn-a'] }] },
  { filter: [{ namespace: ['test-isolated-ns'] }] },
  { filter: [{ sourceNamespace: [''] }] },
  { filter: [{ workload: ['db-1', 'pod-2'] }] },
  { filter: [{ sourceLabel: ['app=web'] }] },
  { filter: [{ label: ['tier'] }] },
  { filter: [{ sourceLabel: ['app='] }] },
  { filter: [{ underlayProto: ['VXLAN'] }] },
  { filter: [{ vrouter: ['compute-2'] }, { sourceNamespace: ['payments'], action: ['pass'] }] },
  { exclude: [{ namespace: ['payments'] }, { protocol: ['tcp'] }] },
  { filter: [{ action: ['deny'] }], exclude: [{ sourceIp: ['2001:db8::/32'] }] },
];

describe('live flow filter (in memory) against the flows query (SQL), on the same records', () => {
  let warehouse: ChdbWarehouse;
  let api: QueryApi;
  const range = `from: "${new Date(start * 1000).toISOString()}", to: "now"`;
  const uuidsOf = async (filter = '') => {
    const data = await askApi<{ flows: { edges: { node: Record<string, unknown> }[] } }>(
      api,
      `{ flows(${range}, first: 1000 ${filter}) { edges { node { ${FIELDS} } } } }`,
    );
    return data.flows.edges.map((e) => e.node);
  };

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-stream-filter-')));
    await migrate(warehouse);
    await warehouse.exec(insert, { start });
    api = createQueryApi(warehouse);
  });
  after(async () => {
    await api.close();
    await warehouse.close();
  });

  it('keeps exactly what the SQL selects, for every filter kind, either-end field, OR and exclude', async () => {
    const all = await uuidsOf();
    assert.equal(all.length, 96);
    for (const { filter, exclude } of cases) {
      const args =
        `, filter: ${JSON.stringify(filter ?? [])}, exclude: ${JSON.stringify(exclude ?? [])}`.replace(
          /"(\w+)":/g,
          '$1:',
        );
      const bySql = (await uuidsOf(args)).map((n) => n.flowUuid).sort();
      const test = flowPredicate(structuredCondition(filter, exclude));
      const inMemory = all
        .filter(test)
        .map((n) => n.flowUuid)
        .sort();
      const what = JSON.stringify({ filter, exclude });
      assert.ok(bySql.length > 0 && bySql.length < all.length, `${what} selects some flows, not all`);
      assert.deepEqual(inMemory, bySql, what);
    }
  });

  it('keeps exactly what the SQL selects for the filter language (operators, not, or, like, orders)', async () => {
    const all = await uuidsOf();
    const wheres = [
      'src.namespace = "payments" and action = deny and dst.port in (80, 443) and not src.ip << 10.0.0.0/28',
      'vrouter like "compute-%" and not (direction = egress or proto = udp)',
      'src.port >= 1004 or dst.port < 60',
      'dst.pod like "db-_" and src.label = "app=db"',
      'vn = "vn-a" and dst.namespace != "default"',
      'src.ip << 2001:db8::/120 or dst.ip = 10.1.0.2',
      'drop_reason like "%LIMIT" or underlay_proto = VXLAN and protocol > 10',
    ];
    for (const where of wheres) {
      const bySql = (await uuidsOf(`, where: ${JSON.stringify(where)}`)).map((n) => n.flowUuid).sort();
      const test = flowPredicate(parseFlowFilter(where));
      const inMemory = all
        .filter(test)
        .map((n) => n.flowUuid)
        .sort();
      assert.ok(bySql.length > 0 && bySql.length < all.length, `${where} selects some flows, not all`);
      assert.deepEqual(inMemory, bySql, where);
    }
    // Random trees of every field, operator and value form (hostile text values match nothing).
    const rng = createRng(0x57e4);
    for (let i = 0; i < 40; i++) {
      const { text } = randomFilter(rng, 2);
      const bySql = (await uuidsOf(`, where: ${JSON.stringify(text)}`)).map((n) => n.flowUuid).sort();
      assert.deepEqual(
        all
          .filter(flowPredicate(parseFlowFilter(text)))
          .map((n) => n.flowUuid)
          .sort(),
        bySql,
        text,
      );
    }
  });

  it('refuses the values the SQL refuses, naming the field', async () => {
    for (const [filter, message] of [
      [{ destPort: [70000] }, /filter.destPort: 70000 is not a port/],
      [{ protocol: ['tcpx'] }, /filter.protocol: "tcpx" is not a protocol/],
      [{ action: ['allow'] }, /filter.action: "allow" is not one of/],
      [{ ip: ['10.0.0.0/33'] }, /filter.ip: "10.0.0.0\/33" has a prefix length above 32/],
      [{ label: ['=x'] }, /filter.label: "=x" is not key=value or key/],
    ] as const) {
      assert.throws(() => flowPredicate(structuredCondition([filter], [])), message);
      const body = await post(
        api,
        `{ flows(filter: [${JSON.stringify(filter).replace(/"(\w+)":/g, '$1:')}]) { edges { cursor } } }`,
      );
      assert.match(body.errors?.[0]?.message ?? '', message);
    }
  });
});
