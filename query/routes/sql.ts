import { printedAddress } from '../../common/schema/addresses.js';
import {
  eventColumns,
  keyedRows,
  pathKey,
  pathKeyColumns,
  pathsAt,
  versionColumns,
} from '../../common/schema/route-table.js';
import type { TimeRange } from '../../common/sql/time-range.js';
import { afterPosition } from '../../common/sql/keyset.js';
import { instant } from '../../common/sql/route-counts.js';
import { Params, type BuiltQuery } from '../../common/sql/params.js';

/**
 * The routes domain's SQL: listings, lookups and histories of VRF tables, each read as
 * common/schema/route-table.ts builds the table at an instant (events on top of the latest snapshot);
 * counts are common/sql/route-counts.ts, which the alarm engine's thresholds read too.
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

/** Next hops as four parallel arrays, read by `column(field)`; a local next hop has no destination (stored as ::). */
const hopColumns = (column: (field: string) => string): string => `${column('tunnel_type')} AS hopTypes,
  arrayMap(d -> if(d = toIPv6('::'), '', ${printedAddress('d')}), ${column('destination')}) AS hopDestinations,
  ${column('label')} AS hopLabels, ${column('interface')} AS hopInterfaces`;

/** The paths present in `vrf` at `atUs` whose key `keyCondition` admits, as their latest events. */
function vrfPathsAt(params: Params, vrf: string, atUs: number, keyCondition: string): string {
  return pathsAt(instant(params, atUs), `routing_instance = ${params.add('String', vrf)}`, keyCondition);
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
    conditions.push(afterPosition(pathKey, position, 'ascending', params));
  }
  const order = pathKeyColumns.join(', ');
  // The page is cut before printing: ClickHouse would otherwise print every path of the VRF first.
  const page = `SELECT * FROM (${vrfPathsAt(params, vrf, atUs, conditions.join(' AND '))})
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
  const longest = `SELECT * FROM (${vrfPathsAt(params, vrf, atUs, covers)}) ORDER BY key_bits DESC LIMIT 1 WITH TIES`;
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
    FROM (${keyedRows(eventColumns, `SELECT ${eventColumns} FROM routes WHERE ${where}`)})
    WHERE ${same} ORDER BY ${versionColumns.join(', ')} LIMIT ${params.add('UInt32', first)}`;
  return { sql, params: params.values };
}
