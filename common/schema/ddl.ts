import { batchColumns } from './catalog/batch.js';
import type { Field, RecordCatalog, RollupLevel } from './catalog/types.js';
import { quoted } from './inserts.js';
import type { Migration, SchemaContext } from './migrations.js';
import { levels, rollupColumns, rollupFields, rollupSelect, SAMPLE_EDGES_SINCE } from './rollups.js';

/** The DDL a migration runs for a kind, derived from its catalog as it stood at that migration. */

export type Column = Pick<Field, 'column' | 'type' | 'codec' | 'recoded' | 'materialized'>;
const definition = (c: Column): string =>
  `${quoted(c.column)} ${c.type}${c.materialized ? ` MATERIALIZED ${c.materialized}` : ''}${c.codec ? ` ${c.codec}` : ''}`;
/** The column as migration `id` left it: with the codec it had then. */
const asOf = (c: Column, id: number): Column =>
  c.recoded && id < c.recoded.since ? { ...c, codec: c.recoded.from } : c;
const bucketTime: Column = { column: 'time', type: "DateTime('UTC')", codec: 'CODEC(DoubleDelta, ZSTD(1))' };

/** The columns of a kind's rows as migration `id` had them: the time, the batch columns, the fields. */
export const rowColumns = (catalog: RecordCatalog, id = Infinity): Column[] =>
  [catalog.time, ...batchColumns, ...catalog.fields.filter((f) => f.since <= id)].map((c) => asOf(c, id));

