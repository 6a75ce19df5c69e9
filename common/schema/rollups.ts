import type { Field, RecordCatalog, RollupLevel } from './catalog/types.js';

/**
 * What a kind's rollup levels hold and how their views compute it, derived from its catalog. The
 * migrations create the views from here and the crash repair (repair.ts) recomputes exactly what a
 * view would have written.
 */

/** The fields a `sum` rollup keeps and groups by (those marked `rollup` and added by `upTo`). */
export const rollupFields = (catalog: RecordCatalog, upTo = Infinity): Field[] =>
  catalog.fields
    .filter((f) => f.rollup !== undefined && f.since <= upTo)
    .sort((a, b) => a.rollup! - b.rollup!);

/** The columns a `sum` level groups by, comma-separated. */
export const rollupColumns = (catalog: RecordCatalog, upTo = Infinity): string =>
  rollupFields(catalog, upTo)
    .map((f) => f.column)
    .join(', ');

/** One measure of a `sum` family read from `source`: computed on raw rows, summed on a rollup level. */
export function measure(catalog: RecordCatalog, source: string, name: string): string {
  const merge = catalog.rollup?.merge;
  const raw = merge?.kind === 'sum' ? merge.measures[name] : undefined;
  if (raw === undefined) throw new Error(`${catalog.table.name} has no summed measure ${name}`);
  return source === catalog.table.name ? raw : `sum(${name})`;
}

/** Every measure of a `sum` family read from `source`, each under its name. */
export function measures(catalog: RecordCatalog, source: string): string {
  const merge = catalog.rollup?.merge;
  const names = merge?.kind === 'sum' ? Object.keys(merge.measures) : [];
  return names.map((name) => `${measure(catalog, source, name)} AS ${name}`).join(', ');
}

/**
 * From this migration a last-sample level keeps three samples of each bucket, its edges: the first
 * (0), the peak (1) and the last (2). Consecutive samples then give, at any level, what the raw
 * samples give over the same buckets: the increase into the bucket (first), within it (first to
 * last), and across a counter reset inside it (up to the peak, the last sample before the reset,
 * then from zero to the last). Before it, only the last was kept, and its sample time was the
 * bucket's start (`time` named the bucket in its own SELECT): each interface's first bucket and
 * the part of a bucket before a reset were lost.
 */
export const SAMPLE_EDGES_SINCE = 11;

/** The ReplacingMergeTree version that keeps each edge: the earliest, the highest counters, the latest. */
function edgeVersion(peak: readonly string[]): string {
  const micros = 'toUInt64(toUnixTimestamp64Micro(s.time))';
  return `multiIf(edge = 0, 18446744073709551615 - ${micros}, edge = 1, ${peak.map((c) => `s.${c}`).join(' + ')}, ${micros})`;
}

/** A last-sample level's rows, edges kept: every column named by its table (`s.`), never by an alias. */
function edgesSelect(catalog: RecordCatalog, level: RollupLevel, where: string, columns: string[]): string {
  const merge = catalog.rollup?.merge;
  const fields = columns.map((c) => `s.${c} AS ${c}`).join(', ');
  const bucket = `${level.bucket}(s.time) AS time`;
  if (level.source !== catalog.table.name) {
    return `SELECT ${bucket}, s.sample_time AS sample_time, s.edge AS edge, s.version AS version, ${fields}
  FROM ${level.source} AS s WHERE ${where}`;
  }
  const version = edgeVersion(merge?.kind === 'last' ? merge.peak : []);
  return `SELECT ${bucket}, s.time AS sample_time, edge, ${version} AS version, ${fields}
  FROM ${level.source} AS s ARRAY JOIN [0, 1, 2] AS edge WHERE ${where}`;
}

/** A level's rows from its source (raw or a finer level), as its view computes them. */
export function rollupSelect(
  catalog: RecordCatalog,
  level: RollupLevel,
  where = '1',
  upTo = Infinity,
): string {
  const bucket = `${level.bucket}(time) AS time`;
  if (catalog.rollup?.merge.kind === 'last') {
    const columns = catalog.fields.filter((f) => f.since <= upTo).map((f) => f.column);
    if (upTo >= SAMPLE_EDGES_SINCE) return edgesSelect(catalog, level, where, columns);
    const sampleTime = level.source === catalog.table.name ? 'time' : 'sample_time';
    return `SELECT ${bucket}, ${sampleTime} AS sample_time, ${columns.join(', ')} FROM ${level.source} WHERE ${where}`;
  }
  const columns = rollupColumns(catalog, upTo);
  return `SELECT ${bucket}, ${columns}, ${measures(catalog, level.source)}
  FROM ${level.source} WHERE ${where}
  GROUP BY time, ${columns}`;
}

/** A kind's rollup levels, finest first (empty when it has none). */
export const levels = (catalog: RecordCatalog): readonly RollupLevel[] => catalog.rollup?.levels ?? [];
