import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import {
  AggType,
  AttributeAggregationSchema,
  NextHopSchema,
  PublishRequestSchema,
  RouteOp,
  type Batch,
  type RouteEvent,
  type UveUpdate,
} from '../../../../common/proto.js';
import { ipToBytes } from '../../../../simulator/fabric/address.js';
import { buildFlowPools } from '../../../../simulator/fabric/flows/templates.js';
import { buildInterfaceStats, interfaceRates } from '../../../../simulator/fabric/state/interface-stats.js';
import { encodeStateBatch } from '../../../../simulator/sender/state-encoder.js';
import { buildRoutes, interfaceLabels, vrfName } from '../../../../simulator/fabric/state/routes.js';
import { buildFabricState, type GeneratorState } from '../../../../simulator/fabric/state/fabric-state.js';
import { buildTopology } from '../../../../simulator/fabric/topology/build.js';
import { V6_NETWORK } from '../../../../simulator/fabric/topology/names.js';
import type { Workload } from '../../../../simulator/fabric/topology/types.js';
import { bgpPeerUveName } from '../../../../simulator/fabric/state/uves/keys.js';

const NOW = 1_750_000_000_000_000;
const NOW_US = BigInt(NOW);
const topo = buildTopology({ vrouters: 4, seed: 11 });
const state = buildFabricState(topo, NOW);
const vrouterState = (name: string): GeneratorState => {
  const g = state.find((s) => s.host === name);
  assert.ok(g, name);
  return g;
};
const attrs = (u: UveUpdate): Record<string, unknown> =>
  JSON.parse(u.attributesJson) as Record<string, unknown>;
const find = (uves: UveUpdate[], type: string, name: string, struct: string): UveUpdate => {
  const u = uves.find((x) => x.type === type && x.name === name && x.structType === struct);
  assert.ok(u, `${type}/${name} ${struct}`);
  return u;
};
const projectOf = (w: Workload): string => {
  const ns = topo.namespaces.find((n) => n.name === w.namespace);
  assert.ok(ns);
  return ns.project;
};
const vmiName = (w: Workload): string => `${projectOf(w)}:${w.vmiUuid}`;
const hosted = (vrouter: string): Workload[] => topo.workloads.filter((w) => w.vrouter === vrouter);
const aggregation = (agg: AggType, listKey = '') => create(AttributeAggregationSchema, { agg, listKey });

