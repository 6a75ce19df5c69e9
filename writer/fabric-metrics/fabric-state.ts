import { GeneratorEventType, type GeneratorEvent } from '../../common/proto.js';
import type { UveRecord } from '../../common/wire/uve-update.js';
import type { EntityGauge } from './series.js';

/** The gauges the fabric's state sets, one per metric. */
export interface StateGauges {
  generators: EntityGauge;
  vrouter_up: EntityGauge;
  vrouter_xmpp_sessions: EntityGauge;
  vrouter_active_flows: EntityGauge;
  control_bgp_peers: EntityGauge;
  control_bgp_peers_up: EntityGauge;
}

type GeneratorState = 'connected' | 'disconnected' | 'withdrawn';

/** A node's state as its UVE structs told it, and the generator (and when) they came from. */
interface NodeState {
  type: string;
  name: string;
  generator: string;
  /** When the collector received its latest struct (µs): a withdrawal covers what came before it. */
  receivedAt: number;
  values: Map<string, number>;
}

type Attributes = Record<string, unknown>;

/**
 * What the gauges read of each struct, by UVE type and struct: a value per metric, or undefined when
 * the struct does not carry it (a partial update keeps the previous one). TF's names: NodeStatus
 * process_status (Functional), VrouterAgent xmpp_peer_list, VrouterStatsAgent active_flows (or its
 * flow_rate's), BgpRouterState num_bgp_peer / num_up_bgp_peer.
 */
const readers: Record<string, Record<string, Record<string, (a: Attributes) => number | undefined>>> = {
  vrouter: {
    NodeStatus: { functional: (a) => functional(a.process_status) },
    VrouterAgent: {
      vrouter_xmpp_sessions: (a) =>
        Array.isArray(a.xmpp_peer_list)
          ? a.xmpp_peer_list.filter((p: Attributes) => p?.status === true).length
          : undefined,
    },
    VrouterStatsAgent: {
      vrouter_active_flows: (a) => num(a.active_flows) ?? num((a.flow_rate as Attributes)?.active_flows),
    },
  },
  'control-node': {
    BgpRouterState: {
      control_bgp_peers: (a) => num(a.num_bgp_peer),
      control_bgp_peers_up: (a) => num(a.num_up_bgp_peer),
    },
  },
};

/** Whether the gauges read this struct: the others are not decoded. */
export const readsStruct = (type: string, struct: string): boolean => readers[type]?.[struct] !== undefined;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** 1 when every process of the node's module says Functional, 0 when one does not. */
function functional(statuses: unknown): number | undefined {
  if (!Array.isArray(statuses) || statuses.length === 0) return undefined;
  return statuses.every((s: Attributes) => s?.state === 'Functional') ? 1 : 0;
}

/**
 * The fabric's state the gauges describe, kept from the UVEs and generator events the writer stores:
 * per vRouter (up, XMPP sessions, active flows), per control node (BGP peers), per generator its
 * session state. A vRouter is up while its agent's generator is not disconnected and its NodeStatus
 * does not say otherwise; a withdrawn generator's nodes lose their series.
 */
export class FabricState {
  private readonly generators = new Map<string, GeneratorState>();
  private readonly nodes = new Map<string, NodeState>();
  /** A generator's nodes, for its session events. */
  private readonly byGenerator = new Map<string, Set<NodeState>>();

  constructor(private readonly gauges: StateGauges) {}

  uve(generator: string, receivedAt: number, uve: UveRecord): void {
    const fields = readers[uve.type]?.[uve.structType];
    if (!fields) return;
    const node = this.node(uve.type, uve.name, generator);
    node.receivedAt = receivedAt;
    const attributes = uve.deleted ? {} : (JSON.parse(uve.attributesJson || '{}') as Attributes);
    for (const [field, read] of Object.entries(fields)) {
      const value = uve.deleted ? undefined : read(attributes);
      if (uve.deleted) node.values.delete(field);
      else if (value !== undefined) node.values.set(field, value);
    }
    this.export(node);
  }

  generatorEvent(event: GeneratorEvent): void {
    const state = stateOf[event.event];
    if (!state) return;
    this.generators.set(event.generator, state);
    const nodeType = event.generator.split(':')[1] ?? '';
    this.gauges.generators.set(event.generator, { node_type: nodeType, state }, 1);
    for (const node of [...(this.byGenerator.get(event.generator) ?? [])]) {
      // Parts received after the withdrawal (the generator is back) stay.
      if (state === 'withdrawn' && node.receivedAt < Number(event.time)) node.values.clear();
      this.export(node);
    }
  }

  /** The node's state, told by `generator` from now on. */
  private node(type: string, name: string, generator: string): NodeState {
    const id = `${type}\u0000${name}`;
    let node = this.nodes.get(id);
    if (node?.generator !== generator) {
      if (node) this.byGenerator.get(node.generator)?.delete(node);
      node ??= { type, name, generator, receivedAt: 0, values: new Map() };
      node.generator = generator;
      this.nodes.set(id, node);
      const nodes = this.byGenerator.get(generator) ?? new Set();
      this.byGenerator.set(generator, nodes.add(node));
    }
    return node;
  }

  /** Sets or removes the node's series from what it holds now; a node holding nothing is forgotten. */
  private export(node: NodeState): void {
    const { type, name, values } = node;
    if (values.size === 0) {
      this.nodes.delete(`${type}\u0000${name}`);
      this.byGenerator.get(node.generator)?.delete(node);
    }
    if (type === 'vrouter') {
      const labels = { vrouter: name };
      const up = this.generators.get(node.generator) !== 'disconnected' && values.get('functional') !== 0;
      this.put('vrouter_up', name, labels, values.size > 0 ? Number(up) : undefined);
      this.put('vrouter_xmpp_sessions', name, labels, values.get('vrouter_xmpp_sessions'));
      this.put('vrouter_active_flows', name, labels, values.get('vrouter_active_flows'));
    } else {
      const labels = { control_node: name };
      this.put('control_bgp_peers', name, labels, values.get('control_bgp_peers'));
      this.put('control_bgp_peers_up', name, labels, values.get('control_bgp_peers_up'));
    }
  }

  private put(
    metric: Exclude<keyof StateGauges, 'generators'>,
    entity: string,
    labels: Record<string, string>,
    value: number | undefined,
  ): void {
    if (value === undefined) this.gauges[metric].remove(entity);
    else this.gauges[metric].set(entity, labels, value);
  }
}

const stateOf: Partial<Record<GeneratorEventType, GeneratorState>> = {
  [GeneratorEventType.CONNECTED]: 'connected',
  [GeneratorEventType.DISCONNECTED]: 'disconnected',
  [GeneratorEventType.WITHDRAWN]: 'withdrawn',
};
