import { RouteOp, type RouteEvent, type UveUpdate } from '../../common/proto.js';
import { gatewayRoutes } from './state/routes.js';
import type { ControlNode, Topology, VRouter } from './topology/types.js';
import { bgpPeerUve, bgpRouterStateUve, type BgpPeerStatus } from './state/uves/control-node.js';
import { CONTROL_MODULE, nodeStatusUve, VROUTER_MODULE } from './state/uves/node-status.js';
import { uveContext, type UveContext } from './state/uves/vrouter-agent.js';

/**
 * Faults to play on demand, planned as timed steps of what each generator then publishes (or does to
 * its stream), so that a test can predict every record. Each event ends where it began: the process
 * comes back, the BGP session re-establishes, the vRouter reconnects.
 *
 * - `process-down`: the target's NodeStatus reports its process Non-Functional, then Functional.
 * - `bgp-flap`: a control node's session to the first SDN gateway goes Idle (flap_count + 1, the
 *   gateway's default routes withdrawn from every VRF), then Active, then Established again (the
 *   routes re-added).
 * - `vrouter-disconnect`: the vRouter's stream closes and stays closed, then it reconnects (unacked
 *   batches resent as always) and resyncs what it holds, as a TF generator does after any reconnect.
 * - `vrouter-restart`: the same, and the agent's interface counters start again from one interval.
 */