describe('fabric state: generators', () => {
  it('is deterministic for a seed and time', () => {
    assert.deepEqual(buildFabricState(buildTopology({ vrouters: 4, seed: 11 }), NOW), state);
    assert.notDeepEqual(buildFabricState(buildTopology({ vrouters: 4, seed: 12 }), NOW), state);
  });

  it('comes from every vRouter agent, two control nodes and a config node, named as TF names generators', () => {
    assert.deepEqual(
      state.map((g) => g.generator),
      [
        ...topo.vrouters.map((v) => `${v.name}:Compute:contrail-vrouter-agent:0`),
        'control-1:Control:contrail-control:0',
        'control-2:Control:contrail-control:0',
        'config-1:Config:contrail-api:0',
      ],
    );
    for (const g of state) assert.ok(g.uves.every((u) => u.timestamp === NOW_US && !u.deleted));
  });

  it('gives each vRouter its own UVEs: itself, its VNs, VMs and interfaces', () => {
    for (const vr of topo.vrouters) {
      const g = vrouterState(vr.name);
      const mine = hosted(vr.name);
      const vns = new Set(mine.map((w) => w.vn));
      assert.equal(g.uves.length, 3 + vns.size + 3 * mine.length);
      assert.deepEqual(g.routes, []);
      const agent = attrs(find(g.uves, 'vrouter', vr.name, 'VrouterAgent'));
      assert.equal(agent['control_ip'], vr.ip);
      assert.deepEqual(
        agent['xmpp_peer_list'],
        topo.controlNodes.map((c, i) => ({ ip: c.ip, status: true, primary: i === vr.index % 2 })),
      );
      assert.deepEqual(
        agent['virtual_machine_list'],
        mine.map((w) => w.vmUuid),
      );
      assert.deepEqual(agent['interface_list'], mine.map(vmiName));
      assert.equal(agent['total_interface_count'], mine.length);
      const status = attrs(find(g.uves, 'vrouter', vr.name, 'NodeStatus'));
      assert.deepEqual(status['process_status'], [
        { module_id: 'contrail-vrouter-agent', instance_id: '0', state: 'Functional', description: '' },
      ]);
    }
  });

  it('declares TF aggregation types', () => {
    const g = vrouterState('compute-0');
    const agent = find(g.uves, 'vrouter', 'compute-0', 'VrouterAgent');
    assert.deepEqual(agent.aggregation['xmpp_peer_list'], aggregation(AggType.AGG_APPEND, 'ip'));
    assert.deepEqual(agent.aggregation['virtual_machine_list'], aggregation(AggType.AGG_UNION));
    assert.deepEqual(agent.aggregation['interface_list'], aggregation(AggType.AGG_UNION));
    assert.deepEqual(find(g.uves, 'vrouter', 'compute-0', 'NodeStatus').aggregation, {
      process_status: aggregation(AggType.AGG_APPEND, 'module_id'),
      process_info: aggregation(AggType.AGG_APPEND, 'process_name'),
    });
    const vn = g.uves.find((u) => u.structType === 'UveVirtualNetworkAgent');
    assert.ok(vn);
    for (const a of ['in_bytes', 'out_bytes', 'in_tpkts', 'out_tpkts'])
      assert.deepEqual(vn.aggregation[a], aggregation(AggType.AGG_SUM));
    for (const a of ['virtualmachine_list', 'interface_list'])
      assert.deepEqual(vn.aggregation[a], aggregation(AggType.AGG_UNION));
    assert.equal(vn.aggregation['total_acl_rules'], undefined, 'no aggtype: equal values collapse');
    const stats = g.uves.find((u) => u.structType === 'VMIStats');
    assert.deepEqual(
      Object.values(stats?.aggregation ?? {}).map((a) => a.agg),
      [AggType.AGG_SUM, AggType.AGG_SUM, AggType.AGG_SUM, AggType.AGG_SUM],
    );
    const identity = g.uves.find((u) => u.structType === 'UveVMInterfaceAgent');
    assert.deepEqual(identity?.aggregation, {});
  });

  it('splits a VN over the vRouters hosting it: parts that sum and union to the whole', () => {
    const rates = new Map(interfaceRates(topo).map((r) => [r.workload.vmiUuid, r]));
    for (const vn of topo.virtualNetworks) {
      const members = topo.workloads.filter((w) => w.vn === vn.fqName);
      const parts = state.flatMap((g) =>
        g.uves.filter(
          (u) =>
            u.type === 'virtual-network' && u.name === vn.fqName && u.structType === 'UveVirtualNetworkAgent',
        ),
      );
      assert.equal(parts.length, new Set(members.map((w) => w.vrouter)).size, vn.fqName);
      if (parts.length === 0) continue;
      const all = parts.map(attrs);
      const sum = (key: string): number => all.reduce((n, a) => n + Number(a[key]), 0);
      assert.equal(
        sum('in_bytes'),
        members.reduce((n, w) => n + (rates.get(w.vmiUuid)?.inBytes ?? 0), 0),
      );
      assert.equal(
        sum('out_tpkts'),
        members.reduce((n, w) => n + (rates.get(w.vmiUuid)?.outPackets ?? 0), 0),
      );
      assert.deepEqual(
        new Set(all.flatMap((a) => a['virtualmachine_list'] as string[])),
        new Set(members.map((w) => w.vmUuid)),
      );
      assert.equal(new Set(all.map((a) => a['total_acl_rules'])).size, 1, 'the same ACL everywhere');
    }
  });

  it('carries the identity of every workload, IPv6-only pods included, from its own vRouter', () => {
    const labels = interfaceLabels(topo);
    for (const w of topo.workloads) {
      const g = vrouterState(w.vrouter);
      const vmi = attrs(find(g.uves, 'virtual-machine-interface', vmiName(w), 'UveVMInterfaceAgent'));
      assert.deepEqual(
        {
          vm_name: vmi['vm_name'],
          vm_uuid: vmi['vm_uuid'],
          virtual_network: vmi['virtual_network'],
          ip_address: vmi['ip_address'],
          ip6_address: vmi['ip6_address'],
          vrouter: vmi['vrouter'],
          namespace: vmi['namespace'],
          workload_kind: vmi['workload_kind'],
          labels: vmi['labels'],
        },
        {
          vm_name: w.name,
          vm_uuid: w.vmUuid,
          virtual_network: w.vn,
          ip_address: w.ipv4 ?? '',
          ip6_address: w.ipv6 ?? '',
          vrouter: w.vrouter,
          namespace: w.namespace,
          workload_kind: w.kind,
          labels: w.labels,
        },
      );
      assert.equal(vmi['label'], labels.get(w.vmiUuid));
      const vm = attrs(find(g.uves, 'virtual-machine', w.vmUuid, 'UveVirtualMachineAgent'));
      assert.deepEqual(vm, {
        vm_name: w.name,
        uuid: w.vmUuid,
        vrouter: w.vrouter,
        interface_list: [vmiName(w)],
      });
      find(g.uves, 'virtual-machine-interface', vmiName(w), 'VMIStats');
    }
    const v6only = topo.workloads.filter((w) => w.ipv6 && !w.ipv4);
    assert.ok(v6only.length >= 3);
    const identities = state.flatMap((g) => g.uves.filter((u) => u.structType === 'UveVMInterfaceAgent'));
    assert.equal(identities.length, topo.workloads.length, 'one identity per workload');
  });

  it('has each control node report its BGP and XMPP peers', () => {
    const [gw] = topo.gateways;
    assert.ok(gw);
    for (const c of topo.controlNodes) {
      const g = state.find((s) => s.host === c.name);
      assert.ok(g);
      assert.equal(g.uves.length, 2 + topo.gateways.length + topo.vrouters.length);
      assert.deepEqual(attrs(find(g.uves, 'control-node', c.name, 'BgpRouterState')), {
        bgp_router_ip_list: [c.ip],
        router_id: c.ip,
        local_asn: topo.asn,
        num_bgp_peer: 1,
        num_up_bgp_peer: 1,
        num_xmpp_peer: topo.vrouters.length,
        num_up_xmpp_peer: topo.vrouters.length,
        num_routing_instance: topo.virtualNetworks.length,
      });
      find(g.uves, 'control-node', c.name, 'NodeStatus');
      const name = bgpPeerUveName(c, gw);
      assert.equal(
        name,
        `default-domain:default-project:ip-fabric:__default__:${c.name}:default-domain:default-project:ip-fabric:__default__:sdn-gw-1`,
      );
      const peer = attrs(find(g.uves, 'bgp-peer', name, 'BgpPeerInfoData'));
      assert.deepEqual(peer['state_info'], {
        state: 'Established',
        last_state: 'OpenConfirm',
        last_state_at: NOW,
      });
      assert.deepEqual(peer['flap_info'], { flap_count: 0, flap_time: 0 });
      assert.equal(peer['peer_address'], gw.ip);
      assert.deepEqual([peer['local_asn'], peer['peer_asn']], [topo.asn, gw.asn]);
      for (const vr of topo.vrouters) {
        const xmpp = attrs(find(g.uves, 'xmpp-peer', `${c.name}:${vr.ip}`, 'XmppPeerInfoData'));
        assert.equal(xmpp['identifier'], vr.name);
        assert.equal((xmpp['state_info'] as { state: string }).state, 'Established');
      }
    }
  });
});

