import { latestWithdrawals } from '../../common/schema/views.js';
import type { TimeRange } from '../shared/time.js';
import { printedAddress } from '../shared/addresses.js';
import { afterPosition } from '../shared/paging.js';
import { Params, type BuiltQuery } from '../shared/params.js';

/**
 * The `routes` table holds events; the table of a VRF at an instant is derived from them. A path is
 * (prefix, protocol, peer) in a VRF as one generator holds it — every control node keeps its own
 * table, as in Tungsten Fabric — and its latest event at or before the instant decides: an add puts
 * it in the table with that event's next hops and attributes, a delete takes it out.
 */

/** A prefix as the queries take it, already checked: IPv4 lengths are counted in the IPv6 space (+96). */
export interface PrefixKey {
  /** 0 IPv4, 1 IPv6, 2 anything else (EVPN route strings), as in `key_rank`. */
  rank: 0 | 1 | 2;
  address: string;
  bits: number;
  /** The text itself, for EVPN routes, matched as it is. */
  text: string;
}

/** Where a listing stopped: the sort key of its last row, so the next page starts right after it. */
export interface RoutePosition {
  rank: number;
  net: string;
  bits: number;
  name: string;
  protocol: string;
  peer: string;
  generator: string;
}

/** A path's key, the order of a listing; each column with the type its cursor value binds as. */
const key = [
  ['key_rank', 'UInt8'],
  ['key_net', 'IPv6'],
  ['key_bits', 'UInt8'],
  ['key_name', 'String'],
  ['protocol', 'String'],
  ['peer', 'String'],
  ['generator', 'String'],
] as const;
const keyColumns = key.map(([column]) => column);
/**
 * The order of a path's events, and the clock of `at`: when the collector received them. A generator
 * resyncing its table after a reconnect resends records with their old timestamps; on the collector's
 * clock they take effect when they arrive, and compare with withdrawals on one clock.
 */
const versionColumns = ['received_at', 'time', 'batch_epoch', 'batch_seq'];

/**
 * Events with a canonical key for their prefix. Senders may write a prefix with host bits set or IPv6
 * in capitals; both name one prefix, so paths are keyed by the network and its length, and ordered
 * numerically (IPv4, then IPv6, then EVPN by text) rather than as strings, where 9.0.0.0/8 would
 * follow 10.0.0.0/8. EVPN routes keep their text even when it looks like a CIDR; `OrZero` and
 * `ifNull` keep their strings from failing the parse.
 */
const keyedEvents = (columns: string, where: string): string => `SELECT ${columns},
    splitByChar('/', prefix) AS key_parts,
    ifNull(toUInt8OrNull(key_parts[2]), 255) AS key_length,
    multiIf(family = 'evpn' OR length(key_parts) != 2, 2, isIPv4String(key_parts[1]) AND key_length <= 32, 0,
      isIPv6String(key_parts[1]) AND key_length <= 128, 1, 2) AS key_rank,
    toUInt8(if(key_rank = 2, 0, key_length + if(key_rank = 0, 96, 0))) AS key_bits,
    if(key_rank = 2, toIPv6('::'), tupleElement(IPv6CIDRToRange(toIPv6OrZero(key_parts[1]), key_bits), 1)) AS key_net,
    if(key_rank = 2, prefix, concat(${printedAddress('key_net')}, '/', toString(key_length))) AS key_name
  FROM routes WHERE ${where}`;

const eventColumns = [
  'time',
  'received_at',
  'batch_epoch',
  'batch_seq',
  'generator',
  'routing_instance',
  'family',
  'prefix',
  'op',
  'next_hops.tunnel_type',
  'next_hops.destination',
  'next_hops.label',
  'next_hops.interface',
  'protocol',
  'peer',
  'local_pref',
  'med',
  'as_path',
  'communities',
  'origin_vn',
]
  .map((c) => `\`${c}\``)
  .join(', ');

/** Next hops as four parallel arrays, read by `column(field)`; a local next hop has no destination (stored as ::). */
const hopColumns = (column: (field: string) => string): string => `${column('tunnel_type')} AS hopTypes,
  arrayMap(d -> if(d = toIPv6('::'), '', ${printedAddress('d')}), ${column('destination')}) AS hopDestinations,
  ${column('label')} AS hopLabels, ${column('interface')} AS hopInterfaces`;

