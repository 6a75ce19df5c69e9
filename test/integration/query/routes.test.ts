import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchWriter } from '../../../writer/batch-writer.js';
import { writerRoute } from '../../../writer/routes.js';
import { GeneratorEventType } from '../../../common/proto.js';
import { migrate } from '../../../common/schema/migrate.js';
import { snapshotPass, snapshotRoutes } from '../../../common/schema/snapshots.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';
import { busMessage } from '../../../harness/bus-records.js';
import { ask as askApi, post as postApi } from '../../../harness/query-api-client.js';

const ADD = 1;
const DELETE = 2;
const vrfA = 'default-domain:k8s:pod-network:pod-network';
const vrfB = 'default-domain:k8s:service-network:service-network';
const agent = 'compute-1:Compute:contrail-vrouter-agent:0';
const control = 'control-1:Control:contrail-control:0';

/** t0: a 10-minute boundary over an hour ago, so 5-minute steps line up with the events below. */
const t0 = (Math.floor(Date.now() / 600e3) * 600 - 3600) * 1e6;
const minutes = (n: number): number => t0 + n * 60e6;
const iso = (us: number): string => `${new Date(us / 1000).toISOString().slice(0, 19)}.000000Z`;

interface Hop {
  to?: string;
  label?: number;
  tunnel?: string;
  interface?: string;
}

interface Event {
  at: number;
  vrf?: string;
  prefix: string;
  op?: number;
  protocol?: string;
  peer?: string;
  hops?: Hop[];
  family?: string;
  localPref?: number;
  asPath?: string;
  communities?: string[];
}

const address = (text: string): Buffer =>
  isIPv4(text) ? Buffer.from(text.split('.').map(Number)) : Buffer.from(text.replace(/:/g, ''), 'hex');

function record(e: Event) {
  return {
    routing_instance: e.vrf ?? vrfA,
    family: e.family ?? (e.prefix.includes(':') ? 'inet6' : 'inet'),
    prefix: e.prefix,
    op: e.op ?? ADD,
    next_hops: (e.hops ?? []).map((h) => ({
      tunnel_type: h.tunnel ?? (h.to ? 'MPLSoUDP' : ''),
      destination: h.to ? address(h.to) : Buffer.alloc(0),
      label: h.label ?? 0,
      interface: h.interface ?? '',
    })),
    protocol: e.protocol ?? 'xmpp',
    peer: e.peer ?? 'compute-1',
    local_pref: e.localPref ?? 100,
    med: 0,
    as_path: e.asPath ?? '',
    communities: e.communities ?? [],
    origin_vn: e.vrf ?? vrfA,
    timestamp: e.at,
  };
}

const hop = (to: string, label: number): Hop => ({ to, label });
// 2001:db8::1 written out, since the helper above reads IPv6 as plain hex.
const gw6 = '2001:0db8:0000:0000:0000:0000:0000:0001';

/** The fabric's story: the table at t0+1m, then a delete, a replacement, a second path, re-adds. */
const batches: { generator: string; events: Event[] }[] = [
  {
    generator: control,
    events: [
      { at: minutes(-30), vrf: vrfB, prefix: '10.9.0.0/16', hops: [hop('192.168.0.9', 9)] },
      {
        at: minutes(-30),
        vrf: vrfB,
        prefix: '00:11:22:33:44:55,10.9.0.5/32',
        family: 'evpn',
        hops: [hop('192.168.0.9', 5001)],
      },
    ],
  },
  {
    generator: agent,
    events: [
      { at: t0, prefix: '10.1.0.0/24', hops: [hop('192.168.0.11', 20)] },
      {
        at: t0,
        prefix: '10.1.0.5/32',
        peer: 'compute-2',
        hops: [hop('192.168.0.12', 30), hop('192.168.0.13', 31)],
      },
      { at: t0, prefix: '10.2.0.0/16', protocol: 'static', peer: 'config', hops: [{ interface: 'vhost0' }] },
      { at: t0, prefix: '9.9.9.0/24', peer: 'compute-3', hops: [hop('192.168.0.14', 40)] },
      { at: t0, prefix: '2001:db8:1::/48', hops: [hop('192.168.0.11', 21)] },
    ],
  },
  {
    generator: control,
    events: [
      {
        at: t0,
        prefix: '0.0.0.0/0',
        protocol: 'bgp',
        peer: 'gateway',
        hops: [{ to: '192.168.0.1', label: 16, tunnel: 'MPLSoGRE' }],
        localPref: 200,
        asPath: '64512 65000',
        communities: ['64512:100'],
      },
      { at: t0, prefix: '2001:db8::/32', protocol: 'bgp', peer: 'gateway', hops: [{ to: gw6, label: 17 }] },
    ],
  },
  {
    generator: agent,
    events: [
      { at: minutes(5), prefix: '9.9.9.0/24', peer: 'compute-3', hops: [hop('192.168.0.14', 40)] },
      { at: minutes(10), prefix: '10.2.0.0/16', op: DELETE, protocol: 'static', peer: 'config' },
      { at: minutes(10), prefix: '10.1.0.0/24', hops: [hop('192.168.0.21', 41)] },
      { at: minutes(10), prefix: '2001:DB8:1:0::/48', hops: [hop('192.168.0.21', 22)] },
      { at: minutes(10), prefix: '172.16.0.0/12', op: DELETE, protocol: 'static', peer: 'config' },
    ],
  },
  {
    generator: control,
    events: [
      {
        at: minutes(12),
        prefix: '10.1.0.0/24',
        protocol: 'bgp',
        peer: 'gateway',
        hops: [hop('192.168.0.1', 18)],
      },
    ],
  },
];

