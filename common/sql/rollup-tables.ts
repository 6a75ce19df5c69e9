import type { RecordCatalog } from '../schema/catalog/types.js';
import { levels } from '../schema/rollups.js';
import type { TimeRange } from './time-range.js';
import type { Params } from './params.js';

/** A table that answers over time: raw rows (`bucketSeconds` 0) or a rollup with `bucketSeconds` resolution. */
export interface TimeTable {
  name: string;
  bucketSeconds: number;
}

/** A kind's raw table and its rollup levels, coarsest first, as the catalog declares them. */
export function tableFamily(catalog: RecordCatalog): { raw: TimeTable; rollups: TimeTable[] } {
  return {
    raw: { name: catalog.table.name, bucketSeconds: 0 },
    rollups: levels(catalog)
      .map((level) => ({ name: level.table, bucketSeconds: level.bucketSeconds }))
      .reverse(),
  };
}

/** A rollup is used only when the range spans this many of its buckets, so widening a range to whole buckets moves it by little. */
const MIN_BUCKETS = 60;

/**
 * The coarsest of `rollups` (coarsest first) that answers, else `raw`: the range must span enough
 * buckets, and a series step must be a whole number of buckets. Akvorado's console makes the same
 * choice; a rollup answer covers the range widened to whole buckets.
 */
export function coarsestTable<T extends TimeTable>(
  raw: T,
  rollups: readonly T[],
  range: TimeRange,
  stepSeconds?: number,
): T {
  const spanSeconds = (range.toUs - range.fromUs) / 1e6;
  const fits = (t: T): boolean =>
    spanSeconds >= t.bucketSeconds * MIN_BUCKETS &&
    (stepSeconds === undefined || stepSeconds % t.bucketSeconds === 0);
  return rollups.find(fits) ?? raw;
}

/** The time condition on a table; for a rollup the range is widened to whole buckets. */
export function timeCondition(table: TimeTable, range: TimeRange, params: Params): string {
  if (table.bucketSeconds === 0) {
    const from = params.add('Int64', range.fromUs);
    const to = params.add('Int64', range.toUs);
    return `time >= fromUnixTimestamp64Micro(${from}, 'UTC') AND time < fromUnixTimestamp64Micro(${to}, 'UTC')`;
  }
  const bucket = table.bucketSeconds;
  const from = Math.floor(range.fromUs / 1e6 / bucket) * bucket;
  const to = Math.ceil(range.toUs / 1e6 / bucket) * bucket;
  return `time >= toDateTime(${params.add('UInt32', from)}, 'UTC') AND time < toDateTime(${params.add('UInt32', to)}, 'UTC')`;
}