describe('fabric state: nodes', () => {
  const PROCESSES: Record<string, string[]> = {
    vrouter: ['contrail-vrouter-agent', 'contrail-vrouter-nodemgr'],
    'control-node': ['contrail-control', 'contrail-dns', 'contrail-named', 'contrail-control-nodemgr'],
    'config-node': [
      'contrail-api',
      'contrail-schema',
      'contrail-svc-monitor',
      'contrail-device-manager',
      'contrail-config-nodemgr',
    ],
  };
  const statuses = state.map((g) => g.uves.find((u) => u.structType === 'NodeStatus'));

  it('gives every node a NodeStatus: its processes running since boot, its build, disks and no core', () => {
    assert.deepEqual(
      statuses.map((u) => `${u?.type}:${u?.name}`),
      state.map((g) => `${g.role === 'vrouter' ? 'vrouter' : `${g.role}-node`}:${g.host}`),
    );
    for (const u of statuses) {
      assert.ok(u);
      const status = attrs(u);
      const infos = status['process_info'] as Record<string, unknown>[];
      assert.deepEqual(
        infos.map((p) => p['process_name']),
        PROCESSES[u.type],
      );
      for (const p of infos) {
        assert.deepEqual(
          [p['process_state'], p['start_count'], p['stop_count'], p['exit_count'], p['core_file_list']],
          ['PROCESS_STATE_RUNNING', 1, 0, 0, []],
        );
        // Started days before the state was published, as µs text (TF ProcessInfo).
        const started = Number(p['last_start_time']);
        assert.ok(started < NOW - 3 * 86_400e6 + 60e6 && started > NOW - 4 * 86_400e6, String(started));
      }
      const [module] = PROCESSES[u.type] ?? [];
      assert.deepEqual(status['process_status'], [
        { module_id: module, instance_id: '0', state: 'Functional', description: '' },
      ]);
      const build = JSON.parse(status['build_info'] as string) as { 'build-info': { 'build-id': string }[] };
      assert.equal(build['build-info'][0]?.['build-id'], status['running_package_version']);
      assert.equal(status['installed_package_version'], status['running_package_version']);
      const disks = Object.values(status['disk_usage_info'] as Record<string, Record<string, number>>);
      assert.equal(disks.length, 2);
      for (const d of disks) {
        const percent = d['percentage_partition_space_used'] ?? 100;
        assert.ok(percent < 70, String(percent));
        const [used = 0, free = 0] = [d['partition_space_used_1k'], d['partition_space_available_1k']];
        assert.equal(Math.round((100 * used) / (used + free)), percent);
      }
      assert.deepEqual(status['all_core_file_list'], []);
    }
    const starts = statuses.map(
      (u) => (attrs(u!)['process_info'] as { last_start_time: string }[])[0]?.last_start_time,
    );
    assert.equal(new Set(starts).size, starts.length, 'each node booted at its own time');
  });

  it("has the config node publish every node's configuration (TF ContrailConfig, each property as JSON)", () => {
    const config = state.find((g) => g.role === 'config');
    assert.ok(config);
    const elements = (type: string, name: string): Record<string, string> =>
      attrs(find(config.uves, type, name, 'ContrailConfig'))['elements'] as Record<string, string>;
    for (const vr of topo.vrouters) {
      const e = elements('vrouter', vr.name);
      assert.equal(e['virtual_router_ip_address'], JSON.stringify(vr.ip));
      assert.equal(e['fq_name'], JSON.stringify(['default-global-system-config', vr.name]));
    }
    for (const c of topo.controlNodes) {
      const params = JSON.parse(elements('control-node', c.name)['bgp_router_parameters'] ?? '{}') as object;
      assert.deepEqual(
        Object.entries(params).filter(([k]) => ['address', 'autonomous_system', 'router_type'].includes(k)),
        [
          ['router_type', 'control-node'],
          ['address', c.ip],
          ['autonomous_system', topo.asn],
        ],
      );
    }
    assert.equal(elements('config-node', 'config-1')['config_node_ip_address'], '"192.168.200.8"');
    const nodes = 1 + topo.vrouters.length + topo.controlNodes.length + 1;
    const tenants =
      topo.securityGroups.length +
      topo.networkPolicies.length +
      2 * topo.virtualNetworks.length +
      topo.workloads.length +
      topo.services.length;
    assert.equal(config.uves.length, nodes + tenants);
  });

  it("gives every vRouter a VrouterStatsAgent: its physical interface's bandwidth, steady, and its flows", () => {
    const rates = interfaceRates(topo);
    for (const vr of topo.vrouters) {
      const stats = attrs(find(vrouterState(vr.name).uves, 'vrouter', vr.name, 'VrouterStatsAgent'));
      const flows = rates
        .filter((r) => r.workload.vrouter === vr.name)
        .reduce((n, r) => n + r.activeFlows, 0);
      assert.ok(flows > 0);
      assert.equal(stats['active_flows'], flows);
      const inBps = (stats['phy_band_in_bps'] as Record<string, number>)['eth0'] ?? 0;
      assert.ok(inBps > 0);
      assert.deepEqual((stats['in_bps_ewm'] as Record<string, object>)['eth0'], {
        samples: 60,
        mean: inBps,
        stddev: inBps / 20,
        sigma: 0,
      });
      const agent = attrs(find(vrouterState(vr.name).uves, 'vrouter', vr.name, 'VrouterAgent'));
      assert.deepEqual(
        [
          agent['down_interface_count'],
          agent['error_intf_list'],
          agent['res_limit'],
          agent['res_table_limit'],
        ],
        [0, [], false, false],
      );
    }
  });
});

