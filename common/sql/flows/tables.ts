import { flowCatalog } from '../../schema/catalog/index.js';
import { measures } from '../../schema/rollups.js';
import type { TimeRange } from '../time-range.js';
import { coarsestTable, tableFamily, type TimeTable } from '../rollup-tables.js';
import type { Dimension } from './fields.js';

/** A table that answers flow aggregates: the raw records or a rollup. */
const { raw, rollups } = tableFamily(flowCatalog);

/** The raw flow records. */
export const rawFlows: TimeTable = raw;

/** The coarsest flow table that answers; every column used must be kept by the rollup too. */
export function chooseTable(range: TimeRange, uses: Iterable<Dimension>, stepSeconds?: number): TimeTable {
  if ([...uses].some((d) => !d.rollup)) return raw;
  return coarsestTable(raw, rollups, range, stepSeconds);
}

/** records, bytes and packets: counted on raw records (bytes scaled by sampling), summed on rollups. */
export const metricColumns = (table: TimeTable): string => measures(flowCatalog, table.name);
