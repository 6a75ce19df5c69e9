import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildFabricState,
  buildTopology,
  simulate,
  vrfName,
  type SimulationReport,
  type Topology,
} from '../../simulator/index.js';
import { graphql, startPipelineProcess, type PipelineProcess } from '../../harness/pipeline-process.js';
import { pipelineDrained } from '../../harness/wait.js';

const vrouters = 4;
const seed = 11;
const window = 'from: "now-1h", to: "now+1h"';

/**
 * The simulator's whole fabric through the embedded pipeline: UVEs from vRouters and control nodes,
 * XMPP/BGP routes, interface counters, flows (which, as a vRouter's, name no workloads), and a
 * vRouter that disconnects and comes back. What GraphQL answers is checked against what the simulator's builders say it sent.
 */
describe('embedded pipeline on a simulated fabric: UVEs, routes, interface stats and identity', () => {
  let pipeline: PipelineProcess;
  let report: SimulationReport;
  let topo: Topology;
  const ask = <T>(query: string) => graphql<T>(pipeline.graphqlUrl, query);

  before(async () => {
    pipeline = await startPipelineProcess(mkdtempSync(join(tmpdir(), 'fs-fabric-')), {
      args: ['--generator-grace', '1s'],
    });
    topo = buildTopology({ vrouters, seed });
    report = await simulate({
      target: pipeline.grpcTarget,
      vrouters,
      seed,
      flows: 5000,
      batchSize: 500,
      interfaceStatsSamples: 3,
      interfaceStatsIntervalMs: 1000,
      events: [{ kind: 'vrouter-disconnect', target: topo.vrouters[1]!.name, durationMs: 2500 }],
    });
    await pipelineDrained(pipeline);
  });
  after(() => pipeline?.stop());

  it('acks every UVE, route and interface sample the simulator sent', () => {
    for (const kind of ['uves', 'routes', 'interface_stats'] as const) {
      assert.ok(report.sentByKind[kind] > 0, kind);
      assert.equal(report.ackedByKind[kind], report.sentByKind[kind], kind);
    }
    assert.equal(report.acked, 5000);
  });

  it('serves every UVE type and name, and aggregates a virtual network across its vRouters', async () => {
    const state = buildFabricState(topo, Date.now() * 1000);
    const sent = state.flatMap((g) => g.uves.map((u) => ({ ...u, generator: g.generator })));
    const { uveTypes } = await ask<{ uveTypes: { type: string; count: number }[] }>(
      '{ uveTypes { type count } }',
    );
    const expected = new Map<string, Set<string>>();
    for (const u of sent) expected.set(u.type, (expected.get(u.type) ?? new Set()).add(u.name));
    assert.deepEqual(
      uveTypes,
      [...expected]
        .map(([type, names]) => ({ type, count: names.size }))
        .sort((a, b) => a.type.localeCompare(b.type)),
    );
    const { uves } = await ask<{ uves: { name: string }[] }>(
      '{ uves(type: "vrouter", match: "compute-*") { name } }',
    );
    assert.deepEqual(
      uves.map((u) => u.name),
      topo.vrouters.map((v) => v.name).sort(),
    );
    const parts = sent.filter((u) => u.structType === 'UveVirtualNetworkAgent');
    const busiest = [...new Set(parts.map((u) => u.name))].sort(
      (a, b) => parts.filter((u) => u.name === b).length - parts.filter((u) => u.name === a).length,
    )[0]!;
    const mine = parts.filter((u) => u.name === busiest);
    assert.ok(mine.length > 1, 'a VN spread over several vRouters');
    const sum = (attribute: string) =>
      mine.reduce(
        (n, u) => n + Number((JSON.parse(u.attributesJson) as Record<string, number>)[attribute]),
        0,
      );
    const { uve } = await ask<{
      uve: { value: { UveVirtualNetworkAgent: Record<string, unknown> }; structs: { sources: unknown[] }[] };
    }>(
      `{ uve(type: "virtual-network", name: "${busiest}", structs: ["UveVirtualNetworkAgent"]) { value structs { sources { generator } } } }`,
    );
    assert.equal(uve.value.UveVirtualNetworkAgent.in_bytes, sum('in_bytes'));
    assert.equal(uve.value.UveVirtualNetworkAgent.out_bytes, sum('out_bytes'));
    assert.equal(uve.structs[0]!.sources.length, mine.length);
  });

  it('counts the vRouter that went away and came back as connected, with its UVEs again', async () => {
    const played = report.events.map((e) => e.kind);
    assert.ok(played.includes('vrouter-disconnect'));
    const { generators } = await ask<{ generators: { edges: { node: { name: string; status: string } }[] } }>(
      '{ generators(first: 1000) { edges { node { name status } } } }',
    );
    const expected = [...topo.vrouters, ...topo.controlNodes, ...topo.configNodes].map((g) => ({
      name: g.generator,
      status: 'DISCONNECTED',
    }));
    assert.deepEqual(
      generators.edges.map((e) => e.node),
      expected.sort((a, b) => a.name.localeCompare(b.name)),
    );
    const back = await ask<{ uve: { value: object } | null }>(
      `{ uve(type: "vrouter", name: "${topo.vrouters[1]!.name}") { value } }`,
    );
    assert.ok(back.uve, 'its parts are there: it reconnected and resent within the grace period');
  });

  it('looks up a workload address and a service address: the hosting vRouter, ECMP over the backends', async () => {
    const pod = topo.workloads.find((w) => w.ipv4 && w.kind === 'pod')!;
    const host = topo.vrouters.find((v) => v.name === pod.vrouter)!;
    type Lookup = {
      routeLookup: { prefix: string; paths: { nextHops: { destination: string }[] }[] } | null;
    };
    const found = await ask<Lookup>(
      `{ routeLookup(vrf: "${vrfName(pod.vn)}", address: "${pod.ipv4}") { prefix paths { nextHops { destination } } } }`,
    );
    assert.equal(found.routeLookup?.prefix, `${pod.ipv4}/32`);
    for (const path of found.routeLookup!.paths) assert.deepEqual(path.nextHops, [{ destination: host.ip }]);
    const service = topo.services.find((s) => new Set(s.backends).size > 1 && !s.ip.includes(':'))!;
    const hosts = new Set(
      service.backends.map(
        (b) => topo.vrouters.find((v) => v.name === topo.workloads.find((w) => w.name === b)!.vrouter)!.ip,
      ),
    );
    const ecmp = await ask<Lookup>(
      `{ routeLookup(vrf: "${vrfName(service.vn)}", address: "${service.ip}") { prefix paths { nextHops { destination } } } }`,
    );
    assert.equal(ecmp.routeLookup?.prefix, `${service.ip}/32`);
    const destinations = new Set(ecmp.routeLookup!.paths[0]!.nextHops.map((h) => h.destination));
    assert.deepEqual(destinations, hosts);
  });

  it('serves interface rates per vRouter from the counters', async () => {
    // Samples a second apart: a short range, so the raw table answers (a rollup keeps one a minute).
    const { interfaceSeries } = await ask<{
      interfaceSeries: { key: string; points: { inBytesPerSec: number }[] }[];
    }>(
      `{ interfaceSeries(from: "now-5m", to: "now+1m", step: "10s", by: VROUTER, top: 100) { key points { inBytesPerSec } } }`,
    );
    const keys = interfaceSeries.map((s) => s.key);
    assert.ok(keys.length > 0 && keys.every((k) => topo.vrouters.some((v) => v.name === k)), keys.join());
    assert.ok(interfaceSeries.some((s) => s.points.some((p) => p.inBytesPerSec > 0)));
  });

  it('enriches simulated flows with pod and VM names, namespaces and labels from the VMI UVEs', async () => {
    type Groups = { flowGroups: { groups: { keys: string[]; records: number }[] } };
    const { flowGroups } = await ask<Groups>(
      `{ flowGroups(${window}, by: [SOURCE_WORKLOAD], metric: RECORDS, top: 1000) { groups { keys records } } }`,
    );
    const named = flowGroups.groups.filter((g) => g.keys[0] !== '');
    assert.ok(named.length > 0);
    for (const group of named.slice(0, 5)) {
      const workload = topo.workloads.find((w) => w.name === group.keys[0]);
      assert.ok(workload, `${group.keys[0]} is a simulated workload`);
      const ips = [workload.ipv4, workload.ipv6].filter(Boolean).map((ip) => `"${ip}"`);
      const byIp = await ask<{ flowTotals: { records: number } }>(
        // The VN too: OpenStack tenants reuse addresses (simulator/README.md).
        `{ flowTotals(${window}, filter: [{ sourceIp: [${ips.join(', ')}], sourceVn: ["${workload.vn}"] }]) { records } }`,
      );
      assert.equal(byIp.flowTotals.records, group.records, workload.name);
    }
    const labelled = topo.workloads.find(
      (w) => Object.keys(w.labels).length > 0 && named.some((g) => g.keys[0] === w.name),
    )!;
    const [key, value] = Object.entries(labelled.labels)[0]!;
    const selected = await ask<{ flowTotals: { records: number } }>(
      `{ flowTotals(${window}, filter: [{ sourceLabel: ["${key}=${value}"], sourceNamespace: ["${labelled.namespace}"] }]) { records } }`,
    );
    assert.ok(selected.flowTotals.records > 0);
  });
});
