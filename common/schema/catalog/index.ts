import { flowCatalog } from './flows.js';
import { generatorEventCatalog } from './generator-events.js';
import { interfaceStatsCatalog } from './interface-stats.js';
import { routeCatalog } from './routes.js';
import type { RecordCatalog } from './types.js';
import { uveCatalog } from './uves.js';

export { flowCatalog, generatorEventCatalog, interfaceStatsCatalog, routeCatalog, uveCatalog };

/** Every record kind the writer stores, in the order their tables were created. */
export const catalogs: readonly RecordCatalog[] = [
  flowCatalog,
  uveCatalog,
  generatorEventCatalog,
  routeCatalog,
  interfaceStatsCatalog,
];
