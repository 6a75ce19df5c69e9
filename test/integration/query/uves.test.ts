import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchWriter } from '../../../writer/batch-writer.js';
import { writerRoute } from '../../../writer/routes.js';
import { GeneratorEventType } from '../../../common/proto.js';
import { migrate } from '../../../common/schema/migrate.js';
import { snapshotPass } from '../../../common/schema/snapshots.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';
import { ask as askApi, post } from '../../../harness/query-api-client.js';
import { busMessage } from '../../../harness/bus-records.js';
import { webInterface } from '../../support/uve-fixtures.js';

const vrouter = (n: number) => `compute-${n}:Compute:contrail-vrouter-agent:0`;
const vn = 'default-domain:k8s-default:k8s-default-pod-network';
const t0 = (Date.now() - 3600e3) * 1000;
const SUM = 1;
const UNION = 2;
const APPEND = 3;

/** The UveVirtualNetworkAgent struct one vRouter sends for the pod network. */
const vnPart = (n: number, extra: object = {}) => ({
  type: 'virtual-network',
  name: vn,
  struct_type: 'UveVirtualNetworkAgent',
  attributes_json: JSON.stringify({
    in_bytes: 100 * n,
    interface_list: [`vmi-${n}`, 'vmi-shared'],
    total_acl_rules: 4,
    vrouter_role: `role-${n}`,
    ...extra,
  }),
  aggregation: { in_bytes: { agg: SUM }, interface_list: { agg: UNION } },
});

