import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type { QueryResolvers, Resolvers } from '../generated/graphql.js';
import type { QueryContext } from '../index.js';
import { fieldResolver, resolver } from '../shared/resolve.js';
import { parseRange } from '../shared/time.js';
import type { Workload } from '../workloads/lookup.js';
import { workloadNode } from '../workloads/resolvers.js';
import { reachability, type EndpointState } from './answer.js';

/** An endpoint as the API shows it; its alarms are resolved apart (codegen maps ReachabilityEndpoint to it). */
export const endpointNode = (e: EndpointState) => ({
  ...e,
  workload: e.workload && workloadNode(e.workload),
});
export type EndpointNode = ReturnType<typeof endpointNode>;

export function reachabilityResolvers(warehouse: Warehouse): QueryResolvers {
  return {
    reachability: resolver('reachability', async (args) => {
      const answer = await reachability(
        warehouse,
        args.source,
        args.destination,
        parseRange(args.from, args.to),
      );
      const endpoint = (e: (typeof answer)['source']) => ({
        ...e,
        workload: e.workload && workloadNode(e.workload),
      });
      return { ...answer, source: endpoint(answer.source), destination: endpoint(answer.destination) };
    }),
  };
}

/** The UVEs whose alarms an endpoint shows: its vRouter, its interface and its network. */
const endpointUves = (w: Pick<Workload, 'vrouter' | 'vmiUuid' | 'vn'> | null) => [
  ...(w?.vrouter ? [{ uveType: 'vrouter', name: w.vrouter }] : []),
  ...(w?.vmiUuid ? [{ vmiUuid: w.vmiUuid }] : []),
  ...(w?.vn ? [{ uveType: 'virtual-network', name: w.vn }] : []),
];

/** An endpoint's alarms read through the request's alarm loader (one read for both endpoints). */
export const reachabilityTypeResolvers: Resolvers = {
  ReachabilityEndpoint: {
    alarms: fieldResolver('ReachabilityEndpoint.alarms', (e: EndpointNode, context: QueryContext) =>
      context.alarmLinks(endpointUves(e.workload)),
    ),
  },
};

export const REACHABILITY_READS = ['ReachabilityEndpoint.alarms'] as const;
