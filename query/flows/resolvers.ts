import { z } from 'zod';
import { invalid } from '../../common/errors.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import { resolver } from '../shared/resolve.js';
import { checkFirst, checkTop, stepSeconds } from '../shared/arguments.js';
import { cursorCodec } from '../shared/cursor.js';
import { keysetPage } from '../shared/paging.js';
import type { DimensionName } from './sql/dimensions.js';
import type { FlowFilterInput } from './sql/filter.js';
import {
  groupsQuery,
  recordsQuery,
  seriesQuery,
  totalsQuery,
  type FlowCursor,
  type FlowMetric,
  type FlowSelection,
} from './sql/queries.js';
import { parseRange, toRfc3339 } from '../shared/time.js';

interface SelectionArgs {
  from?: string | null;
  to?: string | null;
  filter?: FlowFilterInput[] | null;
  exclude?: FlowFilterInput[] | null;
}

interface GroupArgs extends SelectionArgs {
  by: DimensionName[];
  metric: 'RECORDS' | 'BYTES' | 'PACKETS';
  top: number;
}

type Row = Record<string, string | number>;

const selection = (args: SelectionArgs): FlowSelection => ({
  range: parseRange(args.from, args.to),
  filter: args.filter,
  exclude: args.exclude,
});

const metrics = (row: Row | undefined) => ({
  records: Number(row?.records ?? 0),
  bytes: Number(row?.bytes ?? 0),
  packets: Number(row?.packets ?? 0),
});

const keysOf = (row: Row, count: number): string[] =>
  Array.from({ length: count }, (_, i) => String(row[`k${i}`]));

export function flowResolvers(warehouse: Warehouse) {
  return {
    flows: resolver('flows', async (args: SelectionArgs & { first: number; after?: string | null }) => {
      checkFirst(args.first);
      const scope = selection(args);
      const after = args.after ? flowCursor.decode(args.after, 'after') : undefined;
      return keysetPage(
        args.first,
        async (limit) => {
          const query = recordsQuery(scope, limit, after);
          return warehouse.query<Row>(query.sql, query.params);
        },
        (row) => flowCursor.encode(position(row)),
        flowNode,
      );
    }),

    flowTotals: resolver('flowTotals', async (args: SelectionArgs) => {
      const query = totalsQuery(selection(args));
      const [row] = await warehouse.query<Row>(query.sql, query.params);
      return { ...metrics(row), table: query.table.name };
    }),

    flowGroups: resolver('flowGroups', async (args: GroupArgs) => {
      if (args.by.length === 0) throw invalid('by: name at least one dimension');
      const query = groupsQuery(selection(args), args.by, metricOf(args), checkTop(args.top));
      const rows = await warehouse.query<Row>(query.sql, query.params);
      return {
        table: query.table.name,
        groups: rows.map((r) => ({ keys: keysOf(r, args.by.length), ...metrics(r) })),
      };
    }),

    flowSeries: resolver('flowSeries', async (args: GroupArgs & { step?: string | null }) => {
      const scope = selection(args);
      const step = stepSeconds(args.step, scope.range.toUs - scope.range.fromUs);
      const query = seriesQuery(scope, args.by, metricOf(args), checkTop(args.top), step);
      const rows = await warehouse.query<Row>(query.sql, query.params);
      return { step, table: query.table.name, series: toSeries(rows, args.by.length) };
    }),
  };
}

const metricOf = (args: GroupArgs): FlowMetric => args.metric.toLowerCase() as FlowMetric;

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

function flowNode(row: Row) {
  const teardown = String(row.teardownTime);
  return {
    ...row,
    time: toRfc3339(String(row.time)),
    receivedAt: toRfc3339(String(row.receivedAt)),
    setupTime: toRfc3339(String(row.setupTime)),
    teardownTime: teardown.startsWith('1970-01-01 00:00:00.000000') ? null : toRfc3339(teardown),
    ...Object.fromEntries(['bytes', 'packets', 'diffBytes', 'diffPackets'].map((k) => [k, Number(row[k])])),
  };
}

const flowCursor = cursorCodec<FlowCursor>(
  z.object({ time: z.string(), generator: z.string(), epoch: z.string(), seq: z.string(), uuid: z.string() }),
);

const position = (row: Row): FlowCursor => ({
  time: String(row.time),
  generator: String(row.generator),
  epoch: String(row.epoch),
  seq: String(row.seq),
  uuid: String(row.flowUuid),
});
