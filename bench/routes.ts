/**
 * Routes query benchmark, run by hand (`npm run build && node dist/bench/routes.js [events] [vrfs]`):
 * stores route events spread over the last day through the writer into chdb, then prints how long
 * each routes query takes through the GraphQL API (median of several runs, after one warm-up): read
 * from the events alone, then again once a snapshot of the table 6 hours ago is there (the writer's
 * pass takes one every --snapshot-interval), timed too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBusBatch } from '../common/bus/envelope.js';
import { BatchWriter } from '../writer/batch-writer.js';
import { writerRoute } from '../writer/routes.js';
import { encodeFields, RouteBatchSchema } from '../common/proto.js';
import { migrate } from '../common/schema/migrate.js';
import { snapshotRoutes } from '../common/schema/snapshots.js';
import { ChdbWarehouse } from '../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../query/index.js';
import { createRng, type Rng } from '../simulator/index.js';
import { percentile } from './timing.js';
import { ask } from '../harness/query-api-client.js';

const events = Number(process.argv[2] ?? 50_000);
const vrfs = Number(process.argv[3] ?? 4);
const runs = 7;
const batchSize = 100;
const dayUs = 86_400e6;
const vrfName = (v: number): string => `default-domain:bench:vn${v}:vn${v}`;

/** Path j of a VRF, one prefix each: mostly IPv4 host routes, some /24 subnets, some IPv6, one default route. */
function prefixOf(v: number, j: number): { prefix: string; family: string; protocol: string } {
  if (j === 0) return { prefix: '0.0.0.0/0', family: 'inet', protocol: 'bgp' };
  const kind = j % 10;
  if (kind < 6)
    return { prefix: `10.${v}.${(j >> 8) & 255}.${j & 255}/32`, family: 'inet', protocol: 'xmpp' };
  if (kind < 8)
    return { prefix: `10.${100 + v * 16 + (j >> 8)}.${j & 255}.0/24`, family: 'inet', protocol: 'bgp' };
  return { prefix: `2001:db8:${v}:${j.toString(16)}::/64`, family: 'inet6', protocol: 'xmpp' };
}

function nextHops(rng: Rng) {
  return Array.from({ length: rng.int(1, 3) }, () => ({
    tunnel_type: 'MPLSoUDP',
    destination: Buffer.from([192, 168, rng.int(0, 3), rng.int(1, 254)]),
    label: rng.int(16, 100_000),
    interface: '',
  }));
}

/** Events in time order over the last day; a path's first event adds it, later ones re-add (80%) or delete it. */
function routeEvents(): Record<string, unknown>[] {
  const rng = createRng(7);
  const pathsPerVrf = Math.max(1, Math.floor(events / vrfs / 4));
  const seen = new Set<string>();
  const start = Date.now() * 1000 - dayUs;
  return Array.from({ length: events }, (_, i) => {
    const v = rng.int(0, vrfs - 1);
    const j = rng.int(0, pathsPerVrf - 1);
    const { prefix, family, protocol } = prefixOf(v, j);
    const path = `${v} ${j}`;
    const op = seen.has(path) && rng.next() < 0.2 ? 2 : 1;
    if (op === 1) seen.add(path);
    else seen.delete(path);
    return {
      routing_instance: vrfName(v),
      family,
      prefix,
      op,
      next_hops: op === 1 ? nextHops(rng) : [],
      protocol,
      peer: protocol === 'bgp' ? 'gateway' : `compute-${j % 16}`,
      local_pref: 100,
      timestamp: Math.round(start + (i * dayUs) / events),
    };
  });
}

async function store(warehouse: ChdbWarehouse): Promise<void> {
  const records = routeEvents();
  const batches = [];
  for (let seq = 0; seq * batchSize < records.length; seq++) {
    const chunk = records.slice(seq * batchSize, (seq + 1) * batchSize);
    const payload = encodeFields(RouteBatchSchema, { records: chunk });
    const header = {
      generator: 'bench:Control:contrail-control:0',
      epoch: 1,
      seq,
      // Received as sent: the table at an instant is read on the collector's clock.
      receivedAt: Number(chunk.at(-1)!['timestamp']),
    };
    batches.push({ key: 'bench', value: encodeBusBatch(header, 'routes', payload) });
  }
  const writer = new BatchWriter(warehouse, writerRoute('routes'), {
    maxBytes: 0,
    lingerMs: 0,
    dedupWindowHours: 1,
  });
  const started = performance.now();
  await writer.write(batches);
  console.log(
    `stored ${records.length} route events in ${vrfs} VRFs in ${Math.round(performance.now() - started)} ms`,
  );
}

