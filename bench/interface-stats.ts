/**
 * interfaceSeries / interfaceTotals latency, run by hand
 * (`npm run build && node dist/bench/interface-stats.js [samples] [interfaces]`): fills the embedded
 * warehouse with interface samples every 10 s, one insert per 30 s of samples as a writer would
 * (the rollups fill through their views), then times each query through the GraphQL API, first
 * with the rollups as inserted (several rows per bucket until merged) and again after
 * OPTIMIZE ... FINAL (one row per bucket).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../common/schema/migrate.js';
import { ChdbWarehouse } from '../common/warehouse/chdb.js';
import { createQueryApi } from '../query/index.js';
import { chooseInterfaceTable } from '../common/sql/interfaces.js';
import { parseRange } from '../query/shared/time.js';
import { percentile } from './timing.js';
import { ask as graphql } from '../harness/query-api-client.js';

const samples = Number(process.argv[2] ?? 200_000);
const interfaces = Number(process.argv[3] ?? 200);
const runs = 7;
const perInterface = Math.ceil(samples / interfaces);
const end = Math.floor(Date.now() / 60e3) * 60;
const start = end - perInterface * 10;

const fill = `INSERT INTO if_stats (time, generator, batch_seq, vmi_uuid, vm_name, virtual_network, vrouter,
    in_bytes, out_bytes, in_packets, out_packets, drops, active_flows)
  SELECT toDateTime64({start:UInt32} + intDiv(number, {interfaces:UInt32}) * 10, 6, 'UTC') AS t,
    'bench:Compute:contrail-vrouter-agent:0', number,
    toUUID(concat('00000000-0000-4000-8000-', leftPad(toString(number % {interfaces:UInt32}), 12, '0'))),
    concat('vm-', toString(intDiv(number % {interfaces:UInt32}, 2))),
    concat('vn-', toString(number % 10)), concat('compute-', toString(number % 8)),
    intDiv(number, {interfaces:UInt32}) * (1000 + number % {interfaces:UInt32}) * 10,
    intDiv(number, {interfaces:UInt32}) * 5000, intDiv(number, {interfaces:UInt32}) * 10,
    intDiv(number, {interfaces:UInt32}) * 5,
    map('flow-limit', intDiv(number, {interfaces:UInt32}), 'no-fmd', intDiv(number, {interfaces:UInt32}) * 2),
    number % 50
  FROM numbers({first:UInt64}, {count:UInt64})`;
const perInsert = 3 * interfaces;

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();
const span = (seconds: number) => `from: "${iso(end - seconds)}", to: "${iso(end)}"`;

const cases: { label: string; query: string; from: number; step?: number }[] = [
  {
    label: 'series 30m, 1m step, by VMI',
    query: `interfaceSeries(${span(1800)}, step: "1m", by: VMI)`,
    from: 1800,
    step: 60,
  },
  {
    label: 'series 50m, 10s step, by VN',
    query: `interfaceSeries(${span(3000)}, step: "10s", by: VN)`,
    from: 3000,
    step: 10,
  },
  {
    label: 'series 50m, 1m step, one VMI',
    query: `interfaceSeries(${span(3000)}, step: "1m", filter: { vmi: ["00000000-0000-4000-8000-000000000007"] })`,
    from: 3000,
    step: 60,
  },
  {
    label: 'series all, default step, by VMI',
    query: `interfaceSeries(${span(end - start)}, by: VMI)`,
    from: end - start,
  },
  {
    label: 'series all, 5m step, by VROUTER',
    query: `interfaceSeries(${span(end - start)}, step: "5m", by: VROUTER)`,
    from: end - start,
    step: 300,
  },
  {
    label: 'series all, 90s step, by VMI (raw)',
    query: `interfaceSeries(${span(end - start)}, step: "90s", by: VMI)`,
    from: end - start,
    step: 90,
  },
  {
    label: 'series 72h, 1h step, by VM top 100',
    query: `interfaceSeries(${span(72 * 3600)}, step: "1h", by: VM, top: 100)`,
    from: 72 * 3600,
    step: 3600,
  },
  { label: 'totals 30m', query: `interfaceTotals(${span(1800)})`, from: 1800 },
  { label: 'totals all', query: `interfaceTotals(${span(end - start)})`, from: end - start },
];

const selection = (query: string): string =>
  query.startsWith('interfaceSeries')
    ? `${query} { key points { time inBytesPerSec } }`
    : `${query} { inBytes }`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fs-bench-ifstats-'));
  const warehouse = new ChdbWarehouse(dir);
  try {
    await migrate(warehouse);
    const filled = performance.now();
    for (let first = 0; first < samples; first += perInsert) {
      await warehouse.exec(fill, { start, interfaces, first, count: Math.min(perInsert, samples - first) });
    }
    console.log(
      `${samples.toLocaleString('en-US')} samples of ${interfaces} interfaces over ${((end - start) / 3600).toFixed(1)} h` +
        ` inserted in ${Math.ceil(samples / perInsert)} inserts, ${Math.round(performance.now() - filled)} ms`,
    );
    const api = createQueryApi(warehouse);
    const ask = async (query: string): Promise<number> => {
      const began = performance.now();
      await graphql(api, `{ ${selection(query)} }`);
      return performance.now() - began;
    };
    for (const state of ['as inserted', 'after OPTIMIZE FINAL']) {
      if (state !== 'as inserted') {
        for (const t of ['if_stats_1m', 'if_stats_1h']) await warehouse.exec(`OPTIMIZE TABLE ${t} FINAL`);
      }
      const counts = await warehouse.query<{ t: string; n: string }>(
        `SELECT 'if_stats_1m' AS t, toString(count()) AS n FROM if_stats_1m
         UNION ALL SELECT 'if_stats_1h', toString(count()) FROM if_stats_1h`,
      );
      console.log(`\nrollups ${state}: ${counts.map((c) => `${c.t} ${c.n} rows`).join(', ')}`);
      for (const c of cases) {
        const table = chooseInterfaceTable(parseRange(iso(end - c.from), iso(end)), c.step).name;
        await ask(c.query); // warm
        const times: number[] = [];
        for (let i = 0; i < runs; i++) times.push(await ask(c.query));
        times.sort((a, b) => a - b);
        const median = percentile(times, 0.5);
        console.log(
          `  ${c.label.padEnd(38)} ${table.padEnd(12)} median ${median.toFixed(1).padStart(7)} ms,` +
            ` min ${times[0]!.toFixed(1).padStart(7)} ms, max ${times.at(-1)!.toFixed(1).padStart(7)} ms`,
        );
      }
    }
  } finally {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
