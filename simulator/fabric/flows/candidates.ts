import { familyOf, intToIpv4, ipv4ToInt } from '../address.js';
import { UNKNOWN_VN, type Endpoint, type Protocol } from '../policy.js';
import { indexTopology } from '../topology/lookup.js';
import { POD_NETWORK } from '../topology/names.js';
import type { Service, Topology, Workload } from '../topology/types.js';
import type { Scenario } from './scenarios.js';

/** Per scenario, every flow between the topology's workloads (or to a service) that fits it. */

/** A flow a scenario may draw: who sends, to what, and the ports. */
export interface Candidate {
  src: Workload;
  dst: Endpoint;
  service?: Service;
  protocol: Protocol;
  /** Port the client addresses (the service port) and the port the backend listens on. */
  port: number;
  targetPort: number;
}

export const ipOf = (w: Workload, family: 'v4' | 'v6'): string | undefined =>
  family === 'v4' ? w.ipv4 : w.ipv6;

function direct(src: Workload, dst: Workload, protocol: Protocol, port: number): Candidate | undefined {
  const family = src.ipv4 && dst.ipv4 ? 'v4' : 'v6';
  const ip = ipOf(dst, family);
  if (!ipOf(src, family) || !ip) return undefined;
  return { src, dst: { ip, vn: dst.vn, workload: dst }, protocol, port, targetPort: port };
}

function viaService(src: Workload, svc: Service, backend: Workload): Candidate | undefined {
  if (familyOf(svc.ip) === 'v4' ? !src.ipv4 : !src.ipv6) return undefined;
  const p = svc.ports[0];
  if (!p) return undefined;
  return {
    src,
    dst: { ip: svc.ip, vn: svc.vn, workload: backend },
    service: svc,
    protocol: p.protocol,
    port: p.port,
    targetPort: p.targetPort,
  };
}

interface Views {
  topo: Topology;
  pods: Workload[];
  vms: Workload[];
  ns: (name: string) => { isolated: boolean };
  backends: (svc: Service) => Workload[];
  /** The port a workload listens on: its first service's target port, else 8080. */
  portOf: (w: Workload) => number;
}

function views(topo: Topology): Views {
  const index = indexTopology(topo);
  const namespaces = new Map(topo.namespaces.map((n) => [n.name, n]));
  // Asked once per pair of workloads: looked up, not searched. The first service of a backend wins.
  const ports = new Map<string, number>();
  for (const s of [...topo.services].reverse()) {
    for (const backend of s.backends) ports.set(`${s.namespace}/${backend}`, s.ports[0]?.targetPort ?? 8080);
  }
  return {
    topo,
    pods: topo.workloads.filter((w) => w.kind === 'pod'),
    vms: topo.workloads.filter((w) => w.kind === 'vm'),
    ns: (name) => ({ isolated: namespaces.get(name)?.isolated ?? false }),
    backends: (svc) => svc.backends.map((b) => index.workload(b)),
    portOf: (w) => ports.get(`${w.namespace}/${w.name}`) ?? 8080,
  };
}

const isDb = (w: Workload): boolean => w.namespace === 'payments' && w.labels['app'] === 'db';
const onPodNetwork = (w: Workload): boolean => w.vn === POD_NETWORK;
const defined = <T>(items: (T | undefined)[]): T[] => items.filter((i): i is T => i !== undefined);

function pairs(
  a: Workload[],
  b: Workload[],
  keep: (s: Workload, d: Workload) => boolean,
): [Workload, Workload][] {
  return a.flatMap((s) => b.filter((d) => d !== s && keep(s, d)).map((d): [Workload, Workload] => [s, d]));
}

function servicesWhere(v: Views, srcs: Workload[], pick: (s: Service) => boolean): Candidate[] {
  const out: (Candidate | undefined)[] = [];
  for (const svc of v.topo.services.filter(pick)) {
    for (const src of srcs) for (const b of v.backends(svc)) if (b !== src) out.push(viaService(src, svc, b));
  }
  return defined(out);
}