describe('fabric state: routes', () => {
  const routes = buildRoutes(topo, NOW);
  const labels = interfaceLabels(topo);
  const vrouterIp = (name: string): Uint8Array =>
    ipToBytes(topo.vrouters.find((v) => v.name === name)?.ip ?? '');
  const route = (vrf: string, prefix: string): RouteEvent => {
    const r = routes.find((x) => x.routingInstance === vrf && x.prefix === prefix);
    assert.ok(r, `${vrf} ${prefix}`);
    return r;
  };

  it('is what every control node publishes', () => {
    for (const c of state.filter((g) => g.role === 'control')) assert.deepEqual(c.routes, routes);
    assert.ok(routes.every((r) => r.op === RouteOp.ADD && r.timestamp === NOW_US));
  });

  it('names VRFs after their VN', () => {
    assert.equal(
      vrfName('default-domain:k8s-contrail:seamless'),
      'default-domain:k8s-contrail:seamless:seamless',
    );
    assert.deepEqual(
      new Set(routes.map((r) => r.routingInstance)),
      new Set(topo.virtualNetworks.map((vn) => vrfName(vn.fqName))),
    );
  });

  it('has a host route per workload address, over its VN encapsulation to its vRouter', () => {
    const perVrouter = new Map<string, Set<number>>();
    for (const w of topo.workloads) {
      const vn = topo.virtualNetworks.find((n) => n.fqName === w.vn);
      assert.ok(vn);
      const label = labels.get(w.vmiUuid) ?? 0;
      const seen = perVrouter.get(w.vrouter) ?? new Set();
      assert.ok(!seen.has(label), 'labels are unique per vRouter');
      perVrouter.set(w.vrouter, seen.add(label));
      const prefixes = [...(w.ipv4 ? [`${w.ipv4}/32`] : []), ...(w.ipv6 ? [`${w.ipv6}/128`] : [])];
      for (const prefix of prefixes) {
        const r = route(vrfName(w.vn), prefix);
        assert.equal(r.family, prefix.endsWith('/32') ? 'inet' : 'inet6');
        assert.deepEqual(r.nextHops, [
          create(NextHopSchema, {
            tunnelType: vn.encapsulation,
            destination: vrouterIp(w.vrouter),
            label: vn.encapsulation === 'VXLAN' ? vn.vni : label,
            interface: '',
          }),
        ]);
        const peer = topo.vrouters.find((v) => v.name === w.vrouter)?.ip;
        assert.deepEqual([r.protocol, r.peer, r.originVn], ['xmpp', peer, w.vn]);
      }
    }
    const v6 = topo.workloads.find((w) => w.vn === V6_NETWORK);
    assert.ok(v6?.ipv6 && !v6.ipv4);
    assert.equal(route(vrfName(V6_NETWORK), `${v6.ipv6}/128`).nextHops[0]?.tunnelType, 'VXLAN');
  });

  it('has an ECMP route per service: one next hop per backend, towards its vRouter', () => {
    assert.equal(topo.services.length, 6);
    for (const svc of topo.services) {
      const r = route(vrfName(svc.vn), `${svc.ip}/${svc.ip.includes(':') ? 128 : 32}`);
      const backends = svc.backends.map((b) => topo.workloads.find((w) => w.name === b));
      assert.equal(r.nextHops.length, backends.length);
      assert.ok(r.nextHops.length >= 2);
      assert.deepEqual(
        r.nextHops.map((h) => h.destination),
        backends.map((w) => vrouterIp(w?.vrouter ?? '')),
      );
      const vxlan = topo.virtualNetworks.find((n) => n.fqName === svc.vn)?.encapsulation === 'VXLAN';
      if (!vxlan)
        assert.deepEqual(
          r.nextHops.map((h) => h.label),
          backends.map((w) => labels.get(w?.vmiUuid ?? '')),
        );
      assert.deepEqual([r.protocol, r.peer], ['xmpp', '']);
    }
  });

  it('has the gateway default route in every VRF, over MPLSoGRE from BGP', () => {
    const [gw] = topo.gateways;
    assert.ok(gw);
    for (const vn of topo.virtualNetworks) {
      const v4 = vn.subnets.some((s) => s.includes('.'));
      const r = route(vrfName(vn.fqName), v4 ? '0.0.0.0/0' : '::/0');
      assert.deepEqual([r.protocol, r.peer, r.asPath], ['bgp', gw.ip, String(gw.asn)]);
      assert.equal(r.nextHops.length, 1);
      assert.equal(r.nextHops[0]?.tunnelType, 'MPLSoGRE');
      assert.deepEqual(r.nextHops[0]?.destination, ipToBytes(gw.ip));
    }
    assert.equal(
      routes.length,
      topo.workloads.reduce((n, w) => n + (w.ipv4 ? 1 : 0) + (w.ipv6 ? 1 : 0), 0) +
        topo.services.length +
        routes.filter((r) => r.protocol === 'bgp').length,
    );
  });
});

