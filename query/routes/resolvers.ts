import { z } from 'zod';
import { invalid } from '../../common/errors.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type { QueryResolvers, RouteOp } from '../generated/graphql.js';
import { checkFirst, MAX_POINTS, stepSeconds } from '../shared/arguments.js';
import { parseAddress, parseCidr } from '../../common/sql/cidr.js';
import { cursorCodec } from '../shared/cursor.js';
import { keysetPage } from '../shared/paging.js';
import { resolver } from '../shared/resolve.js';
import { countChangesQuery } from '../../common/sql/route-counts.js';
import { historyQuery, lookupQuery, routesQuery, type PrefixKey, type RoutePosition } from './sql.js';
import {
  MAX_TIME_US,
  MIN_TIME_US,
  microsToRfc3339,
  parseRange,
  parseTime,
  toRfc3339,
} from '../shared/time.js';
import type { TimeRange } from '../../common/sql/time-range.js';

/** Next hops as the queries return them: four parallel arrays. */
interface HopArrays {
  hopTypes: string[];
  hopDestinations: string[];
  hopLabels: number[];
  hopInterfaces: string[];
}

interface Attributes extends HopArrays {
  family: string;
  routePrefix: string;
  protocol: string;
  peer: string;
  localPref: number;
  med: number;
  asPath: string;
  communities: string[];
  originVn: string;
}

interface RouteRow extends Attributes {
  generator: string;
  since: string;
  rank: number;
  net: string;
  bits: number;
}

/** A route event's operation as stored (routes.op) and as the API names it. */
const operations = { add: 'ADD', delete: 'DELETE' } as const satisfies Record<string, RouteOp>;

interface EventRow extends Attributes {
  eventTime: string;
  receivedAt: string;
  generator: string;
  operation: keyof typeof operations;
}

/** Where a listing stands: its instant, so later pages read the same table, and the last row's key. */
interface RouteCursor extends RoutePosition {
  at: number;
}

export function routeResolvers(warehouse: Warehouse): QueryResolvers {
  return {
    routes: resolver('routes', async (args) => {
      checkFirst(args.first);
      const after = args.after ? routeCursor.decode(args.after, 'after') : undefined;
      const atUs = after?.at ?? instant(args.at);
      const within = args.prefix ? prefixKey(args.prefix, 'prefix', false) : undefined;
      const generator = args.generator ?? undefined;
      const page = await keysetPage(
        args.first,
        async (limit) => {
          const query = routesQuery(args.vrf, atUs, limit, { within, generator, after });
          return warehouse.query<RouteRow>(query.sql, query.params);
        },
        (row) => routeCursor.encode({ at: atUs, ...position(row) }),
        (row) => route(args.vrf, row),
      );
      return { at: microsToRfc3339(atUs), ...page };
    }),

    routeLookup: resolver('routeLookup', async (args) =>
      lookupRoute(warehouse, args.vrf, args.address, instant(args.at)),
    ),

    routeHistory: resolver('routeHistory', async (args) => {
      checkFirst(args.first);
      const prefix = prefixKey(args.prefix, 'prefix', true);
      const query = historyQuery(args.vrf, prefix, historyRange(args.from, args.to), args.first);
      const rows = await warehouse.query<EventRow>(query.sql, query.params);
      return rows.map((row) => ({
        ...attributes(args.vrf, row),
        time: toRfc3339(row.eventTime),
        receivedAt: toRfc3339(row.receivedAt),
        generator: row.generator,
        op: operations[row.operation],
      }));
    }),

    routeCounts: resolver('routeCounts', async (args) => {
      const range = parseRange(args.from, args.to);
      const step = stepSeconds(args.step, range.toUs - range.fromUs);
      const boundaries = stepBoundaries(range, step, args.step);
      const query = countChangesQuery(args.vrf ?? [], boundaries.firstUs, boundaries.lastUs, step * 1e6);
      const rows = await warehouse.query<CountRow>(query.sql, query.params);
      return countSeries(rows, boundaries, step);
    }),
  };
}

/** The longest prefix match of an address in a VRF's table at an instant, with every path of it; null when none. */
export async function lookupRoute(warehouse: Warehouse, vrf: string, address: string, atUs: number) {
  const { family } = parseAddress(address, 'address');
  const query = lookupQuery(vrf, atUs, address, family === 4 ? 0 : 1);
  const rows = await warehouse.query<RouteRow>(query.sql, query.params);
  if (rows.length === 0) return null;
  return {
    vrf,
    address,
    at: microsToRfc3339(atUs),
    prefix: rows[0]!.routePrefix,
    paths: rows.map((row) => route(vrf, row)),
  };
}

const instant = (at: string | null | undefined): number => (at ? parseTime(at, 'at') : Date.now() * 1000);

