import { RouteOp, type RouteEvent, type UveUpdate } from '../../common/proto.js';

/**
 * What one generator currently holds: its newest UVE structs and the routes it has added and not
 * deleted. A Tungsten Fabric generator resends exactly this after every reconnect (its sync), so
 * the collector can rebuild its part of every UVE whatever it withdrew meanwhile.
 */
export class HeldState {
  private readonly uves = new Map<string, UveUpdate>();
  private readonly routes = new Map<string, RouteEvent>();

  hold(uves: readonly UveUpdate[], routes: readonly RouteEvent[]): void {
    for (const uve of uves) {
      const key = `${uve.type}\0${uve.name}\0${uve.structType}`;
      if (uve.deleted) this.uves.delete(key);
      else this.uves.set(key, uve);
    }
    for (const route of routes) {
      const key = `${route.routingInstance}\0${route.prefix}\0${route.protocol}\0${route.peer}`;
      if (route.op === RouteOp.DELETE) this.routes.delete(key);
      else this.routes.set(key, route);
    }
  }

  snapshot(): { uves: UveUpdate[]; routes: RouteEvent[] } {
    return { uves: [...this.uves.values()], routes: [...this.routes.values()] };
  }
}