describe('fabric state: interface stats', () => {
  const rates = interfaceRates(topo);
  const sample = (n: number, restartedAt: Record<string, number> = {}) =>
    buildInterfaceStats(topo, { sample: n, nowUs: NOW + n, restartedAt }, rates);

  it('has one record per interface per sample, with cumulative counters growing at a fixed rate', () => {
    const [s0, s1, s2] = [sample(0), sample(1), sample(2)];
    assert.equal(s0.length, topo.workloads.length);
    s0.forEach((r, i) => {
      const r1 = s1[i];
      const r2 = s2[i];
      assert.ok(r1 && r2);
      assert.deepEqual(r.vmiUuid, r1.vmiUuid);
      assert.ok(r.inBytes > 0n && r.outPackets > 0n);
      assert.equal(r1.inBytes, 2n * r.inBytes);
      assert.equal(r2.outPackets, 3n * r.outPackets);
      for (const [reason, n] of Object.entries(r.drops)) assert.equal(r2.drops[reason], 3n * n);
    });
    assert.deepEqual(sample(1), sample(1), 'deterministic');
  });

  it('counts denied flows as drops by TF drop reason on the interface that dropped them', () => {
    const byName = new Map(sample(0).map((r) => [r.vmName, r]));
    // The pod → VM pings of the reference article die on the VM's security group.
    assert.ok((byName.get('vm')?.drops['DROP_SG'] ?? 0n) > 0n);
    const reasons = new Set(sample(0).flatMap((r) => Object.keys(r.drops)));
    assert.ok(reasons.has('DROP_POLICY'), 'isolated namespaces refuse at the source');
    const denied = buildFlowPools(topo).connections.filter((c) => c.verdict.action !== 'PASS');
    for (const c of denied) {
      const at = c.verdict.deniedAt === 'destination' ? c.destination : c.source;
      assert.ok((byName.get(at?.name ?? '')?.drops[c.verdict.dropReason] ?? 0n) > 0n, `${c.scenario}`);
    }
  });

  it('splits each vRouter exported flows over its interfaces as active_flows', () => {
    const { pools } = buildFlowPools(topo);
    const s0 = sample(0);
    topo.vrouters.forEach((vr, i) => {
      const flows = s0.filter((r) => r.vrouter === vr.name).reduce((n, r) => n + r.activeFlows, 0);
      assert.equal(flows, pools[i]?.length);
    });
  });

  it('restarts a vRouter counters from one interval (a counter reset), and only that vRouter', () => {
    const before = sample(4);
    const after = sample(5, { 'compute-1': 5 });
    const later = sample(7, { 'compute-1': 5 });
    const first = sample(0);
    after.forEach((r, i) => {
      const prev = before[i];
      assert.ok(prev);
      if (r.vrouter === 'compute-1') {
        assert.equal(r.inBytes, first[i]?.inBytes);
        assert.ok(r.inBytes < prev.inBytes);
        assert.equal(later[i]?.inBytes, 3n * (first[i]?.inBytes ?? 0n));
      } else {
        assert.ok(r.inBytes > prev.inBytes);
      }
    });
  });
});

