import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cleanUp, runTool } from '../../../harness/child-processes.js';
import { graphql, startPipelineProcess, type PipelineProcess } from '../../../harness/pipeline-process.js';
import {
  prometheusRules,
  queryPrometheus,
  startPrometheus,
  type PrometheusServer,
} from '../../../harness/prometheus.js';
import { suiteNeeds, tools } from '../../../harness/system-tools.js';
import { readUntil } from '../../../harness/wait.js';
import { simulate } from '../../../simulator/index.js';
import { allPanels, loadDashboards, PROMETHEUS } from '../../../harness/dashboards.js';

const rulesDir = fileURLToPath(new URL('../../../../deploy/prometheus/', import.meta.url));
const ruleFiles = readdirSync(rulesDir)
  .filter((name) => name.endsWith('.rules.yml'))
  .map((name) => join(rulesDir, name));
const testFiles = readdirSync(join(rulesDir, 'tests')).map((name) => join(rulesDir, 'tests', name));
const timeoutMs = 60_000;

/** The rule names the files declare, read as text: what Prometheus must have loaded. */
const declared = (kind: 'record' | 'alert'): string[] =>
  ruleFiles.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(new RegExp(`^\\s*- ${kind}: (\\S+)$`, 'gm'))].map((m) => m[1]!),
  );

describe('deploy/prometheus rules, checked and unit-tested by promtool', suiteNeeds(tools.promtool), () => {
  it('passes promtool check rules', async () => {
    const { stdout } = await runTool('promtool', ['check', 'rules', ...ruleFiles], { timeoutMs });
    assert.equal(stdout.match(/SUCCESS/g)?.length, ruleFiles.length);
  });

  it('passes its promtool unit tests (deploy/prometheus/tests)', async () => {
    assert.ok(testFiles.length >= 2);
    const { stdout } = await runTool('promtool', ['test', 'rules', ...testFiles], { timeoutMs });
    assert.equal(stdout.match(/SUCCESS/g)?.length, testFiles.length);
  });
});

/** Every Prometheus panel of dashboards/: its title and its targets' expressions. */
const prometheusPanels = loadDashboards().flatMap((dashboard) =>
  allPanels(dashboard)
    .filter((panel) => panel.datasource?.type === PROMETHEUS)
    .map((panel) => ({
      title: `${dashboard.uid}: ${panel.title}`,
      // Grafana's $__rate_interval is at least four scrape intervals: 15 s over this 1 s scrape.
      exprs: (panel.targets ?? []).map((t) => t.expr!.replaceAll('$__rate_interval', '15s')),
    })),
);

/**
 * The same rules in a real Prometheus (Debian's 2.42) scraping a pipeline that simulated vRouters
 * publish to: every recording rule returns data, every alert's expression evaluates; and so does
 * every Prometheus panel of the dashboards.
 */
describe(
  'deploy/prometheus rules in a real Prometheus scraping a pipeline',
  suiteNeeds(tools.prometheus),
  () => {
    let pipeline: PipelineProcess | undefined;
    let prometheus: PrometheusServer | undefined;
    const stopSimulator = new AbortController();
    let simulation: Promise<unknown> | undefined;

    before(async () => {
      pipeline = await startPipelineProcess(mkdtempSync(join(tmpdir(), 'fs-prom-rules-')));
      // Flows all along, so that rates have two samples in every window; stopped in after().
      simulation = simulate({
        target: pipeline.grpcTarget,
        vrouters: 4,
        seed: 3,
        rate: 500,
        batchSize: 50,
        durationMs: 10 * 60_000,
        // An alarm active all along, for the panels of active alarms.
        events: [{ kind: 'disk-full', target: 'compute-0', durationMs: 10 * 60_000 }],
        signal: stopSimulator.signal,
      });
      prometheus = await startPrometheus({ targets: [new URL(pipeline.httpUrl).host], ruleFiles });
    });
    after(() =>
      cleanUp(
        async () => {
          stopSimulator.abort();
          await simulation;
        },
        () => prometheus?.stop(),
        () => pipeline?.stop(),
      ),
    );

    it('loads every rule of the files', async () => {
      const rules = await prometheusRules(prometheus!.url);
      const names = (type: string) =>
        rules
          .filter((r) => r.type === type)
          .map((r) => r.name)
          .sort();
      assert.deepEqual(names('recording'), declared('record').sort());
      assert.deepEqual(names('alerting'), declared('alert').sort());
    });

    it('answers every recording rule with data', async () => {
      for (const name of declared('record')) {
        const samples = await readUntil(
          `${name} to have data`,
          () => queryPrometheus(prometheus!.url, name),
          (found) => found.length > 0,
          90_000,
        );
        assert.ok(
          samples.every((s) => s.metric.job === 'fabricscope'),
          name,
        );
      }
    });

    it("evaluates every alerting rule's expression without error", async () => {
      const evaluated = await readUntil(
        'every rule to be evaluated',
        () => prometheusRules(prometheus!.url),
        (rules) => rules.every((r) => r.health !== 'unknown'),
      );
      for (const rule of evaluated) {
        assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError}`);
        // Rejects with Prometheus' error if it cannot evaluate it.
        if (rule.type === 'alerting') await queryPrometheus(prometheus!.url, rule.query);
      }
      const up = await queryPrometheus(prometheus!.url, 'fabricscope_fabric_vrouter_up');
      assert.deepEqual(up.map((s) => [s.metric.vrouter, s.value]).sort(), [
        ['compute-0', 1],
        ['compute-1', 1],
        ['compute-2', 1],
        ['compute-3', 1],
      ]);
    });

    it('answers every Prometheus panel of dashboards/ with data', async () => {
      assert.ok(prometheusPanels.length >= 20, `${prometheusPanels.length} Prometheus panels`);
      // A reader of the API, as a dashboard user is: the query latency panel describes its reads.
      const reading = setInterval(
        () =>
          void graphql(pipeline!.graphqlUrl, '{ flowTotals(from: "now-5m") { records } }').catch(() => {}),
        500,
      );
      try {
        for (const { title, exprs } of prometheusPanels) {
          // Each expression evaluates (a query Prometheus refuses rejects); the panel shows data.
          const answers = await readUntil(
            `${title} to show data`,
            () => Promise.all(exprs.map((expr) => queryPrometheus(prometheus!.url, expr))),
            (found) => found.some((samples) => samples.length > 0),
            90_000,
          );
          assert.ok(answers.length > 0, title);
        }
      } finally {
        clearInterval(reading);
      }
    });
  },
);