/** The kind's table with the fields, and the TTL, that migration `id` had. */
export function createTable(catalog: RecordCatalog, id: number): string {
  const { table } = catalog;
  const ttl = table.ttl && (table.ttlSince ?? table.since) <= id;
  return [
    `CREATE TABLE IF NOT EXISTS ${table.name} (\n  ${columnList(rowColumns(catalog, id))}\n)`,
    `ENGINE = ${table.engine}`,
    table.partitionBy && `PARTITION BY ${table.partitionBy}`,
    `ORDER BY ${table.orderBy}`,
    ttl && `TTL ${table.ttl}\nSETTINGS ttl_only_drop_parts = 1`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** Column definitions, one a line. */
export const columnList = (columns: readonly Column[]): string => columns.map(definition).join(',\n  ');

/**
 * The TTL a kind's table gets from migration `id` when it came after the table. A partitioned table
 * drops whole parts, as those created with their TTL do; an unpartitioned one, whose parts mix old
 * and new rows, deletes rows as it merges.
 */
export function setTtl(catalog: RecordCatalog, id: number): string[] {
  const { table } = catalog;
  if (!table.ttl || table.ttlSince !== id) return [];
  const drop = table.partitionBy ? [`ALTER TABLE ${table.name} MODIFY SETTING ttl_only_drop_parts = 1`] : [];
  return [...drop, `ALTER TABLE ${table.name} MODIFY TTL ${table.ttl}`];
}

/** One rollup level's table and the view that feeds it, as of migration `id`. */
export function createRollup(catalog: RecordCatalog, level: RollupLevel, id: number): string[] {
  return [createRollupTable(catalog, level, id), createRollupView(catalog, level, id)];
}

const edgeColumns: Column[] = [
  { column: 'edge', type: 'UInt8' },
  { column: 'version', type: 'UInt64' },
];

function createRollupTable(
  catalog: RecordCatalog,
  level: RollupLevel,
  id: number,
  name = level.table,
): string {
  const merge = catalog.rollup!.merge;
  const sampled = merge.kind === 'last';
  const edges = sampled && id >= SAMPLE_EDGES_SINCE;
  const columns: Column[] = sampled
    ? [
        bucketTime,
        { column: 'sample_time', type: "DateTime64(6, 'UTC')" },
        ...(edges ? edgeColumns : []),
        ...catalog.fields.filter((f) => f.since <= id),
      ]
    : [
        bucketTime,
        ...rollupFields(catalog, id),
        ...Object.keys(merge.measures).map((m) => ({ column: m, type: 'UInt64' })),
      ];
  const engine = sampled
    ? `ReplacingMergeTree(${edges ? 'version' : 'sample_time'})`
    : `SummingMergeTree((${Object.keys(merge.measures).join(', ')}))`;
  const sampledOrder = edges ? catalog.table.orderBy.replace(/\)$/, ', edge)') : catalog.table.orderBy;
  return `CREATE TABLE IF NOT EXISTS ${name} (\n  ${columnList(columns)}\n)
ENGINE = ${engine}
PARTITION BY toYYYYMM(time)
ORDER BY ${sampled ? sampledOrder : `(time, ${rollupColumns(catalog, id)})`}
TTL time + INTERVAL ${level.ttl}
SETTINGS ttl_only_drop_parts = 1`;
}

const createRollupView = (catalog: RecordCatalog, level: RollupLevel, id: number): string =>
  `CREATE MATERIALIZED VIEW IF NOT EXISTS ${level.table}_mv TO ${level.table} AS ${rollupSelect(catalog, level, '1', id)}`;

/**
 * What migration `id` does to a kind whose table came before it: adds the fields declared `since: id`
 * to the table and the tables of its copies and, where a rollup keeps them, to every level (a summed level also groups by them),
 * then replaces the levels' views so they compute the new columns. Migrations run at start, before
 * any writer inserts, so no row passes while a view is replaced.
 */
export function addFields(catalog: RecordCatalog, id: number): string[] {
  const added = catalog.fields.filter((f) => f.since === id);
  if (added.length === 0 || catalog.table.since >= id) return [];
  const copies = (catalog.copies ?? []).filter((copy) => copy.since < id);
  const statements = [catalog.table.name, ...copies.map((copy) => copy.table)].map((t) => alterAdd(t, added));
  const merge = catalog.rollup?.merge;
  const kept = merge?.kind === 'last' ? added : added.filter((f) => f.rollup !== undefined);
  if (kept.length === 0) return statements;
  for (const level of levels(catalog)) {
    const order = merge?.kind === 'sum' ? `, MODIFY ORDER BY (time, ${rollupColumns(catalog, id)})` : '';
    statements.push(alterAdd(level.table, kept) + order);
  }
  for (const level of levels(catalog)) {
    statements.push(`DROP VIEW IF EXISTS ${level.table}_mv`, createRollupView(catalog, level, id));
  }
  return statements;
}

/**
 * What migration `id` does to a kind whose columns it recodes: each takes its new codec, in the table
 * and its copies. Metadata only: new parts are written with it, older ones take it when merged.
 */
export function recodeColumns(catalog: RecordCatalog, id: number): string[] {
  const recoded = rowColumns(catalog).filter((c) => c.recoded?.since === id);
  if (recoded.length === 0 || catalog.table.since >= id) return [];
  const copies = (catalog.copies ?? []).filter((copy) => copy.since < id);
  const modify = recoded.map((c) => `MODIFY COLUMN ${definition(c)}`).join(', ');
  return [catalog.table.name, ...copies.map((copy) => copy.table)].map((t) => `ALTER TABLE ${t} ${modify}`);
}

const alterAdd = (table: string, fields: readonly Field[]): string =>
  `ALTER TABLE ${table} ${fields.map((f) => `ADD COLUMN IF NOT EXISTS ${definition(f)}`).join(', ')}`;

/**
 * Migration SAMPLE_EDGES_SINCE for a last-sample kind: every level rebuilt to keep its buckets'
 * edges (rollups.ts), filled again from its source, finest first (the raw rows still kept give
 * every edge; buckets older than them keep the one sample they had, as their last), then swapped
 * in under its name and fed by its new view. Run at start, before any writer inserts.
 */
export function addSampleEdges(catalog: RecordCatalog, id: number): string[] {
  const all = levels(catalog);
  const kept = catalog.fields.filter((f) => f.since <= id).map((f) => f.column);
  const columns = ['time', 'sample_time', 'edge', 'version', ...kept].join(', ');
  const statements = [...all].reverse().map((level) => `DROP VIEW IF EXISTS ${level.table}_mv`);
  for (const level of all) {
    const rebuilt = `${level.table}_edges`;
    const sourceStart = `SELECT if(count() = 0, toDateTime('2105-01-01', 'UTC'), min(${level.bucket}(time))) FROM ${level.source}`;
    statements.push(
      createRollupTable(catalog, level, id, rebuilt),
      `INSERT INTO ${rebuilt} (${columns}) ${rollupSelect(catalog, level, '1', id)}`,
      `INSERT INTO ${rebuilt} (${columns})
  SELECT time, sample_time, 2, toUInt64(toUnixTimestamp64Micro(sample_time)), ${kept.join(', ')}
  FROM ${level.table} WHERE time < (${sourceStart})`,
      `DROP TABLE IF EXISTS ${level.table}`,
      `RENAME TABLE ${rebuilt} TO ${level.table}`,
    );
  }
  return [...statements, ...all.map((level) => createRollupView(catalog, level, id))];
}

const FOLD_SETTING = 'merge_selector_enable_heuristic_to_remove_small_parts_at_right';

/**
 * ClickHouse's merge selector drops from a range it picked the small parts at its right end (each
 * under 1% of the range). On a table of a few MiB taking small inserts, [the table, n new parts]
 * becomes [the table, one new part], and the table is rewritten n times instead of once (measured:
 * uve_latest's 19.5k rows rewritten 142 times for 150 inserts). Turned off, the new parts merge
 * together first, then into the large one. A server that predates the setting keeps its default.
 */
export const foldSmallPartsFirst = (tables: readonly string[]): Migration['statements'] =>
  tables.map(
    (table) =>
      ({ mergeTreeSettings }: SchemaContext) =>
        mergeTreeSettings.has(FOLD_SETTING)
          ? `ALTER TABLE ${table} MODIFY SETTING ${FOLD_SETTING} = 0`
          : undefined,
  );
