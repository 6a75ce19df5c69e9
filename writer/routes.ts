import type { TopicKind } from '../common/bus/bus.js';
import { reloadWorkloadIdentity } from '../common/schema/dictionaries.js';
import { flowRowsInsert } from '../common/schema/flow-rows.js';
import { generatorEventRowsInsert } from '../common/schema/generator-event-rows.js';
import { interfaceStatsRowsInsert } from '../common/schema/interface-stats-rows.js';
import { routeRowsInsert } from '../common/schema/route-rows.js';
import { uveRowsInsert } from '../common/schema/uve-rows.js';
import type { ProtobufInsert, Warehouse } from '../common/warehouse/warehouse.js';

/** Where the writer puts what one topic carries. */
export interface WriterRoute {
  topic: TopicKind;
  insert: ProtobufInsert;
  /** Skip batches the warehouse holds already. Off where a repeat is harmless (session events). */
  dedup: boolean;
  /** Runs once an insert is stored, before the delivery is committed. */
  afterInsert?: (warehouse: Warehouse) => Promise<void>;
}

export const writerRoutes: readonly WriterRoute[] = [
  { topic: 'flows', insert: flowRowsInsert, dedup: true },
  { topic: 'uves', insert: uveRowsInsert, dedup: true, afterInsert: reloadWorkloadIdentity },
  { topic: 'routes', insert: routeRowsInsert, dedup: true },
  { topic: 'ifstats', insert: interfaceStatsRowsInsert, dedup: true },
  {
    topic: 'generators',
    insert: generatorEventRowsInsert,
    dedup: false,
    afterInsert: reloadWorkloadIdentity,
  },
];

export const writerRoute = (topic: TopicKind): WriterRoute => {
  const route = writerRoutes.find((r) => r.topic === topic);
  if (!route) throw new Error(`no writer route for topic ${topic}`);
  return route;
};
