import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type { QueryResolvers, WorkloadKind } from '../generated/graphql.js';
import { resolver } from '../shared/resolve.js';
import { lookupWorkloads, type Workload } from './lookup.js';

const kinds = { pod: 'POD', vm: 'VM', service: 'SERVICE' } as const satisfies Record<
  Workload['kind'],
  WorkloadKind
>;

/** A workload as the API shows it. */
export const workloadNode = (w: Workload) => ({ ...w, kind: kinds[w.kind] });

export function workloadResolvers(warehouse: Warehouse): QueryResolvers {
  return {
    workloads: resolver('workloads', async (args) => {
      const answer = await lookupWorkloads(warehouse, args);
      return { ...answer, matches: answer.matches.map(workloadNode) };
    }),
  };
}
