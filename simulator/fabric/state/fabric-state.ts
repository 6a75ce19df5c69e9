import type { RouteEvent, UveUpdate } from '../../../common/proto.js';
import { buildRoutes, routeContext } from './routes.js';
import type { Topology } from '../topology/types.js';
import { controlNodeUves } from './uves/control-node.js';
import { uveContext, vrouterUves, type UveContext } from './uves/vrouter-agent.js';

/**
 * The fabric's state as its generators publish it when they (re)connect: every vRouter agent its
 * UVEs, every control node its UVEs and its routing tables. Derived from the topology alone, so a
 * test (or a check of the warehouse) can predict every record that is sent.
 */
export interface GeneratorState {
  generator: string;
  host: string;
  role: 'vrouter' | 'control';
  uves: UveUpdate[];
  routes: RouteEvent[];
}

/** vRouter agents first (topology order), then the control nodes. */
export function buildFabricState(
  topo: Topology,
  nowUs: number,
  ctx: UveContext = uveContext(topo),
): GeneratorState[] {
  const routes = buildRoutes(topo, nowUs, routeContext(topo));
  return [
    ...topo.vrouters.map((vr): GeneratorState => ({
      generator: vr.generator,
      host: vr.name,
      role: 'vrouter',
      uves: vrouterUves(ctx, vr, nowUs),
      routes: [],
    })),
    ...topo.controlNodes.map((c): GeneratorState => ({
      generator: c.generator,
      host: c.name,
      role: 'control',
      uves: controlNodeUves(topo, c, nowUs),
      routes,
    })),
  ];
}
