import { flowCatalog } from '../../../common/schema/catalog/index.js';
import { measures } from '../../../common/schema/rollups.js';
import type { TimeRange } from '../../shared/time.js';
import { dimensions, type DimensionName } from './dimensions.js';
import { coarsestTable, type TimeTable } from '../../shared/rollup-tables.js';

/** A table that answers flow aggregates: the raw records or a rollup. */
export type FlowTable = TimeTable<'flows' | 'flows_1m' | 'flows_1h'>;

const raw: FlowTable = { name: 'flows', bucketSeconds: 0 };
const rollups: FlowTable[] = [
  { name: 'flows_1h', bucketSeconds: 3600 },
  { name: 'flows_1m', bucketSeconds: 60 },
];

/** The coarsest flow table that answers; every dimension used must be kept by the rollup too. */
export function chooseTable(
  range: TimeRange,
  uses: Iterable<DimensionName>,
  stepSeconds?: number,
): FlowTable {
  if ([...uses].some((d) => !dimensions[d].rollup)) return raw;
  return coarsestTable(raw, rollups, range, stepSeconds);
}

/** records, bytes and packets: counted on raw records (bytes scaled by sampling), summed on rollups. */
export const metricColumns = (table: FlowTable): string => measures(flowCatalog, table.name);
