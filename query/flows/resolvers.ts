import type { GraphQLResolveInfo } from 'graphql';
import { z } from 'zod';
import { invalid } from '../../common/errors.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type { FlowMetric as MetricName, QueryFlowTotalsArgs, QueryResolvers } from '../generated/graphql.js';
import { checkFirst, checkTop, stepSeconds } from '../shared/arguments.js';
import { cursorCodec } from '../shared/cursor.js';
import { keysetPage } from '../shared/paging.js';
import { resolver } from '../shared/resolve.js';
import { selectedFields } from '../shared/selection.js';
import {
  flowMetrics,
  groupsQuery,
  recordsQuery,
  seriesQuery,
  totalsQuery,
  type FlowCursor,
  type FlowMetric,
  type FlowSelection,
} from '../../common/sql/flows/queries.js';
import { parseFlowFilter } from '../../common/sql/flows/language/parse.js';
import { recordColumn } from '../../common/sql/flows/fields.js';
import { parseRange } from '../shared/time.js';
import { flowNode } from './fields.js';

type Row = Record<string, string | number>;

/**
 * A flow as the API shows it: a record row with times as RFC 3339 and counters as numbers. Its keys
 * are flowColumns' aliases, which are the Flow type's field names, so codegen maps Flow to this
 * (query/codegen.yml) rather than checking the fields one by one.
 */
export type FlowNode = Readonly<Record<string, unknown>>;

/** A group and a series as the resolvers make them: `by` lets their rule keys be resolved (rules.ts). */
export interface FlowGroupNode {
  keys: string[];
  by: readonly string[];
  records: number;
  bytes: number;
  packets: number;
}
export interface FlowSeriesNode {
  keys: string[];
  by: readonly string[];
  points: { time: string; value: number }[];
}

/** What every flow field selects by: the range, filters and excludes, and the filter language's where. */
const selection = (args: QueryFlowTotalsArgs): FlowSelection => ({
  range: parseRange(args.from, args.to),
  filter: args.filter,
  exclude: args.exclude,
  where: args.where ? parseFlowFilter(args.where) : undefined,
});

const metrics = (row: Row | undefined) => ({
  records: Number(row?.records ?? 0),
  bytes: Number(row?.bytes ?? 0),
  packets: Number(row?.packets ?? 0),
});

const keysOf = (row: Row, count: number): string[] =>
  Array.from({ length: count }, (_, i) => String(row[`k${i}`]));

export function flowResolvers(warehouse: Warehouse): QueryResolvers {
  return {
    flows: resolver('flows', async (args, info) => {
      checkFirst(args.first);
      const scope = selection(args);
      const after = args.after ? flowCursor.decode(args.after, 'after') : undefined;
      const columns = askedColumns(info);
      const cursorAsked = isCursorAsked(info);
      return keysetPage(
        args.first,
        async (limit) => {
          const query = recordsQuery(scope, limit, after, columns, cursorAsked);
          return warehouse.query<Row>(query.sql, query.params);
        },
        // Unasked, the rows carry no cursor columns, and what stands in for a cursor is never sent.
        cursorAsked ? (row) => flowCursor.encode(position(row)) : () => '',
        flowNode,
      );
    }),

    flowTotals: resolver('flowTotals', async (args) => {
      const query = totalsQuery(selection(args));
      const [row] = await warehouse.query<Row>(query.sql, query.params);
      return { ...metrics(row), table: query.table.name };
    }),

    flowGroups: resolver('flowGroups', async (args, info) => {
      if (args.by.length === 0) throw invalid('by: name at least one dimension');
      const asked = selectedFields(info, ['groups']);
      const measured = flowMetrics.filter((m) => asked.has(m));
      const metric = metricColumns[args.metric];
      const query = groupsQuery(selection(args), args.by, metric, checkTop(args.top), measured);
      const rows = await warehouse.query<Row>(query.sql, query.params);
      return {
        table: query.table.name,
        groups: rows.map((r) => ({ keys: keysOf(r, args.by.length), by: args.by, ...metrics(r) })),
      };
    }),

    flowSeries: resolver('flowSeries', async (args) => {
      const scope = selection(args);
      const step = stepSeconds(args.step, scope.range.toUs - scope.range.fromUs);
      const query = seriesQuery(scope, args.by, metricColumns[args.metric], checkTop(args.top), step);
      const rows = await warehouse.query<Row>(query.sql, query.params);
      const series = toSeries(rows, args.by.length).map((one) => ({ ...one, by: args.by }));
      return { step, table: query.table.name, series };
    }),
  };
}

/** Flow fields resolved from one column of the record (rules.ts): the column they need. */
const ruleColumns: Readonly<Record<string, string>> = { sgRule: 'sgRuleUuid', nwAce: 'nwAceUuid' };

/**
 * The columns the nodes of a page need: those asked, and the rule uuids of the rules asked; all of
 * them (undefined) when a field asked reads more of the record (Flow.alarms) or is not known here.
 */
function askedColumns(info: GraphQLResolveInfo): string[] | undefined {
  const columns: string[] = [];
  for (const field of selectedFields(info, ['edges', 'node'])) {
    if (field === '__typename') continue;
    if (Object.hasOwn(recordColumn, field)) columns.push(field);
    else if (Object.hasOwn(ruleColumns, field)) columns.push(ruleColumns[field]!);
    else return undefined;
  }
  return columns;
}

/** Whether the request reads a cursor of the page: an edge's, or the end's to ask for the next page. */
const isCursorAsked = (info: GraphQLResolveInfo): boolean =>
  selectedFields(info, ['edges']).has('cursor') || selectedFields(info, ['pageInfo']).has('endCursor');

/** The metric the API names, as the queries sum it. */
const metricColumns = {
  RECORDS: 'records',
  BYTES: 'bytes',
  PACKETS: 'packets',
} as const satisfies Record<MetricName, FlowMetric>;

function toSeries(rows: Row[], keyCount: number) {
  const byKey = new Map<string, { keys: string[]; points: { time: string; value: number }[] }>();
  for (const row of rows) {
    const keys = keysOf(row, keyCount);
    const id = JSON.stringify(keys);
    if (!byKey.has(id)) byKey.set(id, { keys, points: [] });
    const time = new Date(Number(row.t) * 1000).toISOString();
    byKey.get(id)!.points.push({ time, value: Number(row.value) });
  }
  return [...byKey.values()];
}

/** A real instant: the date and time read back as written (no 2026-02-31, no 25:00). */
const isCalendarTime = (text: string): boolean => {
  const ms = Date.parse(`${text.slice(0, 19).replace(' ', 'T')}Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === text.slice(0, 19).replace(' ', 'T');
};

const uint64 = z
  .string()
  .regex(/^\d{1,20}$/)
  .refine((text) => BigInt(text) < 2n ** 64n);

const flowCursor = cursorCodec<FlowCursor>(
  // Each value binds to a typed parameter (DateTime64, UInt64, UUID): one the type cannot hold is refused here.
  z.object({
    time: z
      .string()
      .regex(/^(19[7-9]\d|2[01]\d\d)-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?$/)
      .refine((text) => isCalendarTime(text)),
    generator: z.string(),
    epoch: uint64,
    seq: uint64,
    uuid: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i),
  }),
);

const position = (row: Row): FlowCursor => ({
  time: String(row.time),
  generator: String(row.generator),
  epoch: String(row.epoch),
  seq: String(row.seq),
  uuid: String(row.flowUuid),
});
