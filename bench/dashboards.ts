/**
 * Dashboard benchmark, run by hand (`npm run build && node dist/bench/dashboards.js [flows] [hours]
 * [runs]`; defaults 10M flows over 1 hour, 7 runs): fills an embedded warehouse as bench/queries.ts
 * does, then runs every ClickHouse panel query of dashboards/ over the last hour as Grafana would
 * (the plugin's macros expanded, every variable at All), each p50/p95 over `runs` (a) through the
 * pipeline's read-only ClickHouse HTTP endpoint with @clickhouse/client, (b) on the engine alone, in
 * turns after one warm-up each; and the ratio a/b: what the endpoint adds to the panel's own SQL.
 * Routes and alarms are empty here: their panels time the fixed cost of their SQL.
 */
import { createClient } from '@clickhouse/client';
import {
  clickhousePanels,
  loadDashboards,
  panelIntervalMs,
  variableOptions,
  variableStates,
} from '../harness/dashboards.js';
import { expandPanelSql } from '../harness/grafana-macros.js';
import { startClickHouseHttp } from '../query/clickhouse-http/server.js';
import { defaultQueryConfig } from '../query/index.js';
import { endS, withQueryDataset } from './query-dataset.js';
import { p50p95, percentile, turns } from './timing.js';

const flows = Number(process.argv[2] ?? 10_000_000);
const hours = Number(process.argv[3] ?? 1);
const runs = Number(process.argv[4] ?? 7);
const range = { from: new Date((endS - 3600) * 1000), to: new Date(endS * 1000) };
const password = 'bench-dashboards';

await withQueryDataset(flows, hours, async (warehouse) => {
  const endpoint = await startClickHouseHttp(warehouse, 0, {
    ...defaultQueryConfig,
    clickhouseHttpHost: '127.0.0.1',
    clickhouseHttpPassword: password,
  });
  const client = createClient({
    url: `http://127.0.0.1:${endpoint.port}`,
    username: defaultQueryConfig.clickhouseHttpUser,
    password,
  });
  try {
    const viaEndpoint = async (sql: string): Promise<unknown[][]> =>
      (await (await client.query({ query: sql, format: 'JSONCompact' })).json<unknown[]>()).data;
    console.log(`\n${runs} runs each after one warm-up, ms`);
    console.log(
      `${'dashboard / panel'.padEnd(58)} ${'endpoint p50/p95'.padStart(17)} ${'engine p50/p95'.padStart(17)} ratio  rows`,
    );
    for (const dashboard of loadDashboards()) {
      const firstColumn = async (sql: string) => (await viaEndpoint(sql)).map((row) => String(row[0]));
      const variables = variableStates(
        dashboard,
        await variableOptions(dashboard, range, firstColumn),
        'all',
      );
      for (const panel of clickhousePanels(dashboard)) {
        const sql = expandPanelSql(panel.targets![0]!.rawSql!, {
          ...range,
          intervalMs: panelIntervalMs(panel),
          variables,
        });
        const rows = (await viaEndpoint(sql)).length;
        const [http, engine] = await turns(runs, [() => viaEndpoint(sql), () => warehouse.query(sql)]);
        const ratio = (percentile(http!, 0.5) / percentile(engine!, 0.5)).toFixed(2);
        console.log(
          `${`${dashboard.title} / ${panel.title}`.slice(0, 58).padEnd(58)} ${p50p95(http!)} ${p50p95(engine!)} ${ratio.padStart(5)}  ${rows}`,
        );
      }
    }
  } finally {
    await client.close();
    await endpoint.close();
  }
});
