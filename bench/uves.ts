/**
 * UVE query benchmark, run by hand (`npm run build && node dist/bench/uves.js [uves] [generators]`):
 * stores `uves` virtual-network UVEs, each fed by `generators` vRouters (sum, union and plain
 * attributes), through the writer into chdb, then prints the latency of each UVE query through the
 * GraphQL API (median of several runs after one warm-up) and the write rate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriter } from '../writer/batch-writer.js';
import { writerRoute } from '../writer/routes.js';
import { migrate } from '../common/schema/migrate.js';
import { ChdbWarehouse } from '../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../query/index.js';
import { busMessage } from '../harness/bus-records.js';
import { median } from './timing.js';
import { ask } from '../harness/query-api-client.js';

const uves = Number(process.argv[2] ?? 5000);
const generators = Number(process.argv[3] ?? 8);
const runs = 7;
const vnName = (i: number): string => `default-domain:project-${i % 50}:vn-${i}`;

function part(i: number, g: number): object {
  return {
    type: 'virtual-network',
    name: vnName(i),
    struct_type: 'UveVirtualNetworkAgent',
    attributes_json: JSON.stringify({
      in_bytes: i * g,
      out_bytes: i + g,
      interface_list: [`vmi-${i}-${g}`, `vmi-${i}-shared`],
      total_acl_rules: 12,
    }),
    aggregation: { in_bytes: { agg: 1 }, out_bytes: { agg: 1 }, interface_list: { agg: 2 } },
  };
}

async function medianMs(api: QueryApi, query: string): Promise<number> {
  const once = async () => {
    const started = performance.now();
    await ask(api, query);
    return performance.now() - started;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  return median(times);
}

const dir = mkdtempSync(join(tmpdir(), 'fs-bench-uves-'));
const warehouse = new ChdbWarehouse(dir);
try {
  await migrate(warehouse);
  const writer = new BatchWriter(warehouse, writerRoute('uves'), {
    maxBytes: 0,
    lingerMs: 0,
    dedupWindowHours: 1,
  });
  const started = performance.now();
  for (let g = 0; g < generators; g++) {
    const generator = `compute-${g}:Compute:contrail-vrouter-agent:0`;
    const records = Array.from({ length: uves }, (_, i) => part(i, g));
    await writer.write([busMessage('uves', { generator, seq: g, receivedAt: Date.now() * 1000 }, records)]);
  }
  const writeMs = performance.now() - started;
  console.log(
    `${uves * generators} UVE parts (${uves} UVEs × ${generators} generators) written in ${writeMs.toFixed(0)} ms: ${Math.round((uves * generators * 1000) / writeMs)} parts/s`,
  );
  const api = createQueryApi(warehouse);
  const queries: [string, string][] = [
    ['uve (one UVE, aggregated)', `{ uve(type: "virtual-network", name: "${vnName(uves >> 1)}") { value } }`],
    [
      'uves (glob, one project)',
      '{ uves(type: "virtual-network", match: "default-domain:project-7:*") { name } }',
    ],
    ['uves (all names)', `{ uves(type: "virtual-network", first: ${Math.min(uves, 10_000)}) { name } }`],
    ['uveTypes', '{ uveTypes { type count } }'],
    ['generators', '{ generators(first: 1000) { edges { node { name status } } } }'],
  ];
  for (const [label, query] of queries)
    console.log(`${label}: ${(await medianMs(api, query)).toFixed(1)} ms`);
} finally {
  await warehouse.close();
  rmSync(dir, { recursive: true, force: true });
}