export function candidates(topo: Topology): Record<Scenario, Candidate[]> {
  const v = views(topo);
  const { pods, vms } = v;
  const open = pods.filter((p) => onPodNetwork(p));
  const isolated = pods.filter((p) => v.ns(p.namespace).isolated);
  const named = (name: string): Workload[] => v.topo.workloads.filter((w) => w.name === name);
  const tcpTo = (list: [Workload, Workload][]): Candidate[] =>
    defined(list.map(([s, d]) => direct(s, d, 'tcp', v.portOf(d))));
  const v6 = (w: Workload): boolean => w.ipv6 !== undefined && w.ipv4 === undefined;
  return {
    'same-namespace': tcpTo(
      pairs(pods, pods, (s, d) => s.namespace === d.namespace && s.vn === d.vn && !isDb(d) && !v6(d)),
    ),
    'cross-namespace': tcpTo(pairs(open, open, (s, d) => s.namespace !== d.namespace && !isDb(d))),
    'service-ecmp': servicesWhere(
      v,
      [...open, ...isolated],
      (s) => s.namespace === 'default' || s.namespace === 'dev',
    ),
    'vm-to-vm': tcpTo(pairs(vms, vms, (s, d) => s.vn === d.vn && s.namespace === d.namespace)),
    ipv6: [
      ...tcpTo(pairs(pods, pods, (s, d) => v6(s) && v6(d))),
      ...defined(pairs(vms, vms, (s, d) => !!s.ipv6 && !!d.ipv6).map(([s, d]) => directV6(s, d))),
      ...servicesWhere(v, pods.filter(v6), (s) => s.namespace === 'ipv6-lab'),
    ],
    'isolated-egress': tcpTo(pairs(isolated, open, (_s, d) => !isDb(d))),
    'isolated-ingress-denied': tcpTo(pairs(open, isolated, () => true)),
    'isolated-service-open': servicesWhere(v, open, (s) => s.namespace === 'secure-api'),
    'isolated-service-closed': servicesWhere(v, open, (s) => s.namespace === 'test-isolated-ns'),
    'openstack-k8s-allowed': defined(
      pairs(named('vm'), named('cont'), () => true).map(([s, d]) => direct(s, d, 'icmp', 0)),
    ),
    'openstack-k8s-denied': defined(
      pairs(named('cont'), named('vm'), () => true).flatMap(([s, d]) => [
        direct(s, d, 'icmp', 0),
        direct(s, d, 'tcp', 22),
      ]),
    ),
    'network-policy-allowed': [
      ...tcpTo(pairs(pods, pods, (s, d) => s.namespace === 'payments' && !isDb(s) && isDb(d))),
      ...servicesWhere(
        v,
        pods.filter((p) => p.namespace === 'payments' && !isDb(p)),
        (s) => s.name === 'db',
      ),
    ],
    'network-policy-denied': [
      ...tcpTo(pairs(open, pods, (s, d) => s.namespace !== 'payments' && isDb(d))),
      ...servicesWhere(
        v,
        open.filter((p) => p.namespace !== 'payments'),
        (s) => s.name === 'db',
      ),
    ],
    'no-route': open.map((src, i) => ({
      src,
      // Addresses at the bottom of the pod subnet that no pod holds (TF allocates from the top).
      dst: { ip: intToIpv4(ipv4ToInt('10.32.0.16') + i), vn: UNKNOWN_VN },
      protocol: 'tcp' as const,
      port: 443,
      targetPort: 443,
    })),
  };
}

function directV6(src: Workload, dst: Workload): Candidate | undefined {
  if (!dst.ipv6) return undefined;
  return {
    src,
    dst: { ip: dst.ipv6, vn: dst.vn, workload: dst },
    protocol: 'tcp',
    port: 5432,
    targetPort: 5432,
  };
}
