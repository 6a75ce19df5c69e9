import type { TopicKind } from '../common/bus/bus.js';
import { mayChangeWorkloadIdentity, reloadWorkloadIdentity } from '../common/schema/dictionaries.js';
import {
  flowCatalog,
  generatorEventCatalog,
  interfaceStatsCatalog,
  routeCatalog,
  uveCatalog,
} from '../common/schema/catalog/index.js';
import { rowsInsert } from '../common/schema/inserts.js';
import type { ProtobufInsert, Warehouse } from '../common/warehouse/warehouse.js';

/** Where the writer puts what one topic carries. */
export interface WriterRoute {
  topic: TopicKind;
  insert: ProtobufInsert;
  /** Skip batches the warehouse holds already. Off where a repeat is harmless (session events). */
  dedup: boolean;
  /** Runs once a delivery's batches (their bus values) are stored, before the delivery is committed. */
  afterInsert?: (warehouse: Warehouse, stored: readonly Buffer[]) => Promise<void>;
}

export const writerRoutes: readonly WriterRoute[] = [
  { topic: 'flows', insert: rowsInsert(flowCatalog), dedup: true },
  {
    topic: 'uves',
    insert: rowsInsert(uveCatalog),
    dedup: true,
    afterInsert: async (warehouse, stored) => {
      if (mayChangeWorkloadIdentity(stored)) await reloadWorkloadIdentity(warehouse);
    },
  },
  { topic: 'routes', insert: rowsInsert(routeCatalog), dedup: true },
  { topic: 'ifstats', insert: rowsInsert(interfaceStatsCatalog), dedup: true },
  {
    topic: 'generators',
    insert: rowsInsert(generatorEventCatalog),
    dedup: false,
    afterInsert: reloadWorkloadIdentity,
  },
];

export const writerRoute = (topic: TopicKind): WriterRoute => {
  const route = writerRoutes.find((r) => r.topic === topic);
  if (!route) throw new Error(`no writer route for topic ${topic}`);
  return route;
};
