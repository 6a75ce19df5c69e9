import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type { QueryResolvers } from '../generated/graphql.js';
import { checkTop, stepSeconds } from '../shared/arguments.js';
import { resolver } from '../shared/resolve.js';
import { parseRange } from '../shared/time.js';
import { interfaceSeriesQuery, interfaceTotalsQuery } from '../../common/sql/interfaces.js';

interface SeriesRow {
  t: string;
  key: string;
  inBps: number;
  outBps: number;
  inPps: number;
  outPps: number;
  drops: Record<string, number>;
  activeFlows: string;
}

interface TotalsRow {
  inBytes: string;
  outBytes: string;
  inPackets: string;
  outPackets: string;
  drops: Record<string, string>;
}

/** Reasons in name order, so answers compare equal whatever order the engine summed them in. */
const byReason = <R>(
  counts: Record<string, number | string>,
  entry: (reason: string, value: number) => R,
): R[] =>
  Object.keys(counts)
    .sort()
    .map((reason) => entry(reason, Number(counts[reason])));

const total = (counts: Record<string, number | string>): number =>
  Object.values(counts).reduce<number>((n, v) => n + Number(v), 0);

function toPoint(row: SeriesRow) {
  return {
    time: new Date(Number(row.t) * 1000).toISOString(),
    inBytesPerSec: row.inBps,
    outBytesPerSec: row.outBps,
    inPacketsPerSec: row.inPps,
    outPacketsPerSec: row.outPps,
    dropsPerSec: total(row.drops),
    dropsByReason: byReason(row.drops, (reason, perSec) => ({ reason, perSec })),
    activeFlows: Number(row.activeFlows),
  };
}

export function interfaceStatsResolvers(warehouse: Warehouse): QueryResolvers {
  return {
    interfaceSeries: resolver('interfaceSeries', async (args) => {
      const range = parseRange(args.from, args.to);
      const step = stepSeconds(args.step, range.toUs - range.fromUs);
      const query = interfaceSeriesQuery({ range, filter: args.filter }, args.by, checkTop(args.top), step);
      const rows = await warehouse.query<SeriesRow>(query.sql, query.params);
      // Rows come ordered by rank, then time: a Map keeps the groups in that order.
      const series = new Map<string, ReturnType<typeof toPoint>[]>();
      for (const row of rows) {
        const points = series.get(row.key) ?? [];
        points.push(toPoint(row));
        series.set(row.key, points);
      }
      return [...series].map(([key, points]) => ({ key, points }));
    }),

    interfaceTotals: resolver('interfaceTotals', async (args) => {
      const query = interfaceTotalsQuery({ range: parseRange(args.from, args.to), filter: args.filter });
      const [row] = await warehouse.query<TotalsRow>(query.sql, query.params);
      const drops = row?.drops ?? {};
      return {
        inBytes: Number(row?.inBytes ?? 0),
        outBytes: Number(row?.outBytes ?? 0),
        inPackets: Number(row?.inPackets ?? 0),
        outPackets: Number(row?.outPackets ?? 0),
        drops: total(drops),
        dropsByReason: byReason(drops, (reason, count) => ({ reason, count })),
        table: query.table.name,
      };
    }),
  };
}