describe('fabric state: encoding', () => {
  /** The Batch of an encoded request, its bytes fields plain Uint8Arrays as in the records built. */
  const decode = (payload: Buffer): Batch => {
    const { message } = fromBinary(PublishRequestSchema, new Uint8Array(payload));
    assert.ok(message.case === 'batch');
    return message.value;
  };

  it('round-trips UVEs, routes and interface stats through the contract', () => {
    const control = state.find((g) => g.role === 'control');
    assert.ok(control);
    const stats = buildInterfaceStats(topo, { sample: 0, nowUs: NOW });
    assert.equal(stats.length, topo.workloads.length);
    const cases = [
      [encodeStateBatch('uves', 7, control.uves), 'uves', control.uves],
      [encodeStateBatch('uves', 8, vrouterState('compute-0').uves), 'uves', vrouterState('compute-0').uves],
      [encodeStateBatch('routes', 9, control.routes), 'routes', control.routes],
      [encodeStateBatch('interface_stats', 10, stats), 'interfaceStats', stats],
    ] as const;
    cases.forEach(([payload, member, records], i) => {
      const batch = decode(payload);
      assert.equal(batch.seq, BigInt(7 + i));
      assert.equal(batch.payload.case, member);
      assert.deepEqual(batch.payload.value?.records, records, member);
    });
    assert.equal(control.uves[0]?.structType, 'BgpRouterState');
    assert.ok(
      control.routes.some((r) => r.nextHops.length > 1),
      'ECMP routes among them',
    );
    const nodeStatus = vrouterState('compute-0').uves.find((u) => u.structType === 'NodeStatus');
    assert.ok(nodeStatus);
    const decoded = decode(encodeStateBatch('uves', 1, [nodeStatus])).payload;
    assert.ok(decoded.case === 'uves');
    assert.deepEqual(decoded.value.records[0]?.aggregation, {
      process_status: aggregation(AggType.AGG_APPEND, 'module_id'),
      process_info: aggregation(AggType.AGG_APPEND, 'process_name'),
    });
  });
});
