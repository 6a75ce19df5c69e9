import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPipelineProcess, type PipelineProcess } from '../../harness/pipeline-process.js';
import { pipelineDrained } from '../../harness/wait.js';
import { buildTopology, simulate, type SimulationReport } from '../../simulator/index.js';

const vrouters = 1000;
const seed = 5;
/** Small enough that 1,000 vRouters overflow every per-vRouter metric. */
const maxSeries = 300;
const topo = buildTopology({ vrouters, seed });

/** One /metrics scrape: each series line's value, by metric name. */
function parseMetrics(text: string): Map<string, { labels: string; value: number }[]> {
  const metrics = new Map<string, { labels: string; value: number }[]>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match) continue;
    const [, name, labels = '', value] = match;
    metrics.set(name!, [...(metrics.get(name!) ?? []), { labels, value: Number(value) }]);
  }
  return metrics;
}

/**
 * The fabric metrics of a pipeline that 1,000 simulated vRouters publish to: every metric is
 * exported, none has more series than the cap, and what the cap refused is counted, not lost.
 */
describe('embedded pipeline, 1,000 simulated vRouters: fabric metrics under the series cap', () => {
  let pipeline: PipelineProcess;
  let report: SimulationReport;
  let metrics: Map<string, { labels: string; value: number }[]>;
  const series = (name: string) => metrics.get(name) ?? [];
  const total = (name: string) => series(name).reduce((n, s) => n + s.value, 0);

  before(async () => {
    pipeline = await startPipelineProcess(mkdtempSync(join(tmpdir(), 'fs-fabric-metrics-')), {
      args: [
        '--fabric-metrics-max-series',
        String(maxSeries),
        // Every generator streams from this test's one address.
        '--max-streams-per-peer',
        String(vrouters + 10),
        '--generator-grace',
        '1h',
      ],
    });
    report = await simulate({ target: pipeline.grpcTarget, vrouters, seed, flows: 20_000, batchSize: 500 });
    await pipelineDrained(pipeline, 120_000);
    metrics = parseMetrics(await (await fetch(`${pipeline.httpUrl}/metrics`)).text());
  });
  after(() => pipeline?.stop());

  it('exports every fabric metric, each in at most --fabric-metrics-max-series series', () => {
    const names = [
      'fabricscope_fabric_flows_total',
      'fabricscope_fabric_flow_bytes_total',
      'fabricscope_fabric_generators',
      'fabricscope_fabric_vrouter_up',
      'fabricscope_fabric_vrouter_xmpp_sessions',
      'fabricscope_fabric_vrouter_active_flows',
      'fabricscope_fabric_control_bgp_peers',
      'fabricscope_fabric_control_bgp_peers_up',
    ];
    for (const name of names) {
      assert.ok(series(name).length > 0, `${name} exported`);
      assert.ok(series(name).length <= maxSeries, `${name}: ${series(name).length} series`);
    }
    assert.equal(series('fabricscope_fabric_vrouter_up').length, maxSeries);
    assert.equal(series('fabricscope_fabric_control_bgp_peers').length, topo.controlNodes.length);
  });

  it('counts every flow record the pipeline stored: in a series or in the overflow counter', () => {
    const overflow = new Map(
      series('fabricscope_fabric_series_overflow_total').map((s) => [
        /metric="([^"]+)"/.exec(s.labels)![1]!,
        s.value,
      ]),
    );
    assert.equal(report.acked, 20_000);
    const flows = 'fabricscope_fabric_flows_total';
    assert.equal(total(flows) + (overflow.get(flows) ?? 0), report.acked);
    // Each vRouter past the cap sent its NodeStatus and VrouterAgent: each refused update counted.
    for (const gauge of ['fabricscope_fabric_vrouter_up', 'fabricscope_fabric_vrouter_xmpp_sessions']) {
      assert.ok(overflow.get(gauge)! >= vrouters - maxSeries, gauge);
    }
  });

  it('counts the generators by node type once the run ended, and its vRouters down', () => {
    const generators = Object.fromEntries(
      series('fabricscope_fabric_generators').map((s) => [s.labels, s.value]),
    );
    // The simulator closed its streams; the grace period keeps them from being withdrawn.
    assert.deepEqual(generators, {
      '{node_type="Compute",state="disconnected"}': vrouters,
      '{node_type="Control",state="disconnected"}': topo.controlNodes.length,
      '{node_type="Config",state="disconnected"}': 1,
    });
    assert.ok(series('fabricscope_fabric_vrouter_up').every((s) => s.value === 0));
    assert.ok(series('fabricscope_fabric_vrouter_xmpp_sessions').every((s) => s.value === 2));
  });

  it('names the process metrics once: fabricscope_process_*, no doubled word', () => {
    assert.ok(series('fabricscope_process_cpu_seconds_total').length > 0);
    assert.ok(![...metrics.keys()].some((name) => name.includes('process_process')));
  });
});
