import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContains } from '../../../../simulator/fabric/address.js';
import { IMPLICIT_DENY, policyModel, type Protocol } from '../../../../simulator/fabric/policy.js';
import { buildTopology } from '../../../../simulator/fabric/topology/build.js';
import { POD_NETWORK, SEAMLESS_NETWORK } from '../../../../simulator/fabric/topology/names.js';
import type { Topology, Workload } from '../../../../simulator/fabric/topology/types.js';

const topo = buildTopology({ vrouters: 4, seed: 42 });
const policy = policyModel(topo);
const byName = (name: string): Workload => {
  const w = topo.workloads.find((x) => x.name === name);
  assert.ok(w, `workload ${name}`);
  return w;
};
const inNs = (ns: string, app?: string): Workload[] =>
  topo.workloads.filter((w) => w.namespace === ns && (app === undefined || w.labels['app'] === app));
const first = <T>(items: T[]): T => {
  assert.ok(items[0] !== undefined);
  return items[0];
};
const direct = (src: Workload, dst: Workload, protocol: Protocol = 'tcp', port = 80) =>
  policy.evaluate(src, src.ipv4 ?? '', { ip: dst.ipv4 ?? '', vn: dst.vn, workload: dst }, protocol, port);

describe('simulated topology', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    assert.deepEqual(buildTopology({ vrouters: 4, seed: 42 }), topo);
    const other: Topology = buildTopology({ vrouters: 4, seed: 43 });
    assert.notDeepEqual(
      other.workloads.map((w) => w.vmiUuid),
      topo.workloads.map((w) => w.vmiUuid),
    );
  });

  it('survives a JSON round trip (plain data, reusable for UVEs and routes)', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(topo)), topo);
  });

  it('names vRouters and generators as TF does', () => {
    assert.equal(topo.vrouters.length, 4);
    assert.equal(topo.vrouters[2]?.generator, 'compute-2:Compute:contrail-vrouter-agent:0');
    assert.equal(new Set(topo.vrouters.map((v) => v.ip)).size, 4);
    for (const vr of topo.vrouters) {
      assert.ok(
        topo.workloads.some((w) => w.vrouter === vr.name),
        `${vr.name} hosts workloads`,
      );
    }
  });

  it('numbers vRouters from --first-vrouter, apart from another run’s, each hosting workloads', () => {
    const later = buildTopology({ vrouters: 4, seed: 42, firstVrouter: 4 });
    assert.deepEqual(
      later.vrouters.map((v) => v.generator),
      [4, 5, 6, 7].map((n) => `compute-${n}:Compute:contrail-vrouter-agent:0`),
    );
    const addresses = new Set([...topo.vrouters, ...later.vrouters].map((v) => v.ip));
    assert.equal(addresses.size, 8, 'underlay addresses apart from the first run’s');
    for (const vr of later.vrouters)
      assert.ok(
        later.workloads.some((w) => w.vrouter === vr.name),
        vr.name,
      );
  });

  it('gives every address once per IPAM, inside its subnets', () => {
    const ipamOf = (w: { vn: string }) => topo.virtualNetworks.find((n) => n.fqName === w.vn)?.ipam;
    const ips = topo.workloads.flatMap((w) =>
      [w.ipv4, w.ipv6].filter((ip): ip is string => !!ip).map((ip) => `${ipamOf(w)} ${ip}`),
    );
    assert.equal(new Set(ips).size, ips.length);
    for (const w of topo.workloads) {
      const vn = topo.virtualNetworks.find((n) => n.fqName === w.vn);
      assert.ok(vn, w.vn);
      for (const ip of [w.ipv4, w.ipv6]) {
        if (ip)
          assert.ok(
            vn.subnets.some((s) => cidrContains(s, ip)),
            `${w.name} ${ip} in ${vn.subnets.join(',')}`,
          );
      }
    }
    assert.ok(
      topo.workloads.some((w) => w.ipv6 && !w.ipv4 && w.kind === 'pod'),
      'IPv6-only pods',
    );
    assert.ok(
      topo.workloads.some((w) => w.ipv6 && w.ipv4 && w.kind === 'vm'),
      'dual-stack VMs',
    );
  });

  it('shares one VN and IPAM between the OpenStack VM (.3) and the pod (.4)', () => {
    const vm = byName('vm');
    const pod = byName('cont');
    assert.equal(vm.vn, SEAMLESS_NETWORK);
    assert.equal(pod.vn, SEAMLESS_NETWORK);
    assert.equal(vm.ipv4, '192.168.100.3');
    assert.equal(pod.ipv4, '192.168.100.4');
    assert.equal(
      topo.namespaces.find((n) => n.name === 'seamless')?.annotations['opencontrail.org/network'],
      '{"domain":"default-domain","project":"k8s-contrail","name":"seamless"}',
    );
  });

  it('maps namespace annotations to networks', () => {
    const ns = (name: string) => topo.namespaces.find((n) => n.name === name);
    assert.equal(ns('default')?.network, POD_NETWORK);
    assert.equal(ns('dev')?.network, POD_NETWORK);
    assert.equal(
      ns('test-isolated-ns')?.network,
      'default-domain:k8s-test-isolated-ns:k8s-test-isolated-ns-pod-network',
    );
    assert.equal(ns('test-isolated-ns')?.serviceIsolated, true);
    assert.equal(ns('secure-api')?.isolated, true);
    assert.equal(ns('secure-api')?.serviceIsolated, false);
    // Isolated namespaces keep the cluster IPAM (10.47.x.x addresses as in the reference).
    assert.match(first(inNs('test-isolated-ns')).ipv4 ?? '', /^10\.47\./);
  });

  it('models services as load balancers over their pods', () => {
    const web = topo.services.find((s) => s.namespace === 'default' && s.name === 'web');
    assert.ok(web);
    assert.ok(cidrContains('10.96.0.0/12', web.ip));
    assert.ok(web.backends.length >= 3);
    assert.deepEqual(new Set(web.backends), new Set(inNs('default', 'web').map((w) => w.name)));
  });
});

