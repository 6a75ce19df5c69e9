import { isIPv4, isIPv6 } from 'node:net';
import { RouteEventSchema, RouteOp, type RouteEvent } from '../../common/proto.js';
import { routeCatalog } from '../../common/schema/catalog/index.js';
import { checkName, firstProblem, type RecordCheck, type RecordProblem } from './record.js';
import { decodedCheck } from './wire-rules.js';

const tunnelTypes = new Set(['', 'MPLSoUDP', 'MPLSoGRE', 'VXLAN']);
const protocols = new Set(['xmpp', 'bgp', 'static', 'local', 'service-chain']);

/** Checks RouteEvent records: an inet/inet6 prefix must be a CIDR of its family. */
export const checkRouteRecord: RecordCheck = decodedCheck(routeCatalog, RouteEventSchema, (route) =>
  firstProblem(
    () => checkName('routing_instance', route.routingInstance, true),
    () => checkPrefix(route.family, route.prefix),
    () =>
      route.op === RouteOp.ADD || route.op === RouteOp.DELETE
        ? undefined
        : { field: 'op', reason: 'must be ADD or DELETE' },
    () => checkNextHops(route),
    () =>
      protocols.has(route.protocol)
        ? undefined
        : { field: 'protocol', reason: `must be one of ${[...protocols].join(', ')}` },
    () => checkName('peer', route.peer, false),
  ),
);

function checkPrefix(family: string, prefix: string): RecordProblem | undefined {
  if (family === 'evpn') return checkName('prefix', prefix, true);
  const isFamily = family === 'inet' ? isIPv4 : family === 'inet6' ? isIPv6 : undefined;
  if (!isFamily) return { field: 'family', reason: 'must be inet, inet6 or evpn' };
  const [address = '', length = '', extra] = prefix.split('/');
  const max = family === 'inet' ? 32 : 128;
  if (extra !== undefined || !isFamily(address) || !/^\d+$/.test(length) || Number(length) > max) {
    return { field: 'prefix', reason: `"${prefix}" is not an ${family} CIDR` };
  }
  return undefined;
}

function checkNextHops(route: RouteEvent): RecordProblem | undefined {
  if (route.op === RouteOp.ADD && route.nextHops.length === 0)
    return { field: 'next_hops', reason: 'an ADD needs one' };
  for (const [i, hop] of route.nextHops.entries()) {
    const field = `next_hops[${i}]`;
    if (![0, 4, 16].includes(hop.destination.length)) {
      return { field: `${field}.destination`, reason: `${hop.destination.length} bytes; must be 4 or 16` };
    }
    if (!tunnelTypes.has(hop.tunnelType)) {
      return { field: `${field}.tunnel_type`, reason: 'must be MPLSoUDP, MPLSoGRE, VXLAN or empty' };
    }
  }
  return undefined;
}
