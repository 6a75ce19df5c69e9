/**
 * Inserts beside a heavy query of the ClickHouse HTTP endpoint, run by hand (`npm run build && node
 * dist/bench/clickhouse-http-under-inserts.js [rows scanned, millions] [query threads]`): an embedded
 * warehouse takes small inserts back to back, first alone, then while one endpoint query scans
 * `numbers()` with `max_threads` as given (--query-max-threads). Prints the insert p50/p99 of both
 * phases and their ratio, the query's time, and the time of a trivial endpoint request against a
 * trivial warehouse read (the endpoint opens a connection and sets its settings for each query).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChdbWarehouse } from '../common/warehouse/chdb.js';
import { serveClickHouseHttp } from '../harness/clickhouse-http.js';
import { percentile } from './timing.js';

const millions = Number(process.argv[2] ?? 600);
const threads = Number(process.argv[3] ?? 1);

const dir = mkdtempSync(join(tmpdir(), 'fs-bench-chhttp-'));
const warehouse = new ChdbWarehouse(dir);
const endpoint = await serveClickHouseHttp(warehouse, {
  queryMaxThreads: threads,
  clickhouseHttpMaxExecutionTime: 600_000,
});
const headers = { 'X-ClickHouse-User': endpoint.user, 'X-ClickHouse-Key': endpoint.password };
try {
  await warehouse.exec('CREATE TABLE bench (x UInt64) ENGINE = MergeTree ORDER BY x');
  const insert = async (): Promise<number> => {
    const started = performance.now();
    await warehouse.exec('INSERT INTO bench SELECT number FROM numbers(1000)');
    return performance.now() - started;
  };
  const alone: number[] = [];
  for (let i = 0; i < 200; i++) alone.push(await insert());

  let done = false;
  const started = performance.now();
  const heavy = fetch(`${endpoint.url}/`, {
    method: 'POST',
    headers,
    body: `SELECT count() FROM numbers(${millions * 1_000_000}) WHERE sipHash64(number) % 7 = 1`,
  }).then(async (response) => {
    const text = await response.text();
    done = true;
    if (!response.ok) throw new Error(text);
    return performance.now() - started;
  });
  const beside: number[] = [];
  while (!done) beside.push(await insert());
  const queryMs = await heavy;

  const timed = async (run: () => Promise<unknown>): Promise<number> => {
    const begin = performance.now();
    for (let i = 0; i < 200; i++) await run();
    return (performance.now() - begin) / 200;
  };
  const viaEndpoint = await timed(async () =>
    (await fetch(`${endpoint.url}/?query=SELECT%201`, { headers })).text(),
  );
  const direct = await timed(() => warehouse.query('SELECT 1 AS one'));

  alone.sort((a, b) => a - b);
  beside.sort((a, b) => a - b);
  const [p50, p99] = [percentile(alone, 0.5), percentile(alone, 0.99)];
  const [b50, b99] = [percentile(beside, 0.5), percentile(beside, 0.99)];
  console.log(`query: ${millions}M rows, max_threads ${threads}, ${(queryMs / 1000).toFixed(1)} s`);
  console.log(`inserts alone:       p50 ${p50.toFixed(1)} ms  p99 ${p99.toFixed(1)} ms  (${alone.length})`);
  console.log(`inserts beside it:   p50 ${b50.toFixed(1)} ms  p99 ${b99.toFixed(1)} ms  (${beside.length})`);
  console.log(`ratio p50 ${(b50 / p50).toFixed(2)}  p99 ${(b99 / p99).toFixed(2)}`);
  console.log(`SELECT 1: endpoint ${viaEndpoint.toFixed(2)} ms, warehouse read ${direct.toFixed(2)} ms`);
} finally {
  await endpoint.close();
  await warehouse.close();
  rmSync(dir, { recursive: true, force: true });
}