/** A history reaches back to the first stored event unless told otherwise: routes change seldom. */
function historyRange(from: string | null | undefined, to: string | null | undefined): TimeRange {
  if (from) return parseRange(from, to);
  return { fromUs: 0, toUs: to ? parseTime(to, 'to') : Date.now() * 1000 };
}

// Text made of hex digits, dots and colons is meant as an address, so a typo in it is an error
// rather than a silent search for an EVPN route of that name. Every address the CIDR parser takes
// is such text, so other text can only be an EVPN route.
const addressLike = /^[0-9a-f:.]+(\/.*)?$/i;

/** A CIDR given by the user, IPv4 or IPv6; with `evpn`, other text names an EVPN route as stored. */
function prefixKey(text: string, what: string, evpn: boolean): PrefixKey {
  if (evpn && !addressLike.test(text)) return { rank: 2, address: '::', bits: 0, text };
  const { family, address, bits } = parseCidr(text, what);
  return { rank: family === 4 ? 0 : 1, address, bits, text };
}

function nextHops(row: HopArrays) {
  return row.hopTypes.map((tunnelType, i) => ({
    tunnelType,
    destination: row.hopDestinations[i] || null,
    label: row.hopLabels[i] ?? 0,
    interface: row.hopInterfaces[i] ?? '',
  }));
}

function attributes(vrf: string, row: Attributes) {
  return {
    vrf,
    family: row.family,
    prefix: row.routePrefix,
    protocol: row.protocol,
    peer: row.peer,
    localPref: row.localPref,
    med: row.med,
    asPath: row.asPath,
    communities: row.communities,
    originVn: row.originVn,
    nextHops: nextHops(row),
  };
}

const route = (vrf: string, row: RouteRow) => ({
  ...attributes(vrf, row),
  generator: row.generator,
  since: toRfc3339(row.since),
});

const position = (row: RouteRow): RoutePosition => ({
  rank: row.rank,
  net: row.net,
  bits: row.bits,
  name: row.routePrefix,
  protocol: row.protocol,
  peer: row.peer,
  generator: row.generator,
});

const routeCursor = cursorCodec<RouteCursor>(
  z.object({
    at: z
      .int()
      .min(MIN_TIME_US)
      .max(MAX_TIME_US - 1),
    rank: z.int().min(0).max(255),
    // The address goes to the warehouse as an IPv6 parameter: a bad one would fail there, not here.
    net: z.ipv6(),
    bits: z.int().min(0).max(128),
    name: z.string(),
    protocol: z.string(),
    peer: z.string(),
    generator: z.string(),
  }),
);

interface Boundaries {
  firstUs: number;
  /** The end of the range: the last point, a multiple of the step or the partial step under way. */
  lastUs: number;
  stepUs: number;
}

/**
 * The multiples of the step inside [from, to], so points line up across refreshes as Grafana
 * expects, and `to` itself when it is not one: the count now, not only at the last boundary past.
 */
function stepBoundaries(range: TimeRange, step: number, asked: string | null | undefined): Boundaries {
  const stepUs = step * 1e6;
  const firstUs = Math.min(Math.ceil(range.fromUs / stepUs) * stepUs, range.toUs);
  const points = pointTimes({ firstUs, lastUs: range.toUs, stepUs }).length;
  if (points > MAX_POINTS)
    throw invalid(`step: "${asked ?? `${step}s`}" gives more than ${MAX_POINTS} points`);
  return { firstUs, lastUs: range.toUs, stepUs };
}

/** The instants of a series' points: every multiple of the step from the first, then the end. */
function pointTimes(b: Boundaries): number[] {
  const times = [];
  for (let t = b.firstUs; t < b.lastUs && times.length <= MAX_POINTS; t += b.stepUs) times.push(t);
  times.push(b.lastUs);
  return times;
}

interface CountRow {
  vrf: string;
  generator: string;
  point: string;
  delta: string;
}

/** Running sums of the changes booked at each boundary: the count present there, per VRF and generator. */
function countSeries(rows: CountRow[], b: Boundaries, step: number) {
  const changes = new Map<string, { vrf: string; generator: string; byPoint: Map<number, number> }>();
  for (const row of rows) {
    const key = `${row.vrf}\0${row.generator}`;
    if (!changes.has(key)) changes.set(key, { vrf: row.vrf, generator: row.generator, byPoint: new Map() });
    changes.get(key)!.byPoint.set(Number(row.point), Number(row.delta));
  }
  const times = pointTimes(b);
  return [...changes.values()].map(({ vrf, generator, byPoint }) => {
    let count = 0;
    const points = times.map((t) => {
      count += byPoint.get(t) ?? 0;
      return { time: microsToRfc3339(t), value: count };
    });
    return { vrf, generator, step, points };
  });
}
