import type { TimeRange } from '../time-range.js';
import { pairedAddress } from '../../schema/addresses.js';
import { flowCatalog } from '../../schema/catalog/index.js';
import { measure } from '../../schema/rollups.js';
import { dimensions, printed, recordColumn, recordColumns, type Dimension } from './fields.js';
import { flowWhere, type FlowCondition, type FlowFilterInput } from './filter.js';
import { chooseTable, metricColumns, rawFlows } from './tables.js';
import { timeCondition, type TimeTable } from '../rollup-tables.js';
import { afterPosition } from '../keyset.js';
import { Params, type TableQuery } from '../params.js';

export type FlowMetric = 'records' | 'bytes' | 'packets';

export interface FlowSelection {
  range: TimeRange;
  filter?: readonly FlowFilterInput[] | null;
  exclude?: readonly FlowFilterInput[] | null;
  /** A condition that must hold too: the filter language's (language/parse.ts). */
  where?: FlowCondition | null;
}

/** Picks the table and builds the WHERE clause shared by every aggregate. */
function scope(selection: FlowSelection, by: readonly string[], stepSeconds?: number) {
  const params = new Params();
  const where = flowWhere(selection.filter, selection.exclude, params, selection.where);
  const table = chooseTable(selection.range, [...where.uses, ...by.map(dimensionOf)], stepSeconds);
  const conditions = `${timeCondition(table, selection.range, params)} AND ${where.sql}`;
  return { params, table, conditions };
}

export function totalsQuery(selection: FlowSelection): TableQuery<TimeTable> {
  const { params, table, conditions } = scope(selection, []);
  const sql = `SELECT ${metricColumns(table)} FROM ${table.name} WHERE ${conditions}`;
  return { sql, params: params.values, table };
}

/** A dimension by its name in `dimensions` (the GraphQL enum FlowDimension lists only these). */
function dimensionOf(name: string): Dimension {
  const dimension = dimensions[name];
  if (!dimension) throw new Error(`no flow dimension ${name}`);
  return dimension;
}

/**
 * The stored columns of the dimensions under fresh names (g0..gN), and the printing of those as the
 * group's keys (k0..kN). Queries group by the stored columns and print only the rows they keep:
 * printing an address for every row read cost more than the grouping itself (4.7× on the top talkers
 * over 10M flows), and a stored value and its print are one to one.
 */
function groupKeys(by: readonly string[]) {
  const columns = by.map(dimensionOf);
  return {
    stored: columns.map((d, i) => `${d.column} AS g${i}`),
    names: columns.map((_, i) => `g${i}`),
    printed: columns.map((d, i) => `${printed(d, `g${i}`)} AS k${i}`),
  };
}

export const flowMetrics: readonly FlowMetric[] = ['records', 'bytes', 'packets'];

/**
 * Whether groups are source and destination address pairs (top talkers) over the raw records: then
 * IPv4 flows, nearly all of a fabric's, are grouped by their stored `ipv4_pair`, one 8-byte key for
 * two 16-byte ones, and the others by the two addresses; each side's top kept, the top of both is the
 * same answer (the pair is one to one with the addresses and orders as they do). Top 10 talkers
 * over 10M flows: 193 against 341 ms (bench/README.md). Rows stored before the column was added
 * compute it when read.
 */
const isAddressPair = (table: TimeTable, by: readonly string[]): boolean =>
  table.name === rawFlows.name && by.length === 2 && by[0] === 'SOURCE_IP' && by[1] === 'DEST_IP';
/** groupKeys' stored g0, g1 of an address pair, from its `ipv4_pair`. */
const pairKeys = [
  `${pairedAddress('ipv4_pair', 'source')} AS g0`,
  `${pairedAddress('ipv4_pair', 'dest')} AS g1`,
];

/**
 * Top groups by one metric; each row has k0..kN (the group's values), `metric` and the other metrics
 * of `measured`. Summing a metric nobody asked for is not free: bytes and packets read three more
 * columns of every raw row (1.2× the time of a records-only top 20 over 10M flows).
 */
export function groupsQuery(
  selection: FlowSelection,
  by: readonly string[],
  metric: FlowMetric,
  top: number,
  measured: readonly FlowMetric[] = flowMetrics,
): TableQuery<TimeTable> {
  const { params, table, conditions } = scope(selection, by);
  const keys = groupKeys(by);
  const groupBy = keys.names.join(', ');
  const metrics = flowMetrics
    .filter((m) => m === metric || measured.includes(m))
    .map((m) => `${metricExpression(table, m)} AS ${m}`);
  const limit = params.add('UInt32', top);
  const select = (stored: readonly string[], where: string, grouped: string) =>
    `SELECT ${[...stored, ...metrics].join(', ')} FROM ${table.name} WHERE ${where}
    ${grouped ? `GROUP BY ${grouped}` : ''} ORDER BY ${metric} DESC ${grouped ? `, ${grouped}` : ''} LIMIT ${limit}`;
  const groups = isAddressPair(table, by)
    ? `SELECT * FROM (
        ${select(pairKeys, `${conditions} AND ipv4_pair != 0`, 'ipv4_pair')}
        UNION ALL ${select(keys.stored, `${conditions} AND ipv4_pair = 0`, groupBy)})
      ORDER BY ${metric} DESC, ${groupBy} LIMIT ${limit}`
    : select(keys.stored, conditions, by.length ? groupBy : '');
  const sql = by.length
    ? `SELECT ${keys.printed.join(', ')}, * EXCEPT (${groupBy}) FROM (${groups})
       ORDER BY ${metric} DESC, ${groupBy}`
    : groups;
  return { sql, params: params.values, table };
}

