import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { cleanUp } from '../../harness/child-processes.js';
import { graphql, type PipelineProcess } from '../../harness/pipeline-process.js';
import { pipelineDrained, readUntil } from '../../harness/wait.js';
import { simulate } from '../../simulator/index.js';
import {
  clickhousePanels,
  loadDashboards,
  panelIntervalMs,
  variableOptions,
  variableStates,
  type Dashboard,
  type Panel,
} from '../../harness/dashboards.js';
import { startPipelineWithClickHouseHttp } from '../../harness/clickhouse-http.js';
import { expandPanelSql, type VariableState } from '../../harness/grafana-macros.js';

/**
 * Every ClickHouse query of dashboards/ run as Grafana would run it, through the pipeline's read-only
 * ClickHouse HTTP endpoint (what Grafana's ClickHouse plugin reaches), on a warehouse the simulator
 * filled through the embedded pipeline: flows, interface counters sampled over two minutes (the
 * one-minute rollup then holds consecutive samples), routes with a BGP flap, and alarms (a process
 * down, then every generator withdrawn when the simulator stops: node-status alarms, active). Each
 * query variable is run for its options; each panel's SQL is expanded with the plugin's macros for a
 * range over the data, with every variable at All and then at its first options, and must give its
 * panel what it draws.
 */

/** A query's answer: its columns (name and ClickHouse type) and rows in their order. */
interface Answer {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

let client: ClickHouseClient;

/** Runs one expanded panel query, as a ClickHouse client over the embedded endpoint. */
async function runPanelSql(sql: string): Promise<Answer> {
  const result = await client.query({ query: sql, format: 'JSONCompact' });
  const { meta, data } = await result.json<unknown[]>();
  return { columns: (meta ?? []).map(({ name, type }) => ({ name, type })), rows: data };
}

const dashboards = loadDashboards();
const from = new Date(Date.now() - 3600e3);
let to: Date;
/** The options each dashboard's variables take, found in `before`. */
const options = new Map<string, Map<string, string[]>>();

const variables = (dashboard: Dashboard, pick: 'all' | 'first'): VariableState[] =>
  variableStates(dashboard, options.get(dashboard.uid)!, pick);

const isTime = (type: string): boolean => /^(Nullable\()?(DateTime|DateTime64|Date|Date32)\b/.test(type);
const isNumber = (type: string): boolean => /^(Nullable\()?(U?Int|Float|Decimal)/.test(type);

/**
 * What the panel draws from the answer: rows for a table; a number too for a stat or a bar chart;
 * for a time series a time first, ascending, and a number.
 */
function assertDrawable(panel: Panel, answer: Answer): void {
  const types = answer.columns.map((c) => `${c.name} ${c.type}`).join(', ');
  assert.ok(answer.rows.length > 0, `no rows (columns: ${types})`);
  if (panel.type === 'table') return;
  assert.ok(
    answer.columns.some((c) => isNumber(c.type)),
    `no numeric column: ${types}`,
  );
  if (panel.type !== 'timeseries') return;
  assert.ok(isTime(answer.columns[0]!.type), `the first column is not a time: ${types}`);
  // The plugin turns a long frame into series (one per string column value) only when time ascends.
  const times = answer.rows.map((r) => String(r[0]));
  assert.deepEqual(times, [...times].sort(), 'rows not in ascending time');
}

describe('dashboards: every ClickHouse panel and variable query runs on a simulated fabric', () => {
  let pipeline: PipelineProcess | undefined;

  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fs-dashboards-'));
    const started = await startPipelineWithClickHouseHttp(dataDir, ['--generator-grace', '5s']);
    pipeline = started.pipeline;
    const { url: endpoint, user: username, password } = started.endpoint;
    client = createClient({ url: endpoint, username, password });
    await simulate({
      target: pipeline.grpcTarget,
      vrouters: 4,
      seed: 5,
      flows: 5000,
      batchSize: 500,
      interfaceStatsSamples: 3,
      interfaceStatsIntervalMs: 30_000,
      events: [{ kind: 'bgp-flap' }, { kind: 'process-down' }],
    });
    // The range ends as the simulator stops: its generators are withdrawn a grace period later, and
    // their routes with them (the route table at a later instant is empty, as it should be).
    to = new Date();
    await pipelineDrained(pipeline);
    // The simulator's generators are gone: once withdrawn, their node-status alarms are active.
    const url = pipeline.graphqlUrl;
    await readUntil(
      'an active alarm',
      () =>
        graphql<{ alarms: { edges: { node: { state: string } }[] } }>(
          url,
          '{ alarms { edges { node { state } } } }',
        ),
      (answer) => answer.alarms.edges.some((e) => e.node.state === 'ACTIVE'),
    );
    for (const dashboard of dashboards) {
      const firstColumn = async (sql: string) => (await runPanelSql(sql)).rows.map((row) => String(row[0]));
      options.set(dashboard.uid, await variableOptions(dashboard, { from, to }, firstColumn));
    }
  });
  after(() =>
    cleanUp(
      () => client?.close(),
      () => pipeline?.stop(),
    ),
  );

  for (const dashboard of dashboards) {
    describe(dashboard.title, () => {
      for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) {
        it(`variable $${v.name} lists values`, () => {
          assert.ok(options.get(dashboard.uid)!.get(v.name)!.length > 0, `no values for $${v.name}`);
        });
      }
      if (dashboard.uid === 'fabricscope-flows')
        it('a vRouter chosen narrows a panel to its flows; All shows every vRouter', async () => {
          const panel = clickhousePanels(dashboard).find((p) => p.title === 'Bytes/s by vRouter')!;
          const ctx = { from, to, intervalMs: panelIntervalMs(panel) };
          const vrouters = options.get(dashboard.uid)!.get('vrouter')!;
          assert.ok(vrouters.length > 1, 'flows from several vRouters');
          const run = async (vars: VariableState[]) =>
            (
              await runPanelSql(expandPanelSql(panel.targets![0]!.rawSql!, { ...ctx, variables: vars }))
            ).rows.map((r) => r[1]);
          assert.deepEqual(new Set(await run(variables(dashboard, 'all'))), new Set(vrouters));
          const one = variables(dashboard, 'all').map((v) =>
            v.name === 'vrouter' ? { ...v, selected: [vrouters[1]!] } : v,
          );
          assert.deepEqual(new Set(await run(one)), new Set([vrouters[1]]));
        });
      for (const panel of clickhousePanels(dashboard)) {
        it(`${panel.type} "${panel.title}"`, async () => {
          const sql = panel.targets![0]!.rawSql!;
          const ctx = { from, to, intervalMs: panelIntervalMs(panel) };
          const all = await runPanelSql(
            expandPanelSql(sql, { ...ctx, variables: variables(dashboard, 'all') }),
          );
          assertDrawable(panel, all);
          // Chosen values take the IN lists instead of 1=1: the query still runs, with the same columns.
          const chosen = await runPanelSql(
            expandPanelSql(sql, { ...ctx, variables: variables(dashboard, 'first') }),
          );
          assert.deepEqual(chosen.columns, all.columns);
          if (chosen.rows.length > 0) assertDrawable(panel, chosen);
        });
      }
    });
  }
});
