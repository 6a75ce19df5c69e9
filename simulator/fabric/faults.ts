import { RouteOp, type RouteEvent, type UveUpdate } from '../../common/proto.js';
import {
  coreRemoved,
  processExited,
  processStarted,
  processStopped,
  toggle,
  type FabricCondition,
} from './state/condition.js';
import { fabricNode, type FabricNode } from './state/fabric-nodes.js';
import { gatewayRoutes } from './state/routes.js';
import type { StructRef } from './state/structs.js';
import { bgpPeerUve, type BgpPeerStatus } from './state/uves/control-node.js';
import type { ControlNode, Topology, VRouter } from './topology/types.js';
import type { EventKind, EventSpec } from './events.js';

/**
 * Each event kind as the moments it is made of: what changes in the fabric's condition then (the
 * structs built from it are republished by fabric/events.ts), and what the event does besides — a
 * BGP peering's own records and routes, a stream closed, counters reset.
 */

export interface Phase {
  /** Since the events' start. */
  atMs: number;
  change?: (c: FabricCondition) => void;
  /** The structs the change touches. */
  touches?: StructRef[];
  acts?: Act[];
}

/** What one generator does at a phase besides republishing touched structs. */
export interface Act {
  generator: string;
  uves?: UveUpdate[];
  routes?: RouteEvent[];
  /** Close the generator's stream and keep it closed this long. */
  disconnectMs?: number;
  /** The vRouter whose interface counters start again from here on. */
  resetCounters?: string;
}

export interface FaultPlan {
  topo: Topology;
  /** µs timestamp of a moment `ms` after the events' start. */
  at: (ms: number) => number;
}

type Scheduled = Required<EventSpec>;

export function phasesOf(plan: FaultPlan, e: Scheduled): Phase[] {
  return PHASES[e.kind](plan, e);
}

const PHASES: Readonly<Record<EventKind, (plan: FaultPlan, e: Scheduled) => Phase[]>> = {
  'process-down': processDown,
  'bgp-flap': bgpFlap,
  'vrouter-disconnect': vrouterDown,
  'vrouter-restart': vrouterDown,
  'disk-full': diskFull,
  'core-dump': coreDump,
  'interface-down': interfaceDown,
  'vrouter-limit': vrouterLimit,
};

const half = (e: Scheduled): number => e.atMs + e.durationMs / 2;
const end = (e: Scheduled): number => e.atMs + e.durationMs;

function nodeOf(topo: Topology, e: Scheduled): FabricNode {
  try {
    return fabricNode(topo, e.target);
  } catch {
    throw new Error(`${e.kind}: no node "${e.target}"`);
  }
}

function vrouterOf(topo: Topology, e: Scheduled): VRouter {
  const vr = topo.vrouters.find((v) => v.name === e.target);
  if (!vr) throw new Error(`${e.kind}: no vRouter "${e.target}"`);
  return vr;
}

function controlOf(topo: Topology, e: Scheduled): ControlNode {
  const c = topo.controlNodes.find((n) => n.name === e.target);
  if (!c) throw new Error(`${e.kind}: no control node "${e.target}"`);
  return c;
}

/** The node's main process exits (Non-Functional, process_info EXITED), then its supervisor restarts it. */
function processDown(plan: FaultPlan, e: Scheduled): Phase[] {
  const node = nodeOf(plan.topo, e);
  const touches: StructRef[] = [{ struct: 'NodeStatus', host: node.host }];
  return [
    { atMs: e.atMs, change: (c) => processExited(c, node, node.module, plan.at(e.atMs)), touches },
    { atMs: end(e), change: (c) => processStarted(c, node, node.module, plan.at(end(e))), touches },
  ];
}

/**
 * The main process crashes and is restarted at once, leaving a core file in /var/crashes (TF's core
 * pattern core.<process>.<pid>.<host>.<time>), which an operator removes at the end.
 */
function coreDump(plan: FaultPlan, e: Scheduled): Phase[] {
  const node = nodeOf(plan.topo, e);
  const atUs = plan.at(e.atMs);
  const pid = 1000 + node.index * 113;
  const core = `/var/crashes/core.${node.module}.${pid}.${node.host}.${Math.floor(atUs / 1e6)}`;
  const touches: StructRef[] = [{ struct: 'NodeStatus', host: node.host }];
  const crash = (c: FabricCondition): void => {
    processExited(c, node, node.module, atUs, core);
    processStarted(c, node, node.module, atUs);
  };
  return [
    { atMs: e.atMs, change: crash, touches },
    { atMs: end(e), change: (c) => coreRemoved(c, node, node.module, core), touches },
  ];
}

/** The node's data partition fills: above 70% (high), then above 90% (critical), then cleaned up. */
function diskFull(plan: FaultPlan, e: Scheduled): Phase[] {
  const node = nodeOf(plan.topo, e);
  const touches: StructRef[] = [{ struct: 'NodeStatus', host: node.host }];
  return [
    { atMs: e.atMs, change: (c) => c.diskUsed.set(node.host, 82), touches },
    { atMs: half(e), change: (c) => c.diskUsed.set(node.host, 96), touches },
    { atMs: end(e), change: (c) => c.diskUsed.delete(node.host), touches },
  ];
}