/**
 * A time series per group: rows (t, k0..kN, value) for the top groups only. The step is given in
 * seconds; buckets start at multiples of the step since the epoch.
 */
export function seriesQuery(
  selection: FlowSelection,
  by: readonly string[],
  metric: FlowMetric,
  top: number,
  stepSeconds: number,
): TableQuery<TimeTable> {
  const { params, table, conditions } = scope(selection, by, stepSeconds);
  const keys = groupKeys(by);
  const columns = by.map((d) => dimensionOf(d).column).join(', ');
  const step = params.add('UInt32', stepSeconds);
  const topGroups = by.length
    ? `AND (${columns}) IN (SELECT ${columns} FROM ${table.name} WHERE ${conditions}
        GROUP BY ${columns} ORDER BY ${metricExpression(table, metric)} DESC LIMIT ${params.add('UInt32', top)})`
    : '';
  const points = `SELECT toUnixTimestamp(toStartOfInterval(time, toIntervalSecond(${step}))) AS t,
      ${keys.stored.map((k) => `${k}, `).join('')}${metricExpression(table, metric)} AS value
    FROM ${table.name} WHERE ${conditions} ${topGroups}
    GROUP BY t${keys.names.map((g) => `, ${g}`).join('')}`;
  const sql = `SELECT t, ${keys.printed.map((k) => `${k}, `).join('')}value FROM (${points}) ORDER BY t`;
  return { sql, params: params.values, table };
}

const metricExpression = (table: TimeTable, metric: FlowMetric): string =>
  measure(flowCatalog, table.name, metric);

/** The position of a record in the newest-first order; unique, so pages neither skip nor repeat. */
export interface FlowCursor {
  time: string;
  generator: string;
  epoch: string;
  seq: string;
  uuid: string;
}

/** What a record's cursor reads besides its API columns: the batch id. */
const batchId = 'toString(batch_epoch) AS epoch, toString(batch_seq) AS seq';

/** The API columns a cursor needs, whatever was asked. */
const cursorFields = ['time', 'generator', 'flowUuid'];

/**
 * The SELECT list of records: the API columns named in `fields` (GraphQL names; every one when not
 * given) and, when `cursor`, those of the cursor. Each column unasked is left unread: the whole list
 * costs 1.3× the eleven columns the README's denied-flows question asks for, over 10M flows, and the
 * cursor's 5% more (51.4 against 49.0 ms, bench/README.md). A list of nothing reads the time.
 */
function flowColumns(fields: readonly string[] | undefined, cursor: boolean): string {
  if (!fields) return `${recordColumns}, ${batchId}`;
  const names = new Set([...(cursor ? cursorFields : []), ...fields]);
  for (const name of names) if (!Object.hasOwn(recordColumn, name)) throw new Error(`no flow column ${name}`);
  if (names.size === 0) names.add('time');
  const columns = [...names].map((name) => recordColumn[name]);
  return (cursor ? [...columns, batchId] : columns).join(', ');
}

/** The newest-first order of records, a unique key; each column with the type its cursor value binds as. */
const order = [
  ['time', "DateTime64(6, 'UTC')"],
  ['generator', 'String'],
  ['batch_epoch', 'UInt64'],
  ['batch_seq', 'UInt64'],
  ['flow_uuid', 'UUID'],
] as const;

/**
 * `limit` records, newest first, starting after `after`: a page and the row that tells if another
 * follows; each with the API columns of `fields` (all when not given) and, unless `cursor` is false,
 * its cursor's.
 */
export function recordsQuery(
  selection: FlowSelection,
  limit: number,
  after?: FlowCursor,
  fields?: readonly string[],
  cursor = true,
): TableQuery<TimeTable> {
  const params = new Params();
  const where = flowWhere(selection.filter, selection.exclude, params, selection.where);
  const table = rawFlows;
  let conditions = `${timeCondition(table, selection.range, params)} AND ${where.sql}`;
  if (after) {
    const position = [after.time, after.generator, after.epoch, after.seq, after.uuid] as const;
    conditions += ` AND ${afterPosition(order, position, 'descending', params)}`;
  }
  const sql = `SELECT ${flowColumns(fields, cursor)} FROM ${table.name} WHERE ${conditions}
    ORDER BY ${order.map(([c]) => `${c} DESC`).join(', ')} LIMIT ${params.add('UInt32', limit)}`;
  return { sql, params: params.values, table };
}