interface RouteNode {
  prefix: string;
  protocol: string;
  peer: string;
  since: string;
  nextHops: { tunnelType: string; destination: string | null; label: number; interface: string }[];
}

interface RoutesPage {
  routes: {
    at: string;
    edges: { cursor: string; node: RouteNode }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

const node = 'prefix protocol peer since nextHops { tunnelType destination label interface }';

describe('routes API on the embedded warehouse, fed through the writer', () => {
  let warehouse: ChdbWarehouse;
  let api: QueryApi;

  const post = (query: string) => postApi(api, query);
  const ask = <T>(query: string) => askApi<T>(api, query);
  /** The one error a bad argument gives: a BAD_USER_INPUT naming the argument. */
  const refused = async (query: string, argument: string) => {
    const body = await post(query);
    assert.equal(body.errors?.length, 1, JSON.stringify(body));
    assert.equal(body.errors[0]!.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(body.errors));
    assert.match(body.errors[0]!.message, new RegExp(`^${argument}\\b`));
  };
  const table = async (vrf: string, extra = '') =>
    (await ask<RoutesPage>(`{ routes(vrf: "${vrf}"${extra}) { at edges { node { ${node} } } } }`)).routes;
  const listed = (page: RoutesPage['routes']) => page.edges.map((e) => `${e.node.prefix} ${e.node.protocol}`);
  const lookup = async (address: string, at = '') =>
    (
      await ask<{ routeLookup: { prefix: string; paths: RouteNode[] } | null }>(
        `{ routeLookup(vrf: "${vrfA}", address: "${address}"${at}) { prefix paths { ${node} } } }`,
      )
    ).routeLookup;

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-routes-')));
    await migrate(warehouse);
    const writer = new BatchWriter(warehouse, writerRoute('routes'), {
      maxBytes: 1 << 20,
      lingerMs: 0,
      dedupWindowHours: 24,
    });
    await writer.write(
      batches.map(({ generator, events }, seq) => {
        const receivedAt = Math.max(...events.map((e) => e.at)); // on the collector clock, at once
        return busMessage('routes', { generator, epoch: 1, seq, receivedAt }, events.map(record));
      }),
    );
    api = createQueryApi(warehouse);
  });
  after(() => warehouse.close());

  it('gives the table as it stood at a past instant, ordered by prefix numerically', async () => {
    const then = await table(vrfA, `, at: "${iso(minutes(1))}"`);
    assert.equal(then.at, iso(minutes(1)));
    assert.deepEqual(listed(then), [
      '0.0.0.0/0 bgp',
      '9.9.9.0/24 xmpp',
      '10.1.0.0/24 xmpp',
      '10.1.0.5/32 xmpp',
      '10.2.0.0/16 static',
      '2001:db8::/32 bgp',
      '2001:db8:1::/48 xmpp',
    ]);
    const local = then.edges[4]!.node;
    assert.deepEqual(local.nextHops, [{ tunnelType: '', destination: null, label: 0, interface: 'vhost0' }]);
    assert.equal(then.edges[5]!.node.nextHops[0]!.destination, '2001:db8::1');
  });

  it('gives the table now: the deleted route gone, a replaced path with its new next hops, a second path', async () => {
    const now = await table(vrfA);
    assert.deepEqual(listed(now), [
      '0.0.0.0/0 bgp',
      '9.9.9.0/24 xmpp',
      '10.1.0.0/24 bgp',
      '10.1.0.0/24 xmpp',
      '10.1.0.5/32 xmpp',
      '2001:db8::/32 bgp',
      '2001:db8:1::/48 xmpp',
    ]);
    const replaced = now.edges[3]!.node;
    assert.deepEqual(replaced.nextHops, [
      { tunnelType: 'MPLSoUDP', destination: '192.168.0.21', label: 41, interface: '' },
    ]);
    assert.equal(replaced.since, iso(minutes(10)));
    // Written as 2001:DB8:1:0::/48, it is the same path as 2001:db8:1::/48, now with its new next hop.
    assert.equal(now.edges[6]!.node.nextHops[0]!.label, 22);
    // A re-add makes the path's attributes current again: since moves to it.
    assert.equal(now.edges[1]!.node.since, iso(minutes(5)));
  });

  it('lists ECMP next hops and the attributes of a path', async () => {
    const data = await ask<{
      routes: { edges: { node: RouteNode & { localPref: number; asPath: string; communities: string[] } }[] };
    }>(
      `{ routes(vrf: "${vrfA}", prefix: "0.0.0.0/0", first: 2) { edges { node { ${node} localPref asPath communities } } } }`,
    );
    const [defaultRoute, next] = data.routes.edges.map((e) => e.node);
    assert.deepEqual(
      {
        localPref: defaultRoute!.localPref,
        asPath: defaultRoute!.asPath,
        communities: defaultRoute!.communities,
      },
      { localPref: 200, asPath: '64512 65000', communities: ['64512:100'] },
    );
    assert.equal(defaultRoute!.nextHops[0]!.tunnelType, 'MPLSoGRE');
    assert.equal(next!.prefix, '9.9.9.0/24');
    const ecmp = await lookup('10.1.0.5');
    assert.deepEqual(
      ecmp?.paths[0]?.nextHops.map((h) => `${h.destination} ${h.label}`),
      ['192.168.0.12 30', '192.168.0.13 31'],
    );
  });

  it('matches the longest prefix: /32 over /24 over 0/0, all paths of the match', async () => {
    assert.equal((await lookup('10.1.0.5'))?.prefix, '10.1.0.5/32');
    const slash24 = await lookup('10.1.0.6');
    assert.equal(slash24?.prefix, '10.1.0.0/24');
    assert.deepEqual(
      slash24?.paths.map((p) => p.protocol),
      ['bgp', 'xmpp'],
    );
    assert.equal((await lookup('8.8.8.8'))?.prefix, '0.0.0.0/0');
    // 10.2.0.0/16 was there before its delete, and the default route answers after it.
    assert.equal((await lookup('10.2.0.1', `, at: "${iso(minutes(1))}"`))?.prefix, '10.2.0.0/16');
    assert.equal((await lookup('10.2.0.1'))?.prefix, '0.0.0.0/0');
    assert.equal(await lookup('10.1.0.6', `, at: "${iso(minutes(-1))}"`), null);
  });

  it('matches the longest IPv6 prefix, and IPv4 never matches IPv6 routes', async () => {
    assert.equal((await lookup('2001:db8:1::5'))?.prefix, '2001:db8:1::/48');
    assert.equal((await lookup('2001:db8:2::1'))?.prefix, '2001:db8::/32');
    assert.equal(await lookup('2001:db9::1'), null);
    assert.equal(await lookup('::ffff:10.9.9.9'), null);
  });

  it('filters by a CIDR, IPv4 or IPv6, keeping the routes inside it', async () => {
    assert.deepEqual(listed(await table(vrfA, ', prefix: "10.0.0.0/8"')), [
      '10.1.0.0/24 bgp',
      '10.1.0.0/24 xmpp',
      '10.1.0.5/32 xmpp',
    ]);
    assert.deepEqual(listed(await table(vrfA, ', prefix: "10.1.0.0/25"')), ['10.1.0.5/32 xmpp']);
    assert.deepEqual(listed(await table(vrfA, ', prefix: "2001:db8::/33"')), ['2001:db8:1::/48 xmpp']);
    assert.equal((await table(vrfA, ', prefix: "0.0.0.0/0"')).edges.length, 5);
    assert.deepEqual(listed(await table(vrfB)), ['10.9.0.0/16 xmpp', '00:11:22:33:44:55,10.9.0.5/32 xmpp']);
  });

  it('pages through the table, each route once, on the instant of the first page', async () => {
    const all = listed(await table(vrfA));
    const seen: string[] = [];
    let after = '';
    let at = '';
    for (let page = 0; page < 10; page++) {
      const data = await ask<RoutesPage>(
        `{ routes(vrf: "${vrfA}", first: 3${after}) { at edges { node { ${node} } } pageInfo { hasNextPage endCursor } } }`,
      );
      seen.push(...listed(data.routes));
      at ||= data.routes.at;
      assert.equal(data.routes.at, at);
      if (!data.routes.pageInfo.hasNextPage) break;
      after = `, after: "${data.routes.pageInfo.endCursor}"`;
    }
    assert.deepEqual(seen, all);
  });

  it('gives the events of a prefix in time order, whatever way the sender wrote it', async () => {
    type Events = {
      routeHistory: { time: string; op: string; protocol: string; generator: string; prefix: string }[];
    };
    const history = async (prefix: string, extra = '') =>
      (
        await ask<Events>(
          `{ routeHistory(vrf: "${vrfA}", prefix: "${prefix}"${extra}) { time op protocol generator prefix } }`,
        )
      ).routeHistory;
    assert.deepEqual(
      (await history('10.1.0.0/24')).map((e) => [e.time, e.op, e.protocol, e.generator]),
      [
        [iso(t0), 'ADD', 'xmpp', agent],
        [iso(minutes(10)), 'ADD', 'xmpp', agent],
        [iso(minutes(12)), 'ADD', 'bgp', control],
      ],
    );
    assert.deepEqual(
      (await history('10.2.0.0/16')).map((e) => e.op),
      ['ADD', 'DELETE'],
    );
    assert.deepEqual(
      (await history('2001:db8:1::/48')).map((e) => e.prefix),
      ['2001:db8:1::/48', '2001:db8:1::/48'],
    );
    assert.equal(
      (await history('10.1.0.0/24', `, from: "${iso(minutes(5))}", first: 1`))[0]?.time,
      iso(minutes(10)),
    );
    const evpn = await ask<Events>(
      `{ routeHistory(vrf: "${vrfB}", prefix: "00:11:22:33:44:55,10.9.0.5/32") { time op protocol generator prefix } }`,
    );
    assert.equal(evpn.routeHistory.length, 1);
  });

  it('counts routes per VRF and generator at each step: re-adds not counted twice, routes from before `from` counted', async () => {
    type Counts = {
      routeCounts: {
        vrf: string;
        generator: string;
        step: number;
        points: { time: string; value: number }[];
      }[];
    };
    const counts = async (from: number, to: number) =>
      (
        await ask<Counts>(
          `{ routeCounts(from: "${iso(from)}", to: "${iso(to)}", step: "5m") { vrf generator step points { time value } } }`,
        )
      ).routeCounts;
    const series = await counts(minutes(-5), minutes(15));
    assert.deepEqual(
      series.map((s) => [s.vrf, s.generator, s.step, s.points.map((p) => p.value)]),
      [
        [vrfA, agent, 300, [0, 5, 5, 4, 4]],
        [vrfA, control, 300, [0, 2, 2, 2, 3]],
        [vrfB, control, 300, [2, 2, 2, 2, 2]],
      ],
    );
    assert.deepEqual(
      series[0]!.points.map((p) => p.time),
      [-5, 0, 5, 10, 15].map((m) => iso(minutes(m))),
    );
    const later = await counts(minutes(2), minutes(15));
    assert.deepEqual(
      later.map((s) => s.points.map((p) => p.value)),
      [
        [5, 4, 4],
        [2, 2, 3],
        [2, 2, 2],
      ],
    );
    // A range ending between two multiples ends with the count at its end: the step under way.
    const partial = await counts(minutes(-5), minutes(13));
    assert.deepEqual(
      partial[1]!.points.map((p) => [p.time, p.value]),
      [
        [-5, 0],
        [0, 2],
        [5, 2],
        [10, 2],
        [13, 3],
      ].map(([m, value]) => [iso(minutes(m!)), value]),
    );
    const one = await ask<Counts>(
      `{ routeCounts(from: "${iso(t0)}", vrf: ["${vrfB}"]) { vrf step points { value } } }`,
    );
    assert.deepEqual(
      one.routeCounts.map((s) => s.vrf),
      [vrfB],
    );
    assert.ok(one.routeCounts[0]!.points.every((p) => p.value === 2));
  });

  it('refuses bad arguments with an error naming them', async () => {
    await refused(`{ routeLookup(vrf: "${vrfA}", address: "10.1.0.300") { prefix } }`, 'address');
    await refused(`{ routeLookup(vrf: "${vrfA}", address: "10.1.0.0/24") { prefix } }`, 'address');
    await refused(`{ routes(vrf: "${vrfA}", prefix: "10.0.0.0/33") { at } }`, 'prefix');
    await refused(`{ routes(vrf: "${vrfA}", prefix: "10.0.0.0") { at } }`, 'prefix');
    await refused(`{ routes(vrf: "${vrfA}", prefix: "bogus") { at } }`, 'prefix');
    await refused(`{ routeHistory(vrf: "${vrfA}", prefix: "10.1.0/24") { op } }`, 'prefix');
    await refused(`{ routes(vrf: "${vrfA}", at: "yesterday") { at } }`, 'at');
    await refused(`{ routes(vrf: "${vrfA}", after: "nope") { at } }`, 'after');
    await refused(`{ routes(vrf: "${vrfA}", first: 0) { at } }`, 'first');
    await refused(
      `{ routeHistory(vrf: "${vrfA}", prefix: "10.1.0.0/24", from: "now-1h", to: "now-2h") { op } }`,
      'from',
    );
    await refused(`{ routeCounts(from: "now-1h", to: "now-2h") { vrf } }`, 'from');
    await refused(`{ routeCounts(from: "now-1h", step: "1s") { vrf } }`, 'step');
  });
  it('keeps the table of each control node apart: a path one of them withdrew is still listed from the other', async () => {
    const vrfC = 'default-domain:admin:blue:blue';
    const control2 = 'control-2:Control:contrail-control:0';
    const route = (op: number) =>
      record({ at: minutes(1), vrf: vrfC, prefix: '10.7.0.0/16', op, hops: [hop('192.168.0.7', 7)] });
    const writer = new BatchWriter(warehouse, writerRoute('routes'), {
      maxBytes: 1 << 20,
      lingerMs: 0,
      dedupWindowHours: 24,
    });
    const batch = (generator: string, seq: number, records: object[], at: number) =>
      busMessage('routes', { generator, epoch: 2, seq, receivedAt: at }, records);
    await writer.write([
      batch(control, 100, [route(ADD)], minutes(1)),
      batch(control2, 101, [route(ADD)], minutes(1)),
      batch(control, 102, [{ ...route(DELETE), timestamp: minutes(2) }], minutes(2)),
    ]);
    type Listing = { routes: { edges: { node: { prefix: string; generator: string } }[] } };
    const holders = async (extra = '') =>
      (
        await ask<Listing>(`{ routes(vrf: "${vrfC}"${extra}) { edges { node { prefix generator } } } }`)
      ).routes.edges.map((e) => e.node.generator);
    assert.deepEqual(await holders(), [control2]);
    assert.deepEqual(await holders(`, at: "${iso(minutes(1))}"`), [control, control2]);
    assert.deepEqual(await holders(`, generator: "${control}"`), []);
    const found = await ask<{ routeLookup: { paths: { generator: string }[] } | null }>(
      `{ routeLookup(vrf: "${vrfC}", address: "10.7.1.1") { paths { generator } } }`,
    );
    assert.deepEqual(found.routeLookup?.paths, [{ generator: control2 }]);
  });
  it('drops the table of a withdrawn control node from then on, until it resends, in counts too', async () => {
    const vrfD = 'default-domain:admin:green:green';
    const control3 = 'control-3:Control:contrail-control:0';
    const add = record({ at: minutes(1), vrf: vrfD, prefix: '10.8.0.0/16', hops: [hop('192.168.0.8', 8)] });
    const options = { maxBytes: 1 << 20, lingerMs: 0, dedupWindowHours: 24 };
    const routesWriter = new BatchWriter(warehouse, writerRoute('routes'), options);
    const header = { generator: control3, epoch: 3, seq: 1, receivedAt: minutes(1) };
    await routesWriter.write([busMessage('routes', header, [add])]);
    const withdrawal = {
      generator: control3,
      event: GeneratorEventType.WITHDRAWN,
      epoch: 3,
      time: minutes(3),
    };
    await new BatchWriter(warehouse, writerRoute('generators'), options).write([
      busMessage('generator_events', { ...header, seq: 0, receivedAt: minutes(3) }, [withdrawal]),
    ]);
    assert.deepEqual(listed(await table(vrfD, `, at: "${iso(minutes(2))}"`)), ['10.8.0.0/16 xmpp']);
    assert.deepEqual(listed(await table(vrfD)), []);
    await routesWriter.write([busMessage('routes', { ...header, seq: 2, receivedAt: minutes(4) }, [add])]);
    assert.deepEqual(listed(await table(vrfD)), ['10.8.0.0/16 xmpp']);
    const { routeCounts } = await ask<{ routeCounts: { points: { value: number }[] }[] }>(
      `{ routeCounts(from: "${iso(minutes(0))}", to: "${iso(minutes(5))}", step: "1m", vrf: ["${vrfD}"]) { points { value } } }`,
    );
    assert.deepEqual(
      routeCounts.map((series) => series.points.map((p) => p.value)),
      [[0, 1, 1, 0, 1, 1]],
    );
  });
});

