import type { RouteEvent, UveUpdate } from '../../../common/proto.js';
import { buildRoutes, routeContext } from './routes.js';
import type { Topology } from '../topology/types.js';
import { healthyCondition } from './condition.js';
import { configNodeUves } from './uves/config-node.js';
import { controlNodeUves } from './uves/control-node.js';
import { uveContext, vrouterUves, type UveContext } from './uves/vrouter-agent.js';

/**
 * The fabric's state as its generators publish it when they (re)connect: every vRouter agent its
 * UVEs, every control node its UVEs and its routing tables, the config node its own and every node's
 * configuration. Derived from the topology alone, so a test (or a check of the warehouse) can predict
 * every record that is sent. The fabric is healthy: none of TF's system alarms holds over it.
 */
export interface GeneratorState {
  generator: string;
  host: string;
  role: 'vrouter' | 'control' | 'config';
  uves: UveUpdate[];
  routes: RouteEvent[];
}

/** vRouter agents first (topology order), then the control nodes, then the config nodes. */
export function buildFabricState(
  topo: Topology,
  nowUs: number,
  ctx: UveContext = uveContext(topo),
): GeneratorState[] {
  const routes = buildRoutes(topo, nowUs, routeContext(topo));
  const healthy = healthyCondition(nowUs);
  return [
    ...topo.vrouters.map((vr): GeneratorState => ({
      generator: vr.generator,
      host: vr.name,
      role: 'vrouter',
      uves: vrouterUves(ctx, vr, healthy, nowUs),
      routes: [],
    })),
    ...topo.controlNodes.map((c): GeneratorState => ({
      generator: c.generator,
      host: c.name,
      role: 'control',
      uves: controlNodeUves(topo, c, healthy, nowUs),
      routes,
    })),
    ...topo.configNodes.map((c): GeneratorState => ({
      generator: c.generator,
      host: c.name,
      role: 'config',
      uves: configNodeUves(topo, c, healthy, nowUs),
      routes: [],
    })),
  ];
}