export const EVENT_KINDS = ['process-down', 'bgp-flap', 'vrouter-disconnect', 'vrouter-restart'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface EventSpec {
  kind: EventKind;
  /** A vRouter or control node host name; see defaultTarget. */
  target?: string;
  /** When it starts, after the fabric state is published. Default: after the previous event + 1 s. */
  atMs?: number;
  /** How long the fault lasts. */
  durationMs?: number;
}

export const DEFAULT_EVENT_DURATION_MS: Readonly<Record<EventKind, number>> = {
  'process-down': 3000,
  'bgp-flap': 2000,
  'vrouter-disconnect': 5000,
  'vrouter-restart': 1000,
};
export const FIRST_EVENT_MS = 1000;
export const EVENT_GAP_MS = 1000;

export interface EventStep {
  /** Since the events' start (when the fabric state was published). */
  atMs: number;
  generator: string;
  uves: UveUpdate[];
  routes: RouteEvent[];
  /** Close the generator's stream and keep it closed this long. */
  disconnectMs?: number;
  /** The vRouter whose interface counters start again from this step on. */
  resetCounters?: string;
}

export interface PlannedEvent {
  kind: EventKind;
  target: string;
  atMs: number;
  durationMs: number;
  steps: EventStep[];
}

/** `process-down,bgp-flap` → kinds, refusing unknown names. */
export function parseEventKinds(text: string): EventKind[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return names.map((name) => {
    const kind = EVENT_KINDS.find((k) => k === name);
    if (!kind) throw new Error(`unknown event "${name}"; events are ${EVENT_KINDS.join(', ')}`);
    return kind;
  });
}

/** process-down: the first vRouter; bgp-flap: the first control node; the others: as named below. */
export function defaultTarget(topo: Topology, kind: EventKind): string {
  const vrouters = topo.vrouters;
  const pick = (i: number): string => vrouters[Math.min(i, vrouters.length - 1)]?.name ?? '';
  switch (kind) {
    case 'process-down':
      return pick(0);
    case 'bgp-flap':
      return topo.controlNodes[0]?.name ?? '';
    case 'vrouter-disconnect':
      return pick(vrouters.length - 1);
    case 'vrouter-restart':
      return pick(1);
  }
}

/** Targets and times filled in: unless given, events run one after the other, a second apart. */
export function scheduleEvents(topo: Topology, specs: readonly EventSpec[]): Required<EventSpec>[] {
  let next = FIRST_EVENT_MS;
  return specs.map((spec) => {
    const atMs = spec.atMs ?? next;
    const durationMs = spec.durationMs ?? DEFAULT_EVENT_DURATION_MS[spec.kind];
    if (!(atMs >= 0) || !(durationMs > 0)) throw new Error(`${spec.kind}: atMs ≥ 0 and durationMs > 0`);
    next = atMs + durationMs + EVENT_GAP_MS;
    return { kind: spec.kind, target: spec.target ?? defaultTarget(topo, spec.kind), atMs, durationMs };
  });
}

interface Plan {
  topo: Topology;
  ctx: UveContext;
  at: (ms: number) => number; // µs timestamp of a step
}

/** Every event's steps, with timestamps startUs + atMs. */
export function planEvents(
  topo: Topology,
  specs: readonly EventSpec[],
  startUs: number,
  ctx: UveContext = uveContext(topo),
): PlannedEvent[] {
  const plan: Plan = { topo, ctx, at: (ms) => startUs + Math.round(ms * 1000) };
  return scheduleEvents(topo, specs).map((e) => ({ ...e, steps: stepsOf(plan, e) }));
}

function stepsOf(plan: Plan, e: Required<EventSpec>): EventStep[] {
  switch (e.kind) {
    case 'process-down':
      return processDown(plan, e);
    case 'bgp-flap':
      return bgpFlap(plan, e);
    case 'vrouter-disconnect':
    case 'vrouter-restart':
      return vrouterDown(plan, e);
  }
}

const step = (atMs: number, generator: string, parts: Partial<EventStep> = {}): EventStep => ({
  atMs,
  generator,
  uves: [],
  routes: [],
  ...parts,
});

function vrouterOf(topo: Topology, e: Required<EventSpec>): VRouter {
  const vr = topo.vrouters.find((v) => v.name === e.target);
  if (!vr) throw new Error(`${e.kind}: no vRouter "${e.target}"`);
  return vr;
}

function controlOf(topo: Topology, e: Required<EventSpec>): ControlNode {
  const c = topo.controlNodes.find((n) => n.name === e.target);
  if (!c) throw new Error(`${e.kind}: no control node "${e.target}"`);
  return c;
}

function processDown(plan: Plan, e: Required<EventSpec>): EventStep[] {
  const { topo, at } = plan;
  const vr = topo.vrouters.find((v) => v.name === e.target);
  const control = vr ? undefined : controlOf(topo, e);
  const node = vr
    ? { type: 'vrouter' as const, name: vr.name, module: VROUTER_MODULE, generator: vr.generator }
    : {
        type: 'control-node' as const,
        name: e.target,
        module: CONTROL_MODULE,
        generator: control?.generator ?? '',
      };
  // The connection a process misses makes it Non-Functional (TF's ConnectionState).
  const missing = vr ? `XMPP:dns-server:${topo.controlNodes[0]?.ip ?? ''}` : 'Database:Cassandra';
  const description = `Number of connections:${vr ? 4 : 3}, Expected:${vr ? 5 : 4} Missing: ${missing}`;
  const end = e.atMs + e.durationMs;
  return [
    step(e.atMs, node.generator, { uves: [nodeStatusUve(node, 'Non-Functional', description, at(e.atMs))] }),
    step(end, node.generator, { uves: [nodeStatusUve(node, 'Functional', '', at(end))] }),
  ];
}

function bgpFlap(plan: Plan, e: Required<EventSpec>): EventStep[] {
  const { topo, at } = plan;
  const control = controlOf(topo, e);
  const gateway = topo.gateways[0];
  if (!gateway) throw new Error('bgp-flap: the topology has no SDN gateway');
  const down = e.atMs;
  const retry = e.atMs + e.durationMs / 2;
  const up = e.atMs + e.durationMs;
  const flap = { flapCount: 1, flapTime: at(down) };
  const peer = (status: Omit<BgpPeerStatus, 'flapCount' | 'flapTime'>, ms: number): UveUpdate =>
    bgpPeerUve(topo, control, gateway, { ...status, ...flap }, at(ms));
  const all = topo.gateways.length;
  return [
    step(down, control.generator, {
      uves: [
        peer({ state: 'Idle', lastState: 'Established', lastStateAt: at(down) }, down),
        bgpRouterStateUve(topo, control, all - 1, at(down)),
      ],
      routes: gatewayRoutes(topo, gateway, RouteOp.DELETE, at(down)),
    }),
    step(retry, control.generator, {
      uves: [peer({ state: 'Active', lastState: 'Idle', lastStateAt: at(retry) }, retry)],
    }),
    step(up, control.generator, {
      uves: [
        peer({ state: 'Established', lastState: 'OpenConfirm', lastStateAt: at(up) }, up),
        bgpRouterStateUve(topo, control, all, at(up)),
      ],
      routes: gatewayRoutes(topo, gateway, RouteOp.ADD, at(up)),
    }),
  ];
}

function vrouterDown(plan: Plan, e: Required<EventSpec>): EventStep[] {
  const vr = vrouterOf(plan.topo, e);
  const end = e.atMs + e.durationMs;
  return [
    // When it comes back, its session resyncs what it holds (StatePlayer.resync).
    step(e.atMs, vr.generator, { disconnectMs: e.durationMs }),
    step(end, vr.generator, e.kind === 'vrouter-restart' ? { resetCounters: vr.name } : {}),
  ];
}
