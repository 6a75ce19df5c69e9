import { create } from '@bufbuild/protobuf';
import {
  NextHopSchema,
  RouteEventSchema,
  RouteOp,
  type NextHop,
  type RouteEvent,
} from '../../../common/proto.js';
import { familyOf, ipToBytes } from '../address.js';
import { indexTopology } from '../topology/lookup.js';
import type { Gateway, Service, Topology, VirtualNetwork, Workload } from '../topology/types.js';

/**
 * The routing tables a control node holds, as route events: one VRF per virtual network; per
 * workload a host route learned over XMPP from the vRouter hosting it; per Kubernetes service an
 * ECMP route over its backends; a default route learned over BGP from each SDN gateway. Pure: the
 * same topology and time always give the same events.
 */

/** TF names a VN's routing instance after the VN: `<vn fq name>:<vn name>`. */
export const vrfName = (vn: string): string => `${vn}:${vn.slice(vn.lastIndexOf(':') + 1)}`;

/** vRouter agents hand out MPLS labels to their interfaces from here upwards (below 16 is reserved). */
export const FIRST_INTERFACE_LABEL = 16;
/** The gateway's per-VRF labels, as an MX allocates them (its dynamic range starts at 299776). */
export const GATEWAY_LABEL_BASE = 299776;
export const LOCAL_PREF = 100;

/** The MPLS label of every interface (vmi uuid → label): per vRouter, in topology order. */
export function interfaceLabels(topo: Topology): Map<string, number> {
  const next = new Map<string, number>();
  const labels = new Map<string, number>();
  for (const w of topo.workloads) {
    const label = next.get(w.vrouter) ?? FIRST_INTERFACE_LABEL;
    labels.set(w.vmiUuid, label);
    next.set(w.vrouter, label + 1);
  }
  return labels;
}

/** What a next hop into a VN carries: the VNI with VXLAN, else the interface's MPLS label. */
export const tunnelLabel = (vn: VirtualNetwork, mplsLabel: number): number =>
  vn.encapsulation === 'VXLAN' ? vn.vni : mplsLabel;

const hostPrefix = (ip: string): { family: string; prefix: string } =>
  familyOf(ip) === 'v4' ? { family: 'inet', prefix: `${ip}/32` } : { family: 'inet6', prefix: `${ip}/128` };

interface RouteParts {
  vn: VirtualNetwork;
  ip: string;
  nextHops: NextHop[];
  peer: string;
  nowUs: number;
}

function xmppRoute({ vn, ip, nextHops, peer, nowUs }: RouteParts): RouteEvent {
  return create(RouteEventSchema, {
    routingInstance: vrfName(vn.fqName),
    ...hostPrefix(ip),
    op: RouteOp.ADD,
    nextHops,
    protocol: 'xmpp',
    peer,
    localPref: LOCAL_PREF,
    med: 0,
    asPath: '',
    communities: [],
    originVn: vn.fqName,
    timestamp: BigInt(nowUs),
  });
}

export interface RouteContext {
  topo: Topology;
  index: ReturnType<typeof indexTopology>;
  labels: Map<string, number>;
}

export const routeContext = (topo: Topology): RouteContext => ({
  topo,
  index: indexTopology(topo),
  labels: interfaceLabels(topo),
});

function nextHopTo(ctx: RouteContext, vn: VirtualNetwork, w: Workload): NextHop {
  return create(NextHopSchema, {
    tunnelType: vn.encapsulation,
    destination: ipToBytes(ctx.index.vrouter(w.vrouter).ip),
    label: tunnelLabel(vn, ctx.labels.get(w.vmiUuid) ?? FIRST_INTERFACE_LABEL),
    interface: '',
  });
}

/** A /32 (and a /128 for an IPv6 address) per workload, from the vRouter hosting it. */
export function workloadRoutes(ctx: RouteContext, w: Workload, nowUs: number): RouteEvent[] {
  const vn = ctx.index.network(w.vn);
  const peer = ctx.index.vrouter(w.vrouter).ip;
  const hop = nextHopTo(ctx, vn, w);
  return [w.ipv4, w.ipv6]
    .filter((ip): ip is string => ip !== undefined)
    .map((ip) => xmppRoute({ vn, ip, nextHops: [hop], peer, nowUs }));
}

/**
 * A service IP is an ECMP route: one next hop per backend, towards the backend's vRouter with the
 * backend interface's label (two backends on one vRouter are two hops with distinct labels). Several
 * vRouters advertise it, so the route names no single peer.
 */
export function serviceRoute(ctx: RouteContext, svc: Service, nowUs: number): RouteEvent {
  const vn = ctx.index.network(svc.vn);
  const nextHops = svc.backends.map((name) => nextHopTo(ctx, vn, ctx.index.workload(name)));
  return xmppRoute({ vn, ip: svc.ip, nextHops, peer: '', nowUs });
}

/** The default route(s) a gateway advertises into a VRF: 0.0.0.0/0, and ::/0 where the VN has IPv6. */
export function gatewayRoutes(topo: Topology, gateway: Gateway, op: RouteOp, nowUs: number): RouteEvent[] {
  const g = Math.max(0, topo.gateways.indexOf(gateway));
  return topo.virtualNetworks.flatMap((vn, v) =>
    defaultPrefixes(vn).map((prefix) =>
      create(RouteEventSchema, {
        routingInstance: vrfName(vn.fqName),
        family: prefix === '0.0.0.0/0' ? 'inet' : 'inet6',
        prefix,
        op,
        nextHops:
          op === RouteOp.ADD
            ? [
                {
                  tunnelType: 'MPLSoGRE',
                  destination: ipToBytes(gateway.ip),
                  label: GATEWAY_LABEL_BASE + g * 4096 + v,
                  interface: '',
                },
              ]
            : [],
        protocol: 'bgp',
        peer: gateway.ip,
        localPref: LOCAL_PREF,
        med: 0,
        asPath: String(gateway.asn),
        communities: [],
        originVn: '',
        timestamp: BigInt(nowUs),
      }),
    ),
  );
}

function defaultPrefixes(vn: VirtualNetwork): string[] {
  const families = new Set(vn.subnets.map((s) => familyOf(s.split('/')[0] ?? '')));
  return [...(families.has('v4') ? ['0.0.0.0/0'] : []), ...(families.has('v6') ? ['::/0'] : [])];
}

/**
 * Everything a control node's tables hold, VRF by VRF (in topology order): workload host routes,
 * service ECMP routes, then the gateways' default routes. Every control node holds all of it: each
 * vRouter advertises its routes to both of its XMPP servers.
 */
export function buildRoutes(
  topo: Topology,
  nowUs: number,
  ctx: RouteContext = routeContext(topo),
): RouteEvent[] {
  const gateways = topo.gateways.flatMap((gw) => gatewayRoutes(topo, gw, RouteOp.ADD, nowUs));
  return topo.virtualNetworks.flatMap((vn) => {
    const vrf = vrfName(vn.fqName);
    return [
      ...topo.workloads.filter((w) => w.vn === vn.fqName).flatMap((w) => workloadRoutes(ctx, w, nowUs)),
      ...topo.services.filter((s) => s.vn === vn.fqName).map((s) => serviceRoute(ctx, s, nowUs)),
      ...gateways.filter((r) => r.routingInstance === vrf),
    ];
  });
}
