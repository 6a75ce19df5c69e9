import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';
import { ask as askApi } from '../../../harness/query-api-client.js';

/** A known set: 60 IPv4 flows from 10.0.0.0/26 over 3 minutes, 20 IPv6 flows, each 100 bytes. */
const start = Math.floor(Date.now() / 60e3) * 60 - 600;
const insert = `INSERT INTO flows (time, generator, batch_seq, flow_uuid, vrouter, source_ip, dest_ip, dport,
    action, diff_bytes, diff_packets, sampling, source_namespace, source_workload)
  SELECT toDateTime64({start:UInt32} + intDiv(number, 20) * 60 + number % 20, 6, 'UTC'), 'g:Compute:m:0', number,
    generateUUIDv4(), if(number < 40, 'compute-1', 'compute-2'),
    if(number < 60, toIPv6(IPv4NumToString(toUInt32(167772160 + number))), toIPv6(concat('2001:db8::', toString(number)))),
    toIPv6('10.1.0.1'), if(number % 2 = 0, 443, 53), if(number % 4 = 0, 'deny', 'pass'), 100, 1, 1,
    if(number < 30, 'payments', 'default'), concat('pod-', toString(number % 3))
  FROM numbers(80)`;

describe('query API on the embedded warehouse', () => {
  let warehouse: ChdbWarehouse;
  let api: QueryApi;
  const ask = <T>(query: string) => askApi<T>(api, query);
  const range = `from: "${new Date(start * 1000).toISOString()}", to: "now"`;
  const records = async (filter: string) =>
    (await ask<{ flowTotals: { records: number } }>(`{ flowTotals(${range}, ${filter}) { records } }`))
      .flowTotals.records;

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-query-')));
    await migrate(warehouse);
    await warehouse.exec(insert, { start });
    api = createQueryApi(warehouse);
  });
  after(() => warehouse.close());

  it('filters by IPv4 and IPv6 address and CIDR', async () => {
    assert.equal(await records('filter: [{ sourceIp: ["10.0.0.0/27"] }]'), 32);
    assert.equal(await records('filter: [{ sourceIp: ["10.0.0.5"] }]'), 1);
    assert.equal(await records('filter: [{ ip: ["2001:db8::/64"] }]'), 20);
    assert.equal(await records('filter: [{ ip: ["10.1.0.1"] }]'), 80);
  });

  it('combines allow and deny filters, ports, actions and workloads', async () => {
    assert.equal(await records('filter: [{ destPort: [443], action: ["deny"] }]'), 20);
    assert.equal(
      await records('filter: [{ vrouter: ["compute-2"] }, { sourceNamespace: ["payments"] }]'),
      70,
    );
    assert.equal(await records('exclude: [{ namespace: ["payments"] }]'), 50);
    assert.equal(await records('filter: [{ sourceWorkload: ["pod-0"] }]'), 27);
  });

  it('groups by addresses printed as people write them', async () => {
    const data = await ask<{ flowGroups: { table: string; groups: { keys: string[]; bytes: number }[] } }>(
      `{ flowGroups(${range}, by: [SOURCE_IP], top: 2, filter: [{ sourceIp: ["10.0.0.1", "2001:db8::70"] }]) { table groups { keys bytes } } }`,
    );
    assert.equal(data.flowGroups.table, 'flows');
    assert.deepEqual(data.flowGroups.groups.map((g) => g.keys[0]).sort(), ['10.0.0.1', '2001:db8::70']);
  });

  it('gives series whose points add up to the totals, per group', async () => {
    const data = await ask<{
      flowSeries: { step: number; series: { keys: string[]; points: { value: number }[] }[] };
    }>(
      `{ flowSeries(${range}, by: [VROUTER], metric: BYTES, step: "1m") { step series { keys points { value } } } }`,
    );
    assert.equal(data.flowSeries.step, 60);
    const sums = Object.fromEntries(
      data.flowSeries.series.map((s) => [s.keys[0], s.points.reduce((n, p) => n + p.value, 0)]),
    );
    assert.deepEqual(sums, { 'compute-1': 4000, 'compute-2': 4000 });
    assert.equal(data.flowSeries.series.find((s) => s.keys[0] === 'compute-1')?.points.length, 2);
  });

  it('pages the same flows whether or not a cursor is asked, and a page asks for nothing else', async () => {
    type Page = {
      flows: {
        edges: { cursor?: string; node: { sourceIp: string; destPort: number } }[];
        pageInfo: { hasNextPage: boolean; endCursor?: string };
      };
    };
    const page = (after: string, fields: { edge: string; pageInfo: string }) =>
      ask<Page>(
        `{ flows(${range}, filter: [{ action: ["deny"] }], first: 8${after}) {
          edges { ${fields.edge} node { sourceIp destPort } } pageInfo { hasNextPage ${fields.pageInfo} } } }`,
      );
    const bare = await page('', { edge: '', pageInfo: '' });
    const first = await page('', { edge: 'cursor', pageInfo: 'endCursor' });
    assert.deepEqual(
      bare.flows.edges.map((e) => e.node),
      first.flows.edges.map((e) => e.node),
    );
    assert.equal(bare.flows.edges.length, 8);
    assert.ok(first.flows.edges.every((e) => e.cursor !== ''));
    const next = await page(`, after: "${first.flows.pageInfo.endCursor}"`, {
      edge: '',
      pageInfo: 'endCursor',
    });
    const third = await page(`, after: "${next.flows.pageInfo.endCursor}"`, { edge: '', pageInfo: '' });
    const all = [first, next, third].flatMap((p) =>
      p.flows.edges.map((e) => `${e.node.sourceIp} ${e.node.destPort}`),
    );
    assert.equal(new Set(all).size, 20, 'the 20 denied flows, none twice');
    assert.equal(third.flows.pageInfo.hasNextPage, false);

    const count = await ask<{ flows: { pageInfo: { hasNextPage: boolean } } }>(
      `{ flows(${range}, first: 79) { pageInfo { hasNextPage } } }`,
    );
    assert.equal(count.flows.pageInfo.hasNextPage, true);
  });
});