describe('routes past the TTL of their events, kept by snapshots', () => {
  const DAY = 86400e6;
  // Whole seconds, as the API prints them.
  const now = Math.floor(Date.now() / 1000) * 1e6;
  const daysAgo = (n: number): number => now - n * DAY;
  const vrf = 'default-domain:admin:red:red';
  const control2 = 'control-2:Control:contrail-control:0';
  /** The instant of the first snapshot: two days back, so instants after it, before now, are asked. */
  const snapshotAt = daysAgo(2);
  const options = { maxBytes: 1 << 20, lingerMs: 0, dedupWindowHours: 24 };
  let warehouse: ChdbWarehouse;
  let api: QueryApi;
  let seq = 0;

  /** Route events of one generator, received (on the collector's clock) when they happened. */
  const send = (generator: string, events: Event[]) =>
    new BatchWriter(warehouse, writerRoute('routes'), options).write(
      events.map((e) =>
        busMessage('routes', { generator, epoch: 1, seq: seq++, receivedAt: e.at }, [record(e)]),
      ),
    );
  const prefixes = async (at: number) =>
    (
      await askApi<RoutesPage>(
        api,
        `{ routes(vrf: "${vrf}", at: "${iso(at)}") { edges { node { ${node} } } } }`,
      )
    ).routes.edges.map((e) => e.node.prefix);
  /** As if time had passed: events received over 31 days ago count as stored then, and the TTLs run. */
  const expireOldEvents = async () => {
    const old = `received_at < fromUnixTimestamp64Micro(${daysAgo(31)}, 'UTC')`;
    await warehouse.exec(
      `ALTER TABLE routes UPDATE stored_at = received_at WHERE ${old} SETTINGS mutations_sync = 2`,
    );
    await warehouse.exec('OPTIMIZE TABLE routes FINAL');
    const [left] = await warehouse.query<{ n: string }>(`SELECT count() AS n FROM routes WHERE ${old}`);
    assert.equal(left?.n, '0', 'the events older than the TTL are gone');
  };

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-route-snapshots-')));
    await migrate(warehouse);
    api = createQueryApi(warehouse);
    await send(control, [
      { at: daysAgo(40), vrf, prefix: '10.0.0.0/24', hops: [hop('192.168.0.1', 1)] },
      { at: daysAgo(40), vrf, prefix: '10.0.1.0/24' },
      { at: daysAgo(40), vrf, prefix: '10.0.2.0/24' },
      { at: daysAgo(35), vrf, prefix: '10.0.1.0/24', op: DELETE },
    ]);
    await send(control2, [{ at: daysAgo(40), vrf, prefix: '10.0.9.0/24' }]);
    await snapshotRoutes(warehouse, snapshotAt);
    // After the snapshot: a delete, an add, and an event received before it that reached the
    // warehouse only now (a writer behind its bus); then control-2 is withdrawn.
    await send(control, [
      { at: daysAgo(1), vrf, prefix: '10.0.3.0/24' },
      { at: daysAgo(0.8), vrf, prefix: '10.0.2.0/24', op: DELETE },
      { at: snapshotAt - 3600e6, vrf, prefix: '10.0.4.0/24' },
    ]);
    await new BatchWriter(warehouse, writerRoute('generators'), options).write([
      busMessage('generator_events', { generator: control2, seq: 0, receivedAt: daysAgo(0.5) }, [
        { generator: control2, event: GeneratorEventType.WITHDRAWN, epoch: 1, time: daysAgo(0.5) },
      ]),
    ]);
    await expireOldEvents();
  });
  after(() => warehouse.close());

  it('answers the table at any instant after the snapshot, the routes added 40 days ago included', async () => {
    assert.deepEqual(await prefixes(daysAgo(1.5)), [
      '10.0.0.0/24',
      '10.0.2.0/24',
      '10.0.4.0/24',
      '10.0.9.0/24',
    ]);
    assert.deepEqual(await prefixes(daysAgo(0.9)), [
      '10.0.0.0/24',
      '10.0.2.0/24',
      '10.0.3.0/24',
      '10.0.4.0/24',
      '10.0.9.0/24',
    ]);
    assert.deepEqual(await prefixes(now), ['10.0.0.0/24', '10.0.3.0/24', '10.0.4.0/24']);
    const { routeLookup } = await askApi<{ routeLookup: { prefix: string; paths: RouteNode[] } | null }>(
      api,
      `{ routeLookup(vrf: "${vrf}", address: "10.0.0.7") { prefix paths { ${node} } } }`,
    );
    assert.equal(routeLookup?.prefix, '10.0.0.0/24');
    assert.equal(routeLookup?.paths[0]?.since, iso(daysAgo(40)));
    assert.deepEqual(routeLookup?.paths[0]?.nextHops[0]?.destination, '192.168.0.1');
  });

  // Hourly points: the add and the delete, 4.8 h apart, then fall between different points whatever
  // the time of day (6-hour points put both in one at some hours, and the 4 was never seen).
  it('counts the routes from before the snapshot at the first point', async () => {
    const { routeCounts } = await askApi<{
      routeCounts: { generator: string; points: { value: number }[] }[];
    }>(
      api,
      `{ routeCounts(from: "${iso(daysAgo(1.5))}", to: "${iso(now)}", step: "1h", vrf: ["${vrf}"]) { generator points { value } } }`,
    );
    const values = Object.fromEntries(routeCounts.map((s) => [s.generator, s.points.map((p) => p.value)]));
    assert.deepEqual(values[control]?.slice(0, 2), [3, 3]);
    assert.equal(values[control]?.at(-1), 3);
    assert.ok(values[control]?.includes(4), `the add before the delete: ${values[control]}`);
    assert.equal(values[control2]?.[0], 1);
    assert.equal(values[control2]?.at(-1), 0);
  });

  it('takes the same snapshot twice without doubling a route', async () => {
    const before = await prefixes(daysAgo(1.5));
    await snapshotRoutes(warehouse, snapshotAt);
    assert.deepEqual(await prefixes(daysAgo(1.5)), before);
  });

  it('chains later snapshots from the earlier one: one per day back to it, and the current one', async () => {
    const sixHours = 6 * 3600e6;
    const taken = await snapshotPass(warehouse, now, sixHours);
    const latest = Math.floor(now / sixHours) * sixHours;
    assert.deepEqual(taken, [latest - DAY, latest]);
    assert.deepEqual(await snapshotPass(warehouse, now, sixHours), [], 'nothing left to take');
    // Read from the latest snapshot alone: the events after the first are expired too.
    await warehouse.exec('ALTER TABLE routes DELETE WHERE 1 SETTINGS mutations_sync = 2');
    assert.deepEqual(await prefixes(now), ['10.0.0.0/24', '10.0.3.0/24', '10.0.4.0/24']);
  });
});
