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

/** A level's rows from its source (raw or a finer level), as its view computes them. */
export function rollupSelect(
  catalog: RecordCatalog,
  level: RollupLevel,
  where = '1',
  upTo = Infinity,
): string {
  const bucket = `${level.bucket}(time) AS time`;
  if (catalog.rollup?.merge.kind === 'last') {
    const sampleTime = level.source === catalog.table.name ? 'time' : 'sample_time';
    const columns = catalog.fields.filter((f) => f.since <= upTo).map((f) => f.column);
    return `SELECT ${bucket}, ${sampleTime} AS sample_time, ${columns.join(', ')} FROM ${level.source} WHERE ${where}`;
  }
  const columns = rollupColumns(catalog, upTo);
  return `SELECT ${bucket}, ${columns}, ${measures(catalog, level.source)}
  FROM ${level.source} WHERE ${where}
  GROUP BY time, ${columns}`;
}

/** A kind's rollup levels, finest first (empty when it has none). */
export const levels = (catalog: RecordCatalog): readonly RollupLevel[] => catalog.rollup?.levels ?? [];
