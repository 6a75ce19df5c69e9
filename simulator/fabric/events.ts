import type { RouteEvent, UveUpdate } from '../../common/proto.js';
import { phasesOf, type Phase } from './faults.js';
import { healthyCondition, type FabricCondition } from './state/condition.js';
import { rebuild } from './state/structs.js';
import { uveContext, type UveContext } from './state/uves/vrouter-agent.js';
import type { Topology } from './topology/types.js';

/**
 * Faults to play on demand, planned as timed steps of what each generator then publishes (or does to
 * its stream), so that a test can predict every record. Each event ends where it began. Every kind is
 * made of phases (fabric/faults.ts) that change the fabric's condition; the structs a phase touches
 * are republished as the condition then has them, so events that overlap compose.
 *
 * - `process-down`: the node's main process exits (process_info EXITED, process_status
 *   Non-Functional), then its supervisor starts it again.
 * - `bgp-flap`: a control node's session to the first SDN gateway goes Idle (one BGP peer fewer up,
 *   flap_count + 1, the gateway's default routes withdrawn from every VRF), then Active, then
 *   Established again (the routes re-added).
 * - `vrouter-disconnect`: the vRouter's stream closes and stays closed (the control nodes count one
 *   XMPP peer fewer up), then it reconnects (unacked batches resent as always) and resyncs what it
 *   holds, as a TF generator does after any reconnect.
 * - `vrouter-restart`: the same, and the agent restarts: process_info counts a stop and a start, and
 *   its interface counters start again from one interval.
 * - `disk-full`: the node's data partition goes above 70%, then above 90%, then back.
 * - `core-dump`: the node's main process crashes and is restarted at once, leaving a core file, which
 *   is removed at the end.
 * - `interface-down`: the vRouter's first interface goes down, then up.
 * - `vrouter-limit`: the vRouter's next hops cross their watermark, then fill the table, then drop.
 */
export const EVENT_KINDS = [
  'process-down',
  'bgp-flap',
  'vrouter-disconnect',
  'vrouter-restart',
  'disk-full',
  'core-dump',
  'interface-down',
  'vrouter-limit',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface EventSpec {
  kind: EventKind;
  /** A vRouter, control node or config node host name; see defaultTarget. */
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
  'disk-full': 4000,
  'core-dump': 3000,
  'interface-down': 2000,
  'vrouter-limit': 2000,
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
  /** In time order; a phase that concerns several generators is a step per generator. */
  steps: EventStep[];
}

/** `process-down,bgp-flap@control-2` → specs: each event's kind, and its target when named after `@`. */
export function parseEvents(text: string): EventSpec[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.map((item) => {
    const [name = '', target, ...rest] = item.split('@').map((s) => s.trim());
    const kind = EVENT_KINDS.find((k) => k === name);
    if (!kind) throw new Error(`unknown event "${name}"; events are ${EVENT_KINDS.join(', ')}`);
    if (target === '' || rest.length > 0) throw new Error(`"${item}": name one host after @`);
    return target === undefined ? { kind } : { kind, target };
  });
}

/**
 * process-down, interface-down, vrouter-limit: the first vRouter; bgp-flap: the first control node;
 * core-dump: the last control node; disk-full: the config node; the others as below.
 */
export function defaultTarget(topo: Topology, kind: EventKind): string {
  const vrouters = topo.vrouters;
  const pick = (i: number): string => vrouters[Math.min(i, vrouters.length - 1)]?.name ?? '';
  switch (kind) {
    case 'process-down':
    case 'interface-down':
    case 'vrouter-limit':
      return pick(0);
    case 'bgp-flap':
      return topo.controlNodes[0]?.name ?? '';
    case 'core-dump':
      return topo.controlNodes.at(-1)?.name ?? '';
    case 'disk-full':
      return topo.configNodes[0]?.name ?? '';
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

/**
 * Every event's steps, with timestamps startUs + atMs. The fabric was healthy, its state first
 * published at `sinceUs` (the processes' start times count from it); the events' phases are applied
 * in time order.
 */
export function planEvents(
  topo: Topology,
  specs: readonly EventSpec[],
  startUs: number,
  ctx: UveContext = uveContext(topo),
  sinceUs: number = startUs,
): PlannedEvent[] {
  const at = (ms: number): number => startUs + Math.round(ms * 1000);
  const scheduled = scheduleEvents(topo, specs);
  const phases = scheduled
    .flatMap((e, event) => phasesOf({ topo, at }, e).map((phase) => ({ event, phase })))
    .sort((a, b) => a.phase.atMs - b.phase.atMs);
  const condition = healthyCondition(sinceUs);
  const steps: EventStep[][] = scheduled.map(() => []);
  for (const { event, phase } of phases) {
    phase.change?.(condition);
    steps[event]?.push(...stepsOf(ctx, condition, phase, at(phase.atMs)));
  }
  return scheduled.map((e, i) => ({ ...e, steps: steps[i] ?? [] }));
}

/** One step per generator concerned: its acts, then the touched structs it publishes. */
function stepsOf(ctx: UveContext, c: FabricCondition, phase: Phase, atUs: number): EventStep[] {
  const steps = new Map<string, EventStep>();
  const stepOf = (generator: string): EventStep => {
    const step = steps.get(generator) ?? { atMs: phase.atMs, generator, uves: [], routes: [] };
    steps.set(generator, step);
    return step;
  };
  for (const { generator, uves = [], routes = [], disconnectMs, resetCounters } of phase.acts ?? []) {
    const step = stepOf(generator);
    step.uves.push(...uves);
    step.routes.push(...routes);
    if (disconnectMs !== undefined) step.disconnectMs = disconnectMs;
    if (resetCounters !== undefined) step.resetCounters = resetCounters;
  }
  for (const ref of phase.touches ?? []) {
    const { generator, uve } = rebuild(ctx, c, ref, atUs);
    stepOf(generator).uves.push(uve);
  }
  return [...steps.values()];
}
