import { AggType, type UveUpdate } from '../../../../common/proto.js';
import { indexTopology } from '../../topology/lookup.js';
import type { Topology, VRouter, Workload } from '../../topology/types.js';
import type { FabricCondition } from '../condition.js';
import { fabricNode } from '../fabric-nodes.js';
import { interfaceRates, type InterfaceRate } from '../interface-stats.js';
import { interfaceLabels } from '../routes.js';
import { vmiUveName } from './keys.js';
import { nodeStatusUve } from './node-status.js';
import { uve } from './uve.js';

/** What a vRouter agent reports: itself, the networks and machines it hosts, and their interfaces. */

/** What the state builders share; build it once for many calls. */
export interface UveContext {
  topo: Topology;
  index: ReturnType<typeof indexTopology>;
  labels: Map<string, number>;
  rates: Map<string, InterfaceRate>;
}

export function uveContext(
  topo: Topology,
  rates: readonly InterfaceRate[] = interfaceRates(topo),
): UveContext {
  return {
    topo,
    index: indexTopology(topo),
    labels: interfaceLabels(topo),
    rates: new Map(rates.map((r) => [r.workload.vmiUuid, r])),
  };
}

const projectOf = (ctx: UveContext, w: Workload): string => ctx.index.namespace(w.namespace).project;

/** TF derives a VMI's MAC from its uuid: 02 and the uuid's first five bytes. */
export const macOf = (w: Workload): string =>
  ['02', ...(w.vmiUuid.replace(/-/g, '').slice(0, 10).match(/../g) ?? [])].join(':');

/** Per-interval counters (the first interface-stats sample) or zeros. */
function countersOf(
  ctx: UveContext,
  w: Workload,
): { inBytes: number; outBytes: number; inPkts: number; outPkts: number } {
  const r = ctx.rates.get(w.vmiUuid);
  return {
    inBytes: r?.inBytes ?? 0,
    outBytes: r?.outBytes ?? 0,
    inPkts: r?.inPackets ?? 0,
    outPkts: r?.outPackets ?? 0,
  };
}

/** The rules of the network policies attached to a VN: what its ACL holds on every vRouter. */
const aclRules = (topo: Topology, vn: string): number =>
  topo.networkPolicies.filter((p) => p.attachedTo.includes(vn)).reduce((n, p) => n + p.rules.length, 0);

/** The vRouter's datapath limits (TF VrouterAgent.vr_limits), as a default vRouter module loads them. */
const VR_LIMITS = {
  max_interfaces: 4352,
  max_nexthops: 65536,
  max_mpls_labels: 5120,
  vrouter_max_vrfs: 4096,
  vrouter_max_flow_entries: 524288,
  vrouter_max_bridge_entries: 262144,
};

/**
 * A vRouter's VrouterAgent struct: its XMPP servers (the first control node primary on even hosts),
 * its interfaces and how many are down, and whether a resource is beyond its watermark (res_limit) or
 * its table is full (res_table_limit), naming the resources.
 */
export function vrouterAgentUve(ctx: UveContext, vr: VRouter, c: FabricCondition, nowUs: number): UveUpdate {
  const hosted = ctx.topo.workloads.filter((w) => w.vrouter === vr.name);
  const networks = [...new Set(hosted.map((w) => w.vn))];
  const controls = ctx.topo.controlNodes;
  const down = hosted.filter((w) => c.interfacesDown.get(vr.name)?.has(w.vmiUuid));
  const limits = c.limits.get(vr.name) ?? { watermark: [], full: [] };
  return uve(
    'vrouter',
    vr.name,
    'VrouterAgent',
    {
      control_ip: vr.ip,
      xmpp_peer_list: controls.map((control, i) => ({
        ip: control.ip,
        status: true,
        primary: i === vr.index % Math.max(1, controls.length),
      })),
      connected_networks: networks,
      virtual_machine_list: hosted.map((w) => w.vmUuid),
      interface_list: hosted.map((w) => vmiUveName(projectOf(ctx, w), w)),
      total_interface_count: hosted.length,
      down_interface_count: down.length,
      error_intf_list: down.map((w) => vmiUveName(projectOf(ctx, w), w)),
      no_config_intf_list: [],
      vn_count: networks.length,
      vr_limits: VR_LIMITS,
      res_limit: limits.watermark.length + limits.full.length > 0,
      res_table_limit: limits.full.length > 0,
      vr_limit_exceeded_list: [...new Set([...limits.watermark, ...limits.full])],
    },
    nowUs,
    {
      xmpp_peer_list: [AggType.AGG_APPEND, 'ip'],
      connected_networks: AggType.AGG_UNION,
      virtual_machine_list: AggType.AGG_UNION,
      interface_list: AggType.AGG_UNION,
    },
  );
}

/** The physical interface under vhost0. */
const PHYSICAL_INTERFACE = 'eth0';

/**
 * A vRouter's VrouterStatsAgent: the bandwidth of its physical interface, what its workloads send and
 * receive per second, and its moving average (TF's EWM), steady: sigma 0; its flow entries (active_flows).
 */