describe('policy model', () => {
  it('passes traffic within a namespace and across non-isolated ones', () => {
    const [a, b] = inNs('default', 'web');
    assert.ok(a && b);
    assert.equal(direct(a, b).action, 'PASS');
    assert.equal(direct(first(inNs('dev', 'api')), a, 'tcp', 8080).action, 'PASS');
  });

  it('keeps other namespaces out of an isolated namespace, not the other way round', () => {
    const outsider = first(inNs('default', 'client'));
    const isolated = first(inNs('test-isolated-ns'));
    const denied = direct(outsider, isolated);
    assert.equal(denied.action, 'DENY');
    assert.equal(denied.dropReason, 'DROP_POLICY');
    assert.equal(denied.deniedAt, 'source');
    assert.ok(
      topo.networkPolicies.some((p) =>
        p.rules.some((r) => r.uuid === denied.nwAceUuid && r.action === 'deny'),
      ),
    );
    assert.equal(direct(isolated, outsider).action, 'PASS');
  });

  it('reaches an isolated namespace service only with isolation.service: false', () => {
    const outsider = first(inNs('dev', 'worker'));
    const service = (ns: string) => {
      const svc = topo.services.find((s) => s.namespace === ns);
      assert.ok(svc);
      const backend = byName(first(svc.backends));
      return { ip: svc.ip, vn: svc.vn, workload: backend };
    };
    const open = service('secure-api');
    assert.equal(policy.evaluate(outsider, outsider.ipv4 ?? '', open, 'tcp', 8443).action, 'PASS');
    const closed = service('test-isolated-ns');
    const verdict = policy.evaluate(outsider, outsider.ipv4 ?? '', closed, 'tcp', 80);
    assert.equal(verdict.action, 'DENY');
    assert.equal(verdict.dropReason, 'DROP_POLICY');
  });

  it('denies VM and pod on one VN by security groups until a rule allows it', () => {
    const vm = byName('vm');
    const pod = byName('cont');
    const podToVm = direct(pod, vm, 'icmp', 0);
    assert.equal(podToVm.action, 'DENY');
    assert.equal(podToVm.dropReason, 'DROP_SG');
    assert.equal(podToVm.deniedAt, 'destination');
    assert.equal(podToVm.destSgRuleUuid, IMPLICIT_DENY);
    // k8s-seamless-default-sg admits default-domain:admin:default, as the reference article does.
    const vmToPod = direct(vm, pod, 'icmp', 0);
    assert.equal(vmToPod.action, 'PASS');
    const sg = topo.securityGroups.find((g) => g.rules.some((r) => r.uuid === vmToPod.destSgRuleUuid));
    assert.equal(sg?.fqName, 'default-domain:k8s-seamless:k8s-seamless-default-sg');
  });

  it('applies a network policy (as a security group) to the selected pods', () => {
    const db = first(inNs('payments', 'db'));
    const same = direct(first(inNs('payments', 'frontend')), db, 'tcp', 5432);
    assert.equal(same.action, 'PASS');
    const other = direct(first(inNs('default', 'client')), db, 'tcp', 5432);
    assert.equal(other.action, 'DENY');
    assert.equal(other.dropReason, 'DROP_SG');
    assert.equal(direct(first(inNs('payments', 'frontend')), db, 'tcp', 22).action, 'DENY');
  });

  it('passes VMs of one project to each other and drops what has no route', () => {
    assert.equal(direct(byName('admin-web-1'), byName('admin-db-1'), 'tcp', 5432).action, 'PASS');
    const src = first(inNs('default', 'web'));
    const lost = policy.evaluate(src, src.ipv4 ?? '', { ip: '10.32.0.16', vn: '__UNKNOWN__' }, 'tcp', 443);
    assert.equal(lost.action, 'DROP');
    assert.equal(lost.dropReason, 'SHORT_NO_DST_ROUTE');
  });
});