/** Median and slowest of `runs` answers, after one warm-up; `size` tells what came back. */
async function time(
  api: QueryApi,
  label: string,
  query: string,
  size: (data: unknown) => string,
): Promise<void> {
  const data = await ask(api, query);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await ask(api, query);
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  const median = percentile(ms, 0.5).toFixed(1);
  console.log(
    `${label.padEnd(44)} median ${median.padStart(7)} ms  max ${ms.at(-1)!.toFixed(1).padStart(7)} ms  ${size(data)}`,
  );
}

/** What came back, found at `path`: a row count, or the value itself. */
const shape = (data: unknown, path: string[]): string => {
  let value: unknown = data;
  for (const key of path) value = (value as Record<string, unknown> | null)?.[key];
  if (Array.isArray(value)) return `${value.length} rows`;
  return value === null || value === undefined ? 'null' : JSON.stringify(value);
};

const edges = ['routes', 'edges'];
/** [label, query, where its size is]; $vrf and $after are filled in. */
const cases: [string, string, string[]][] = [
  ['routes first 100, now', '{ routes(vrf: $vrf) { edges { node { prefix nextHops { label } } } } }', edges],
  ['routes first 1000, now', '{ routes(vrf: $vrf, first: 1000) { edges { node { prefix } } } }', edges],
  [
    'routes first 100, at now-12h',
    '{ routes(vrf: $vrf, at: "now-12h") { edges { node { prefix } } } }',
    edges,
  ],
  [
    'routes next page after 1000',
    '{ routes(vrf: $vrf, after: $after) { edges { node { prefix } } } }',
    edges,
  ],
  [
    'routes prefix 10.0.1.0/24',
    '{ routes(vrf: $vrf, prefix: "10.0.1.0/24") { edges { node { prefix } } } }',
    edges,
  ],
  [
    'routeLookup 10.0.1.5',
    '{ routeLookup(vrf: $vrf, address: "10.0.1.5") { prefix } }',
    ['routeLookup', 'prefix'],
  ],
  [
    'routeLookup 10.100.6.77',
    '{ routeLookup(vrf: $vrf, address: "10.100.6.77") { prefix } }',
    ['routeLookup', 'prefix'],
  ],
  [
    'routeLookup 2001:db8:0:8::1',
    '{ routeLookup(vrf: $vrf, address: "2001:db8:0:8::1") { prefix } }',
    ['routeLookup', 'prefix'],
  ],
  [
    'routeLookup, unknown VRF (fixed cost)',
    '{ routeLookup(vrf: "none", address: "10.0.1.5") { prefix } }',
    ['routeLookup'],
  ],
  [
    'routeHistory 10.0.0.1/32',
    '{ routeHistory(vrf: $vrf, prefix: "10.0.0.1/32") { op time } }',
    ['routeHistory'],
  ],
  [
    'routeCounts last day, auto step, all VRFs',
    '{ routeCounts(from: "now-1d") { vrf step points { value } } }',
    ['routeCounts'],
  ],
  [
    'routeCounts last day, step 1m, all VRFs',
    '{ routeCounts(from: "now-1d", step: "1m") { vrf points { value } } }',
    ['routeCounts'],
  ],
  [
    'routeCounts last day, one VRF',
    '{ routeCounts(from: "now-1d", vrf: [$vrf]) { vrf points { value } } }',
    ['routeCounts'],
  ],
];

const dataDir = mkdtempSync(join(tmpdir(), 'fs-bench-routes-'));
const warehouse = new ChdbWarehouse(dataDir);
try {
  await migrate(warehouse);
  await store(warehouse);
  const api = createQueryApi(warehouse);
  const vrf = JSON.stringify(vrfName(0));
  const first = await ask<{ routes: { pageInfo: { endCursor: string } } }>(
    api,
    `{ routes(vrf: ${vrf}, first: 1000) { pageInfo { endCursor } } }`,
  );
  const after = JSON.stringify(first.routes.pageInfo.endCursor);
  const timeAll = async () => {
    for (const [label, query, path] of cases) {
      await time(api, label, query.replace('$vrf', vrf).replace('$after', after), (data) =>
        shape(data, path),
      );
    }
  };
  await timeAll();
  // As in a steady state, each event stored when it was received: newer than the snapshot's cutoff
  // are only those received after the snapshot.
  await warehouse.exec(
    'ALTER TABLE routes UPDATE stored_at = received_at WHERE 1 SETTINGS mutations_sync = 2',
  );
  const started = performance.now();
  await snapshotRoutes(warehouse, Date.now() * 1000 - dayUs / 4);
  const [taken] = await warehouse.query<{ n: string }>('SELECT count() AS n FROM route_snapshots');
  console.log(
    `snapshot of ${taken?.n} paths 6h ago took ${Math.round(performance.now() - started)} ms; again:`,
  );
  await timeAll();
} finally {
  await warehouse.close();
  rmSync(dataDir, { recursive: true, force: true });
}