function vrouterStatsUve(ctx: UveContext, vr: VRouter, nowUs: number): UveUpdate {
  const hosted = ctx.topo.workloads.filter((w) => w.vrouter === vr.name);
  const totals = hosted.map((w) => countersOf(ctx, w));
  const bps = (key: 'inBytes' | 'outBytes'): number => 8 * totals.reduce((n, t) => n + t[key], 0);
  // Traffic delivered to the workloads came in on the physical interface; what they send goes out on it.
  const [inBps, outBps] = [bps('outBytes'), bps('inBytes')];
  const ewm = (mean: number) => ({
    [PHYSICAL_INTERFACE]: { samples: 60, mean, stddev: mean / 20, sigma: 0 },
  });
  return uve(
    'vrouter',
    vr.name,
    'VrouterStatsAgent',
    {
      phy_band_in_bps: { [PHYSICAL_INTERFACE]: inBps },
      phy_band_out_bps: { [PHYSICAL_INTERFACE]: outBps },
      in_bps_ewm: ewm(inBps),
      out_bps_ewm: ewm(outBps),
      active_flows: hosted.reduce((n, w) => n + (ctx.rates.get(w.vmiUuid)?.activeFlows ?? 0), 0),
    },
    nowUs,
  );
}

/** One vRouter's part of a VN: its share of the traffic and of the VN's machines and interfaces. */
export function virtualNetworkAgentUve(ctx: UveContext, vr: VRouter, vn: string, nowUs: number): UveUpdate {
  const hosted = ctx.topo.workloads.filter((w) => w.vrouter === vr.name && w.vn === vn);
  const totals = hosted.map((w) => countersOf(ctx, w));
  const sum = (key: keyof ReturnType<typeof countersOf>): number => totals.reduce((n, t) => n + t[key], 0);
  return uve(
    'virtual-network',
    vn,
    'UveVirtualNetworkAgent',
    {
      in_bytes: sum('inBytes'),
      out_bytes: sum('outBytes'),
      in_tpkts: sum('inPkts'),
      out_tpkts: sum('outPkts'),
      virtualmachine_list: hosted.map((w) => w.vmUuid),
      interface_list: hosted.map((w) => vmiUveName(projectOf(ctx, w), w)),
      total_acl_rules: aclRules(ctx.topo, vn),
    },
    nowUs,
    {
      in_bytes: AggType.AGG_SUM,
      out_bytes: AggType.AGG_SUM,
      in_tpkts: AggType.AGG_SUM,
      out_tpkts: AggType.AGG_SUM,
      virtualmachine_list: AggType.AGG_UNION,
      interface_list: AggType.AGG_UNION,
    },
  );
}

export function virtualMachineUve(ctx: UveContext, w: Workload, nowUs: number): UveUpdate {
  return uve(
    'virtual-machine',
    w.vmUuid,
    'UveVirtualMachineAgent',
    {
      vm_name: w.name,
      uuid: w.vmUuid,
      vrouter: w.vrouter,
      interface_list: [vmiUveName(projectOf(ctx, w), w)],
    },
    nowUs,
  );
}

/** The interface and the workload identity behind it: what flows are enriched with. */
export function vmInterfaceUve(ctx: UveContext, w: Workload, c: FabricCondition, nowUs: number): UveUpdate {
  return uve(
    'virtual-machine-interface',
    vmiUveName(projectOf(ctx, w), w),
    'UveVMInterfaceAgent',
    {
      vm_name: w.name,
      vm_uuid: w.vmUuid,
      virtual_network: w.vn,
      ip_address: w.ipv4 ?? '',
      ip6_address: w.ipv6 ?? '',
      vrouter: w.vrouter,
      namespace: w.namespace,
      workload_kind: w.kind,
      labels: { ...w.labels },
      uuid: w.vmiUuid,
      mac_address: macOf(w),
      label: ctx.labels.get(w.vmiUuid) ?? 0,
      active: !c.interfacesDown.get(w.vrouter)?.has(w.vmiUuid),
    },
    nowUs,
  );
}

export function vmiStatsUve(ctx: UveContext, w: Workload, nowUs: number): UveUpdate {
  const c = countersOf(ctx, w);
  return uve(
    'virtual-machine-interface',
    vmiUveName(projectOf(ctx, w), w),
    'VMIStats',
    { in_bytes: c.inBytes, out_bytes: c.outBytes, in_pkts: c.inPkts, out_pkts: c.outPkts },
    nowUs,
    {
      in_bytes: AggType.AGG_SUM,
      out_bytes: AggType.AGG_SUM,
      in_pkts: AggType.AGG_SUM,
      out_pkts: AggType.AGG_SUM,
    },
  );
}

/**
 * Everything one vRouter agent reports, in order: VrouterAgent, NodeStatus, VrouterStatsAgent, one
 * UveVirtualNetworkAgent per VN it hosts workloads of, then per workload its VM, its interface and the
 * interface's stats.
 */
export function vrouterUves(ctx: UveContext, vr: VRouter, c: FabricCondition, nowUs: number): UveUpdate[] {
  const hosted = ctx.topo.workloads.filter((w) => w.vrouter === vr.name);
  const networks = ctx.topo.virtualNetworks.filter((vn) => hosted.some((w) => w.vn === vn.fqName));
  return [
    vrouterAgentUve(ctx, vr, c, nowUs),
    nodeStatusUve(fabricNode(ctx.topo, vr.name), c, nowUs),
    vrouterStatsUve(ctx, vr, nowUs),
    ...networks.map((vn) => virtualNetworkAgentUve(ctx, vr, vn.fqName, nowUs)),
    ...hosted.flatMap((w) => [
      virtualMachineUve(ctx, w, nowUs),
      vmInterfaceUve(ctx, w, c, nowUs),
      vmiStatsUve(ctx, w, nowUs),
    ]),
  ];
}