const instant = (params: Params, atUs: number): string =>
  `fromUnixTimestamp64Micro(${params.add('Int64', atUs)}, 'UTC')`;

/**
 * The paths present in `vrf` at `atUs`, restricted by `keyCondition` on the key columns, as their
 * latest events. The condition reads only the key, so it keeps or leaves whole paths before the
 * latest event of each is picked. LIMIT 1 BY after sorting newest first takes a path's latest event
 * with all its columns at once: twice as fast as one argMax per column on 500k events. A generator
 * withdrawn (gone past its grace period) takes its table along, as its UVE parts: its paths count
 * again only once it resends them (both times on the collector's clock).
 */
function pathsAt(params: Params, vrf: string, atUs: number, keyCondition: string): string {
  const at = instant(params, atUs);
  const where = `routing_instance = ${params.add('String', vrf)} AND received_at <= ${at}`;
  const newestFirst = versionColumns.map((c) => `${c} DESC`).join(', ');
  return `SELECT path.* FROM (
      SELECT * FROM (${keyedEvents(eventColumns, where)}) WHERE ${keyCondition}
      ORDER BY ${keyColumns.join(', ')}, ${newestFirst} LIMIT 1 BY ${keyColumns.join(', ')}
    ) AS path
    LEFT JOIN (${latestWithdrawals(`time <= ${at}`)}) AS gone USING generator
    WHERE path.op = 'add' AND path.received_at > gone.withdrawn`;
}

