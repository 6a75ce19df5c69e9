import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowAction } from '../../../../common/proto.js';
import { SCENARIO_WEIGHTS, type Scenario } from '../../../../simulator/fabric/flows/scenarios.js';
import { buildFlowPools } from '../../../../simulator/fabric/flows/templates.js';
import { buildTopology } from '../../../../simulator/fabric/topology/build.js';

const topo = buildTopology({ vrouters: 4, seed: 7 });
const { connections, pools } = buildFlowPools(topo);

describe('flow mix', () => {
  it('is deterministic for a seed', () => {
    const again = buildFlowPools(buildTopology({ vrouters: 4, seed: 7 }));
    assert.deepEqual(again.pools, pools);
  });

  it('covers every scenario and every vRouter', () => {
    const seen = new Set(connections.map((c) => c.scenario));
    for (const s of Object.keys(SCENARIO_WEIGHTS)) assert.ok(seen.has(s as Scenario), s);
    pools.forEach((p, i) => assert.ok(p.length > 0, `compute-${i} exports flows`));
  });

  it('decides each scenario as the fabric would', () => {
    const expected: Record<Scenario, string> = {
      'same-namespace': 'PASS',
      'cross-namespace': 'PASS',
      'service-ecmp': 'PASS',
      'vm-to-vm': 'PASS',
      ipv6: 'PASS',
      'isolated-egress': 'PASS',
      'isolated-ingress-denied': 'DENY',
      'isolated-service-open': 'PASS',
      'isolated-service-closed': 'DENY',
      'openstack-k8s-allowed': 'PASS',
      'openstack-k8s-denied': 'DENY',
      'network-policy-allowed': 'PASS',
      'network-policy-denied': 'DENY',
      'no-route': 'DROP',
    };
    for (const c of connections)
      assert.equal(c.verdict.action, expected[c.scenario], `${c.scenario} #${c.id}`);
  });

  it('exports records where TF would: both vRouters unless the source already denied, no reverse of a denial', () => {
    for (const c of connections) {
      const records = pools.flat().filter((t) => t.connection === c.id);
      const local = c.destination?.vrouter === c.source.vrouter;
      const vrouters = c.verdict.deniedAt === 'source' || !c.destination || local ? 1 : 2;
      const halves = c.verdict.action === 'PASS' ? 2 : 1;
      assert.equal(records.length, vrouters * halves, `${c.scenario} #${c.id}`);
      if (c.verdict.action !== 'PASS') assert.ok(records.every((r) => !r.reverse && r.pair === null));
      if (c.verdict.deniedAt === 'destination' && !local) {
        // The source forwards (its egress rules allow it); the destination's ingress rules deny.
        const at = (vrouter: string) => records.find((r) => `compute-${r.vrouter}` === vrouter)?.fields;
        assert.equal(at(c.source.vrouter)?.action, FlowAction.PASS);
        assert.equal(at(c.destination?.vrouter ?? '')?.action, FlowAction.DENY);
        assert.equal(at(c.destination?.vrouter ?? '')?.dropReason, 'DROP_SG');
      }
    }
  });

  it('tells the seamless story one way each: the VM reaches the pod, the pod is denied at the VM', () => {
    const between = (from: string, to: string) => {
      const [a, b] = [from, to].map((n) => topo.workloads.find((w) => w.name === n)!.ipv4!);
      const ip = (x: string) => new Uint8Array(x.split('.').map(Number));
      return pools
        .flat()
        .filter(
          (t) =>
            t.fields.sourceIp.join('.') === ip(a!).join('.') &&
            t.fields.destIp.join('.') === ip(b!).join('.'),
        );
    };
    const toPod = between('vm', 'cont');
    assert.ok(toPod.length > 0);
    assert.ok(toPod.every((t) => t.fields.action === FlowAction.PASS));
    const toVm = between('cont', 'vm').filter((t) => t.scenario === 'openstack-k8s-denied');
    const vm = topo.workloads.find((w) => w.name === 'vm')!;
    const denied = toVm.filter((t) => t.fields.action === FlowAction.DENY);
    assert.ok(denied.length > 0);
    for (const t of denied) assert.equal(`compute-${t.vrouter}`, vm.vrouter);
  });

  it('carries deciding rule ids on denied records, and no workload names (the pipeline adds them)', () => {
    const denied = pools.flat().filter((t) => t.scenario === 'isolated-ingress-denied');
    assert.ok(denied.length > 0);
    for (const t of denied) {
      assert.equal(t.fields.action, FlowAction.DENY);
      assert.equal(t.fields.dropReason, 'DROP_POLICY');
      assert.match(t.fields.nwAceUuid, /^[0-9a-f-]{36}$/);
      assert.ok(!('sourceWorkload' in t.fields) && !('destNamespace' in t.fields));
    }
  });
});