describe('UVEs through the writer and the GraphQL API (embedded warehouse)', () => {
  let warehouse: ChdbWarehouse;
  let api: QueryApi;
  let seq = 0;
  const options = { maxBytes: 1 << 20, lingerMs: 0, dedupWindowHours: 24 };
  const send = (generator: string, atUs: number, records: object[]) =>
    new BatchWriter(warehouse, writerRoute('uves'), options).write([
      busMessage('uves', { generator, seq: seq++, receivedAt: atUs }, records),
    ]);
  const event = (generator: string, atUs: number, name: keyof typeof GeneratorEventType) =>
    new BatchWriter(warehouse, writerRoute('generators'), options).write([
      busMessage('generator_events', { generator, seq: 0, receivedAt: atUs }, [
        { generator, event: GeneratorEventType[name], epoch: 1, peer: 'ipv4:127.0.0.1:1', time: atUs },
      ]),
    ]);
  const ask = <T>(query: string) => askApi<T>(api, query);
  const uve = async (type: string, name: string) =>
    (
      await ask<{ uve: { value: Record<string, Record<string, unknown>> } | null }>(
        `{ uve(type: "${type}", name: "${name}") { value } }`,
      )
    ).uve?.value;

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-uves-')));
    await migrate(warehouse);
    api = createQueryApi(warehouse);
    for (const n of [1, 2, 3]) await send(vrouter(n), t0 + n, [vnPart(n)]);
  });
  after(() => warehouse.close());

  it('aggregates a struct across generators by aggtype: sum, union, equal values collapse, others per source', async () => {
    const value = await uve('virtual-network', vn);
    assert.deepEqual(value, {
      UveVirtualNetworkAgent: {
        in_bytes: 600,
        interface_list: ['vmi-1', 'vmi-shared', 'vmi-2', 'vmi-3'],
        total_acl_rules: 4,
        vrouter_role: [1, 2, 3].map((n) => ({ value: `role-${n}`, source: vrouter(n) })),
      },
    });
  });

  it('merges appended lists by their list key', async () => {
    const status = (n: number, state: string) => ({
      type: 'vrouter',
      name: 'compute-1',
      struct_type: 'NodeStatus',
      attributes_json: JSON.stringify({ process_status: [{ module_id: `m${n}`, state }] }),
      aggregation: { process_status: { agg: APPEND, list_key: 'module_id' } },
    });
    await send(vrouter(1), t0 + 10, [status(1, 'Functional')]);
    await send('compute-1:Compute:contrail-vrouter-nodemgr:0', t0 + 11, [status(2, 'Non-Functional')]);
    assert.deepEqual((await uve('vrouter', 'compute-1'))?.NodeStatus, {
      process_status: [
        { module_id: 'm1', state: 'Functional' },
        { module_id: 'm2', state: 'Non-Functional' },
      ],
    });
  });

  it('keeps only the newest part of a generator, and a deleted struct withdraws only that part', async () => {
    await send(vrouter(3), t0 + 20, [vnPart(3, { in_bytes: 1000 })]);
    assert.equal((await uve('virtual-network', vn))?.UveVirtualNetworkAgent?.in_bytes, 1300);
    await send(vrouter(2), t0 + 21, [{ ...vnPart(2), attributes_json: '', deleted: true }]);
    assert.equal((await uve('virtual-network', vn))?.UveVirtualNetworkAgent?.in_bytes, 1100);
  });

  it('drops a withdrawn generator until it resends, and the UVE when its last part is gone', async () => {
    await event(vrouter(3), t0 + 30, 'DISCONNECTED');
    await event(vrouter(3), t0 + 31, 'WITHDRAWN');
    assert.equal((await uve('virtual-network', vn))?.UveVirtualNetworkAgent?.in_bytes, 100);
    const withdrawn = await ask<{ generators: { edges: { node: { name: string; status: string } }[] } }>(
      '{ generators(status: WITHDRAWN) { edges { node { name status } } } }',
    );
    assert.deepEqual(
      withdrawn.generators.edges.map((e) => e.node),
      [{ name: vrouter(3), status: 'WITHDRAWN' }],
    );
    await event(vrouter(3), t0 + 40, 'CONNECTED');
    await send(vrouter(3), t0 + 41, [vnPart(3)]);
    assert.equal((await uve('virtual-network', vn))?.UveVirtualNetworkAgent?.in_bytes, 400);
    for (const n of [1, 3]) await send(vrouter(n), t0 + 50 + n, [{ ...vnPart(n), deleted: true }]);
    assert.equal(await uve('virtual-network', vn), undefined);
  });

  it('pages through generators by name, each once, a status narrowing every page', async () => {
    for (const n of [4, 5, 6, 7]) await event(vrouter(n), t0 + 35, n === 6 ? 'WITHDRAWN' : 'CONNECTED');
    type Page = {
      generators: {
        edges: { cursor: string; node: { name: string; status: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
    const listed = async (filter: string) => {
      const names: string[][] = [];
      let after = '';
      for (let page = 0; page < 10; page++) {
        const { generators } = await ask<Page>(
          `{ generators(first: 2${filter}${after}) { edges { cursor node { name status } } pageInfo { hasNextPage endCursor } } }`,
        );
        names.push(generators.edges.map((e) => e.node.name));
        if (!generators.pageInfo.hasNextPage) return names;
        assert.equal(generators.pageInfo.endCursor, generators.edges.at(-1)?.cursor);
        after = `, after: "${generators.pageInfo.endCursor}"`;
      }
      throw new Error('more than 10 pages of generators');
    };
    assert.deepEqual(await listed(''), [[vrouter(3), vrouter(4)], [vrouter(5), vrouter(6)], [vrouter(7)]]);
    // vrouter(3) has reconnected since its withdrawal.
    assert.deepEqual(await listed(', status: WITHDRAWN'), [[vrouter(6)]]);
    const refused = await post(api, '{ generators(after: "nope") { pageInfo { hasNextPage } } }');
    assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(refused.errors[0]!.message, /^after: "nope" is not a cursor/);
  });

  it('lists types and names by glob, with structs and sources', async () => {
    await send(vrouter(1), t0 + 60, [
      { ...vnPart(1), name: 'default-domain:admin:vn-blue' },
      { ...vnPart(1), name: 'default-domain:admin:vn-red' },
      { ...vnPart(1), name: 'default-domain:demo:vn_x' },
    ]);
    const { uves } = await ask<{ uves: { name: string; structs: string[]; sources: string[] }[] }>(
      '{ uves(type: "virtual-network", match: "default-domain:admin:*") { name structs sources } }',
    );
    assert.deepEqual(
      uves.map((u) => u.name),
      ['default-domain:admin:vn-blue', 'default-domain:admin:vn-red'],
    );
    assert.deepEqual(uves[0]!.sources, [vrouter(1)]);
    const underscore = await ask<{ uves: { name: string }[] }>(
      '{ uves(type: "virtual-network", match: "*:vn?x") { name } }',
    );
    assert.deepEqual(underscore.uves, [{ name: 'default-domain:demo:vn_x' }]);
    const { uveTypes } = await ask<{ uveTypes: { type: string; count: number }[] }>(
      '{ uveTypes { type count } }',
    );
    assert.deepEqual(uveTypes, [
      { type: 'virtual-network', count: 3 },
      { type: 'vrouter', count: 1 },
    ]);
  });

  it('shows each source of a struct next to the aggregate', async () => {
    const data = await ask<{
      uve: {
        structs: { struct: string; sources: { generator: string; attributes: { state?: string } }[] }[];
      };
    }>(
      '{ uve(type: "vrouter", name: "compute-1", structs: ["NodeStatus"]) { structs { struct sources { generator attributes } } } }',
    );
    assert.deepEqual(
      data.uve.structs[0]!.sources.map((s) => s.generator),
      ['compute-1:Compute:contrail-vrouter-agent:0', 'compute-1:Compute:contrail-vrouter-nodemgr:0'],
    );
  });

  it('gives the history of a UVE, oldest first, deletions included, one struct or all', async () => {
    type History = {
      uveHistory: { generator: string; struct: string; deleted: boolean; attributes: unknown }[];
    };
    const range = `from: "${new Date((t0 - 1000) / 1000).toISOString()}", to: "now"`;
    const all = await ask<History>(
      `{ uveHistory(type: "virtual-network", name: "${vn}", ${range}) { generator struct deleted attributes } }`,
    );
    assert.deepEqual(
      all.uveHistory.map((u) => [u.generator, u.deleted]),
      [
        [vrouter(1), false],
        [vrouter(2), false],
        [vrouter(3), false],
        [vrouter(3), false],
        [vrouter(2), true],
        [vrouter(3), false],
        [vrouter(1), true],
        [vrouter(3), true],
      ],
    );
    assert.equal(all.uveHistory[4]!.attributes, null);
    const nodeStatus = await ask<History>(
      `{ uveHistory(type: "vrouter", name: "compute-1", struct: "NodeStatus", ${range}, first: 1) { generator } }`,
    );
    assert.deepEqual(nodeStatus.uveHistory, [{ generator: vrouter(1) }]);
  });
});

describe('UVE and generator state past retention (embedded warehouse)', () => {
  const DAY = 86400e6;
  const now = Math.floor(Date.now() / 1000) * 1e6;
  const daysAgo = (n: number): number => now - n * DAY;
  const options = { maxBytes: 1 << 20, lingerMs: 0, dedupWindowHours: 24 };
  const connected = vrouter(1);
  const gone = vrouter(2);
  const lately = vrouter(3);
  let warehouse: ChdbWarehouse;
  let api: QueryApi;
  let seq = 0;
  const send = (generator: string, atUs: number, records: object[]) =>
    new BatchWriter(warehouse, writerRoute('uves'), options).write([
      busMessage('uves', { generator, seq: seq++, receivedAt: atUs }, records),
    ]);
  const event = (generator: string, atUs: number, name: keyof typeof GeneratorEventType) =>
    new BatchWriter(warehouse, writerRoute('generators'), options).write([
      busMessage('generator_events', { generator, seq: seq++, receivedAt: atUs }, [
        { generator, event: GeneratorEventType[name], epoch: 1, peer: 'ipv4:127.0.0.1:1', time: atUs },
      ]),
    ]);
  const part = (name: string, deleted = false) => ({
    ...vnPart(1),
    name,
    deleted,
    ...(deleted && { attributes_json: '' }),
  });
  const held = async (table: string, columns: string) =>
    (
      await warehouse.query<{ row: string }>(
        `SELECT DISTINCT concat(${columns}) AS row FROM ${table} ORDER BY row`,
      )
    ).map((r) => r.row);

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-uve-retention-')));
    await migrate(warehouse);
    api = createQueryApi(warehouse);
    await event(connected, daysAgo(40), 'CONNECTED');
    await event(gone, daysAgo(45), 'CONNECTED');
    await event(gone, daysAgo(40), 'WITHDRAWN');
    await event(lately, daysAgo(10), 'WITHDRAWN');
    await send(connected, daysAgo(40), [part('vn-live'), webInterface]);
    await send(connected, daysAgo(45), [
      part('vn-deleted-long-ago'),
      { ...webInterface, name: 'vmi-deleted' },
    ]);
    await send(connected, daysAgo(40), [
      part('vn-deleted-long-ago', true),
      { ...webInterface, name: 'vmi-deleted', deleted: true },
    ]);
    await send(connected, daysAgo(20), [part('vn-deleted-lately')]);
    await send(connected, daysAgo(10), [part('vn-deleted-lately', true)]);
    await send(gone, daysAgo(45), [part('vn-of-withdrawn')]);
    await send(lately, daysAgo(20), [part('vn-withdrawn-lately')]);
    // A pass a week and a day on restates the events (their newest copies are over a week old);
    // then, as if they had been stored when received, the originals expire.
    const passStarted = Date.now() * 1000;
    await snapshotPass(warehouse, now + 8 * DAY, 6 * 3600e6);
    await warehouse.exec(
      `ALTER TABLE generator_events UPDATE stored_at = received_at
        WHERE stored_at < fromUnixTimestamp64Micro(${passStarted}, 'UTC') SETTINGS mutations_sync = 2`,
    );
    await warehouse.exec('OPTIMIZE TABLE generator_events FINAL');
  });
  after(() => warehouse.close());

  it('deletes what was dead over 30 days before the pass, every row of it, and keeps the rest', async () => {
    // Dead lately, or withdrawn lately: kept (merges may have folded the rows of one part into one).
    assert.deepEqual(await held('uve_latest', 'name'), [
      webInterface.name,
      'vn-deleted-lately',
      'vn-live',
      'vn-withdrawn-lately',
    ]);
    assert.deepEqual(await held('workloads', 'vmi'), [webInterface.name]);
    const { uves } = await askApi<{ uves: { name: string }[] }>(
      api,
      '{ uves(type: "virtual-network") { name } }',
    );
    assert.deepEqual(uves, [{ name: 'vn-live' }]);
  });

  it('keeps a generator connected long ago and one withdrawn lately, forgets one withdrawn long ago', async () => {
    const [left] = await warehouse.query<{ n: string }>(
      `SELECT count() AS n FROM generator_events WHERE stored_at < fromUnixTimestamp64Micro(${daysAgo(31)}, 'UTC')`,
    );
    assert.equal(left?.n, '0', 'the events stored over 31 days ago are gone');
    const { generators } = await askApi<{
      generators: { edges: { node: { name: string; status: string; connectedAt: string | null } }[] };
    }>(api, '{ generators { edges { node { name status connectedAt } } } }');
    assert.deepEqual(
      generators.edges.map((e) => e.node),
      [
        {
          name: connected,
          status: 'CONNECTED',
          connectedAt: new Date(daysAgo(40) / 1000).toISOString().replace('Z', '000Z'),
        },
        { name: lately, status: 'WITHDRAWN', connectedAt: null },
      ],
    );
    const rows = async () =>
      (await warehouse.query<{ n: string }>('SELECT count() AS n FROM generator_events'))[0]?.n;
    const held = await rows();
    await snapshotPass(warehouse, now, 6 * 3600e6);
    assert.equal(await rows(), held, 'copies stored lately are not restated again');
    // The withdrawal still hides what the generator sent before it.
    assert.equal(
      (
        await askApi<{ uve: unknown }>(
          api,
          '{ uve(type: "virtual-network", name: "vn-withdrawn-lately") { name } }',
        )
      ).uve,
      null,
    );
  });
});