/** An event's route attributes as the API prints them, for paths and histories alike. */
const attributeColumns = `family, key_name AS routePrefix, protocol, peer, local_pref AS localPref, med,
  as_path AS asPath, communities, origin_vn AS originVn, ${hopColumns((f) => `\`next_hops.${f}\``)}`;

/** How a present path is printed; the key columns come along for the cursor. */
const routeColumns = `${attributeColumns}, generator, toString(time) AS since,
  key_rank AS rank, toString(key_net) AS net, key_bits AS bits`;

/** The network and length of a prefix given by the user, computed as the stored ones are. */
function prefixNetwork(params: Params, prefix: PrefixKey): { net: string; bits: string } {
  const bits = params.add('UInt8', prefix.bits);
  const net = `tupleElement(IPv6CIDRToRange(toIPv6(${params.add('String', prefix.address)}), ${bits}), 1)`;
  return { net, bits };
}

/** Paths whose prefix lies inside `within` (the prefix itself included). */
function insideCondition(params: Params, within: PrefixKey): string {
  const { net, bits } = prefixNetwork(params, within);
  const range = `IPv6CIDRToRange(${net}, ${bits})`;
  return `key_rank = ${within.rank} AND key_bits >= ${bits}
    AND key_net BETWEEN tupleElement(${range}, 1) AND tupleElement(${range}, 2)`;
}

/** `limit` paths of a VRF's table at an instant, ordered by prefix, protocol and peer: a page and the row that tells if another follows. */
export function routesQuery(
  vrf: string,
  atUs: number,
  limit: number,
  narrow: { within?: PrefixKey; generator?: string; after?: RoutePosition },
): BuiltQuery {
  const { within, generator, after } = narrow;
  const params = new Params();
  const conditions = ['1'];
  if (within) conditions.push(insideCondition(params, within));
  if (generator) conditions.push(`generator = ${params.add('String', generator)}`);
  if (after) {
    const { rank, net, bits, name, protocol, peer } = after;
    // One value per key column, in its order: the key's `generator` is the path's, not the filter's.
    const position = [rank, net, bits, name, protocol, peer, after.generator] as const;
    conditions.push(afterPosition(key, position, 'ascending', params));
  }
  const order = keyColumns.join(', ');
  // The page is cut before printing: ClickHouse would otherwise print every path of the VRF first.
  const page = `SELECT * FROM (${pathsAt(params, vrf, atUs, conditions.join(' AND '))})
    ORDER BY ${order} LIMIT ${params.add('UInt32', limit)}`;
  const sql = `SELECT ${routeColumns} FROM (${page}) ORDER BY ${order}`;
  return { sql, params: params.values };
}

/**
 * Longest prefix match: the paths of the longest present prefix holding the address (`rank` 0 for
 * IPv4, 1 for IPv6; IPv4 in its mapped form). Masking the address by each path's own length finds
 * every covering prefix in one pass; WITH TIES keeps every path (ECMP or several protocols) of it.
 */
export function lookupQuery(vrf: string, atUs: number, address: string, rank: 0 | 1): BuiltQuery {
  const params = new Params();
  const ip = `toIPv6(${params.add('String', address)})`;
  const covers = `key_rank = ${rank} AND key_net = tupleElement(IPv6CIDRToRange(${ip}, key_bits), 1)`;
  const longest = `SELECT * FROM (${pathsAt(params, vrf, atUs, covers)}) ORDER BY key_bits DESC LIMIT 1 WITH TIES`;
  const sql = `SELECT ${routeColumns} FROM (${longest}) ORDER BY protocol, peer, generator`;
  return { sql, params: params.values };
}

/** The events of one prefix of a VRF in [from, to), oldest first, in the order the table was built from them. */
export function historyQuery(vrf: string, prefix: PrefixKey, range: TimeRange, first: number): BuiltQuery {
  const params = new Params();
  const where = `routing_instance = ${params.add('String', vrf)}
    AND time >= ${instant(params, range.fromUs)} AND time < ${instant(params, range.toUs)}`;
  const { net, bits } = prefixNetwork(params, prefix);
  const same =
    prefix.rank === 2
      ? `key_rank = 2 AND key_name = ${params.add('String', prefix.text)}`
      : `key_rank = ${prefix.rank} AND key_bits = ${bits} AND key_net = ${net}`;
  const sql = `SELECT toString(time) AS eventTime, toString(received_at) AS receivedAt, generator,
      toString(op) AS operation, ${attributeColumns}
    FROM (${keyedEvents(eventColumns, where)})
    WHERE ${same} ORDER BY ${versionColumns.join(', ')} LIMIT ${params.add('UInt32', first)}`;
  return { sql, params: params.values };
}

/**
 * How many paths each generator held in each VRF at every step boundary from `firstUs` to `lastUs`:
 * each event changes its count by (now present) − (present before), read from the previous event of
 * its path, so a repeated add or a delete of an absent path changes nothing. A generator's withdrawal
 * acts as a delete of every path it had sent before, as `pathsAt` reads it. Every change is booked at
 * the first boundary at or after it, those before `firstUs` at `firstUs`; the running sum, which the
 * caller takes, is then the count at each boundary. The whole history up to the last boundary is
 * read, since a path added long before still counts.
 */
export function countChangesQuery(
  vrfs: readonly string[],
  firstUs: number,
  lastUs: number,
  stepUs: number,
): BuiltQuery {
  const params = new Params();
  const vrfCondition = vrfs.length ? `routing_instance IN ${params.add('Array(String)', vrfs)}` : '1';
  const last = instant(params, lastUs);
  const step = params.add('Int64', stepUs);
  const path = ['routing_instance', ...keyColumns].join(', ');
  const events = keyedEvents(
    `routing_instance, protocol, peer, generator, time, received_at, batch_epoch, batch_seq, op = 'add' AS present`,
    `${vrfCondition} AND received_at <= ${last}`,
  );
  // UNION ALL matches columns by position: the same order as the events' side.
  const withdrawals = `SELECT DISTINCT ${['routing_instance', ...keyColumns].map((c) => `event.${c}`).join(', ')},
      gone.time AS time, gone.time AS received_at, toUInt64(0) AS batch_epoch, toUInt64(0) AS batch_seq,
      toUInt8(0) AS present
    FROM (${events}) AS event
    INNER JOIN (
      SELECT generator, time FROM generator_events WHERE event = 'withdrawn' AND time <= ${last}
    ) AS gone ON event.generator = gone.generator
    WHERE event.received_at < gone.time`;
  const all = `SELECT ${path}, time, received_at, batch_epoch, batch_seq, present FROM (${events})
    UNION ALL ${withdrawals}`;
  // lagInFrame gives 0 (absent) before a path's first event.
  const changes = `SELECT routing_instance, generator, received_at,
      present - lagInFrame(present) OVER (PARTITION BY ${path}
        ORDER BY ${versionColumns.join(', ')} ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS change
    FROM (${all})`;
  const sql = `SELECT routing_instance AS vrf, generator,
      greatest(intDiv(toUnixTimestamp64Micro(received_at) + ${step} - 1, ${step}) * ${step}, ${params.add('Int64', firstUs)}) AS point,
      sum(change) AS delta
    FROM (${changes}) GROUP BY vrf, generator, point ORDER BY vrf, generator, point`;
  return { sql, params: params.values };
}