/**
 * The session to the first SDN gateway goes Idle (flap_count + 1, the gateway's default routes
 * withdrawn from every VRF), Active half-way, then Established again with the routes back.
 */
function bgpFlap(plan: FaultPlan, e: Scheduled): Phase[] {
  const { topo, at } = plan;
  const control = controlOf(topo, e);
  const gateway = topo.gateways[0];
  if (!gateway) throw new Error('bgp-flap: the topology has no SDN gateway');
  const flap = { flapCount: 1, flapTime: at(e.atMs) };
  const peer = (status: Omit<BgpPeerStatus, 'flapCount' | 'flapTime'>, ms: number): UveUpdate =>
    bgpPeerUve(topo, control, gateway, { ...status, ...flap }, at(ms));
  const touches: StructRef[] = [{ struct: 'BgpRouterState', host: control.name }];
  const generator = control.generator;
  const [down, retry, up] = [e.atMs, half(e), end(e)];
  return [
    {
      atMs: down,
      change: (c) => toggle(c.bgpDown, control.name, gateway.name, true),
      touches,
      acts: [
        {
          generator,
          uves: [peer({ state: 'Idle', lastState: 'Established', lastStateAt: at(down) }, down)],
          routes: gatewayRoutes(topo, gateway, RouteOp.DELETE, at(down)),
        },
      ],
    },
    {
      atMs: retry,
      acts: [
        { generator, uves: [peer({ state: 'Active', lastState: 'Idle', lastStateAt: at(retry) }, retry)] },
      ],
    },
    {
      atMs: up,
      change: (c) => toggle(c.bgpDown, control.name, gateway.name, false),
      touches,
      acts: [
        {
          generator,
          uves: [peer({ state: 'Established', lastState: 'OpenConfirm', lastStateAt: at(up) }, up)],
          routes: gatewayRoutes(topo, gateway, RouteOp.ADD, at(up)),
        },
      ],
    },
  ];
}

/**
 * The vRouter's stream closes and stays closed, and so do its XMPP sessions: every control node counts
 * one XMPP peer fewer up. When it comes back its session resyncs what it holds (StatePlayer.resync).
 * A restart also stops and starts its agent (process_info) and starts its interface counters again.
 */
function vrouterDown(plan: FaultPlan, e: Scheduled): Phase[] {
  const vr = vrouterOf(plan.topo, e);
  const node = nodeOf(plan.topo, e);
  const restart = e.kind === 'vrouter-restart';
  const controls: StructRef[] = plan.topo.controlNodes.map((c) => ({
    struct: 'BgpRouterState',
    host: c.name,
  }));
  return [
    {
      atMs: e.atMs,
      change: (c) => {
        c.xmppDown.add(vr.name);
        if (restart) processStopped(c, node, node.module, plan.at(e.atMs));
      },
      acts: [{ generator: vr.generator, disconnectMs: e.durationMs }],
      touches: controls,
    },
    {
      atMs: end(e),
      change: (c) => {
        c.xmppDown.delete(vr.name);
        if (restart) processStarted(c, node, node.module, plan.at(end(e)));
      },
      acts: [{ generator: vr.generator, ...(restart ? { resetCounters: vr.name } : {}) }],
      touches: [...(restart ? [{ struct: 'NodeStatus' as const, host: vr.name }] : []), ...controls],
    },
  ];
}

/** The vRouter's first interface goes down (VrouterAgent counts and names it, its VMI inactive), then up. */
function interfaceDown(plan: FaultPlan, e: Scheduled): Phase[] {
  const vr = vrouterOf(plan.topo, e);
  const w = plan.topo.workloads.find((x) => x.vrouter === vr.name);
  if (!w) throw new Error(`interface-down: "${vr.name}" hosts no interface`);
  const touches: StructRef[] = [
    { struct: 'VrouterAgent', host: vr.name },
    { struct: 'UveVMInterfaceAgent', vmiUuid: w.vmiUuid },
  ];
  return [
    { atMs: e.atMs, change: (c) => toggle(c.interfacesDown, vr.name, w.vmiUuid, true), touches },
    { atMs: end(e), change: (c) => toggle(c.interfacesDown, vr.name, w.vmiUuid, false), touches },
  ];
}

/** Next hops the vRouter uses cross the 80% watermark (res_limit), then fill the table, then drop back. */
function vrouterLimit(plan: FaultPlan, e: Scheduled): Phase[] {
  const vr = vrouterOf(plan.topo, e);
  const touches: StructRef[] = [{ struct: 'VrouterAgent', host: vr.name }];
  const resource = 'vr_nexthops';
  return [
    { atMs: e.atMs, change: (c) => c.limits.set(vr.name, { watermark: [resource], full: [] }), touches },
    {
      atMs: half(e),
      change: (c) => c.limits.set(vr.name, { watermark: [resource], full: [resource] }),
      touches,
    },
    { atMs: end(e), change: (c) => c.limits.delete(vr.name), touches },
  ];
}
