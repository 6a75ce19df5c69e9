import { familyOf, intToIpv4, ipToBytes, ipv4ToInt } from './address.js';
import {
  policyModel,
  UNKNOWN_VN,
  type Endpoint,
  type FlowActionName,
  type Protocol,
  type Verdict,
} from './policy.js';
import { createRng, type Rng } from './random.js';
import { indexTopology } from './topology/lookup.js';
import { POD_NETWORK } from './topology/names.js';
import type { Encapsulation, Service, Topology, Workload } from './topology/types.js';

/**
 * Flows between the workloads of a topology, decided by the policy model, and the per-vRouter flow
 * record templates the encoder streams. A connection yields the records TF exports: on each vRouter
 * it crosses, a forward and a reverse flow (INGRESS where the packet comes from a local interface,
 * EGRESS where it arrives over the tunnel); a flow denied at the source never reaches the peer.
 */
export type Scenario =
  | 'same-namespace'
  | 'cross-namespace'
  | 'service-ecmp'
  | 'vm-to-vm'
  | 'ipv6'
  | 'isolated-egress'
  | 'isolated-ingress-denied'
  | 'isolated-service-open'
  | 'isolated-service-closed'
  | 'openstack-k8s-allowed'
  | 'openstack-k8s-denied'
  | 'network-policy-allowed'
  | 'network-policy-denied'
  | 'no-route';

/** Relative share of each scenario in the flow mix: mostly allowed traffic, some denials. */
export const SCENARIO_WEIGHTS: Readonly<Record<Scenario, number>> = {
  'same-namespace': 30,
  'cross-namespace': 15,
  'service-ecmp': 20,
  'vm-to-vm': 8,
  ipv6: 6,
  'isolated-egress': 4,
  'isolated-ingress-denied': 3,
  'isolated-service-open': 3,
  'isolated-service-closed': 2,
  'openstack-k8s-allowed': 2,
  'openstack-k8s-denied': 3,
  'network-policy-allowed': 3,
  'network-policy-denied': 3,
  'no-route': 1,
};

export interface Traffic {
  bytes: number; // per sample
  packets: number;
}

export interface Connection {
  id: number;
  scenario: Scenario;
  source: Workload;
  /** The workload that receives it (a service's chosen backend); undefined when nobody does. */
  destination?: Workload;
  service?: Service;
  sourceIp: string;
  destIp: string; // the service IP when addressed to a service
  sourceVn: string;
  destVn: string;
  protocol: number; // IANA
  dport: number;
  verdict: Verdict;
  forward: Traffic;
  reverse: Traffic;
  sampling: number;
  underlayProto: Encapsulation;
  underlaySourcePort: number;
}

export const Direction = { INGRESS: 1, EGRESS: 2 } as const;
export const ActionCode: Readonly<Record<FlowActionName, number>> = { PASS: 1, DENY: 2, DROP: 3 };

/** The record fields that stay the same for every sample of a flow (names as in records.proto). */
export interface StaticFlowFields {
  vrouter: string;
  vrouter_ip: Uint8Array;
  other_vrouter_ip: Uint8Array;
  direction: number;
  source_vn: string;
  dest_vn: string;
  source_ip: Uint8Array;
  dest_ip: Uint8Array;
  protocol: number;
  sport?: number;
  dport?: number;
  action: number;
  drop_reason: string;
  sg_rule_uuid: string;
  nw_ace_uuid: string;
  vmi_uuid: Uint8Array;
  diff_bytes: number;
  diff_packets: number;
  tcp_flags: number;
  underlay_proto: string;
  underlay_source_port: number;
  sampling: number;
}

export interface FlowTemplate {
  connection: number;
  scenario: Scenario;
  vrouter: number; // index in topology.vrouters
  reverse: boolean;
  /** Index (in the same vRouter's pool) of the other half of the flow pair, for reverse_uuid. */
  pair: number;
  action: FlowActionName;
  fields: StaticFlowFields;
  /** Which port is the client's ephemeral one: it changes whenever the flow is re-established. */
  ephemeral: 'sport' | 'dport';
  portSeed: number;
}

export interface FlowPools {
  connections: Connection[];
  /** Templates per vRouter index: what that vRouter's agent exports. */
  pools: FlowTemplate[][];
}

export interface FlowPoolOptions {
  /** How many connections to draw (default 64 per vRouter, at least 256). */
  connections?: number;
  seed?: number;
}

export const ZERO_IP = new Uint8Array(4);

// ---------------------------------------------------------------- candidate flows per scenario

interface Candidate {
  src: Workload;
  dst: Endpoint;
  service?: Service;
  protocol: Protocol;
  /** Port the client addresses (the service port) and the port the backend listens on. */
  port: number;
  targetPort: number;
}

const ipOf = (w: Workload, family: 'v4' | 'v6'): string | undefined => (family === 'v4' ? w.ipv4 : w.ipv6);

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
}

function views(topo: Topology): Views {
  const index = indexTopology(topo);
  const namespaces = new Map(topo.namespaces.map((n) => [n.name, n]));
  return {
    topo,
    pods: topo.workloads.filter((w) => w.kind === 'pod'),
    vms: topo.workloads.filter((w) => w.kind === 'vm'),
    ns: (name) => ({ isolated: namespaces.get(name)?.isolated ?? false }),
    backends: (svc) => svc.backends.map((b) => index.workload(b)),
  };
}

const portOf = (v: Views, w: Workload): number =>
  v.topo.services.find((s) => s.namespace === w.namespace && s.backends.includes(w.name))?.ports[0]
    ?.targetPort ?? 8080;

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

function candidates(v: Views): Record<Scenario, Candidate[]> {
  const { pods, vms } = v;
  const open = pods.filter((p) => onPodNetwork(p));
  const isolated = pods.filter((p) => v.ns(p.namespace).isolated);
  const named = (name: string): Workload[] => v.topo.workloads.filter((w) => w.name === name);
  const tcpTo = (list: [Workload, Workload][]): Candidate[] =>
    defined(list.map(([s, d]) => direct(s, d, 'tcp', portOf(v, d))));
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

// ---------------------------------------------------------------- connections

const PROTOCOL_NUMBER: Readonly<Record<Protocol, number>> = { tcp: 6, udp: 17, icmp: 1 };

function traffic(rng: Rng, verdict: Verdict, v6: boolean): { forward: Traffic; reverse: Traffic } {
  if (verdict.action !== 'PASS') {
    // Only the client's retries hit a denied flow; nothing comes back.
    const packets = rng.int(1, 4);
    return { forward: { packets, bytes: packets * (v6 ? 80 : 60) }, reverse: { packets: 0, bytes: 0 } };
  }
  const packets = rng.int(1, 200);
  const back = rng.int(1, 300);
  return {
    forward: { packets, bytes: packets * rng.int(64, 600) },
    reverse: { packets: back, bytes: back * rng.int(64, 1400) },
  };
}

function toConnection(
  id: number,
  scenario: Scenario,
  c: Candidate,
  verdict: Verdict,
  rng: Rng,
  encap: (vn: string) => Encapsulation,
): Connection {
  const sourceIp = ipOf(c.src, familyOf(c.dst.ip)) ?? '';
  return {
    id,
    scenario,
    source: c.src,
    ...(c.dst.workload ? { destination: c.dst.workload } : {}),
    ...(c.service ? { service: c.service } : {}),
    sourceIp,
    destIp: c.dst.ip,
    sourceVn: c.src.vn,
    destVn: c.dst.vn,
    protocol: PROTOCOL_NUMBER[c.protocol],
    dport: c.port,
    verdict,
    ...traffic(rng, verdict, familyOf(sourceIp) === 'v6'),
    // A few heavy exporters sample; the scale factor makes the totals come out right again.
    sampling: rng.next() < 0.1 ? 8 : 0,
    underlayProto: encap(c.src.vn),
    underlaySourcePort: rng.int(49152, 65535),
  };
}

export function buildConnections(topo: Topology, options: FlowPoolOptions = {}): Connection[] {
  const rng = createRng((options.seed ?? topo.seed) ^ 0x5eed);
  const v = views(topo);
  const policy = policyModel(topo);
  const encap = (vn: string): Encapsulation =>
    topo.virtualNetworks.find((n) => n.fqName === vn)?.encapsulation ?? 'MPLSoUDP';
  const byScenario = candidates(v);
  const scenarios = (Object.keys(byScenario) as Scenario[]).filter((s) => byScenario[s].length > 0);
  const target = options.connections ?? Math.max(256, 64 * topo.vrouters.length);
  const out: Connection[] = [];
  const add = (scenario: Scenario, c: Candidate): void => {
    const verdict = policy.evaluate(
      c.src,
      ipOf(c.src, familyOf(c.dst.ip)) ?? '',
      c.dst,
      c.protocol,
      c.targetPort,
    );
    out.push(toConnection(out.length, scenario, c, verdict, rng, encap));
  };
  // Every scenario at least once, so that each case of §5 is visible in any run.
  for (const s of scenarios) add(s, rng.pick(byScenario[s]));
  const total = scenarios.reduce((n, s) => n + SCENARIO_WEIGHTS[s], 0);
  while (out.length < target) {
    const s = weightedPick(rng, scenarios, total);
    add(s, rng.pick(byScenario[s]));
  }
  coverEveryVrouter(topo, byScenario['same-namespace'], out, add);
  return out;
}

function weightedPick(rng: Rng, scenarios: Scenario[], total: number): Scenario {
  let r = rng.next() * total;
  for (const s of scenarios) {
    r -= SCENARIO_WEIGHTS[s];
    if (r < 0) return s;
  }
  return scenarios[scenarios.length - 1] ?? 'same-namespace';
}

/** Every vRouter must export something, or its stream would idle; the default namespace spans all. */
function coverEveryVrouter(
  topo: Topology,
  local: Candidate[],
  out: Connection[],
  add: (s: Scenario, c: Candidate) => void,
): void {
  const covered = new Set(out.map((c) => c.source.vrouter));
  for (const vr of topo.vrouters) {
    if (covered.has(vr.name)) continue;
    const c = local.find((cand) => cand.src.vrouter === vr.name);
    if (c) add('same-namespace', c);
  }
}

// ---------------------------------------------------------------- record templates

const REVERSE_REASON: Readonly<Record<string, string>> = {
  DROP_SG: 'DROP_REVERSE_SG',
  DROP_OUT_SG: 'DROP_REVERSE_OUT_SG',
};

interface Side {
  vrouter: number;
  local: Workload;
  peerIp: Uint8Array; // the tunnel endpoint, 0.0.0.0 when none
  directionForward: number;
  directionReverse: number;
  action: FlowActionName;
  sgRuleForward: string;
  sgRuleReverse: string;
}

/** The vRouters a connection crosses and what each of them decides. */
function sides(conn: Connection, vrouterOf: (name: string) => { index: number; ip: string }): Side[] {
  const v = conn.verdict;
  const src = vrouterOf(conn.source.vrouter);
  const receiver = conn.destination;
  const dst = receiver ? vrouterOf(receiver.vrouter) : undefined;
  const reachesPeer = receiver !== undefined && dst !== undefined && v.deniedAt !== 'source';
  if (receiver && dst && dst.index === src.index && reachesPeer) {
    const rule = v.deniedAt === 'destination' ? v.destSgRuleUuid : v.sourceSgRuleUuid;
    const local = { vrouter: src.index, peerIp: ZERO_IP, action: v.action, sgRuleForward: rule };
    // Both halves of a local flow come from local interfaces, so both are INGRESS.
    return [
      {
        ...local,
        local: conn.source,
        directionForward: 1,
        directionReverse: 1,
        sgRuleReverse: v.destSgRuleUuid,
      },
    ];
  }
  const srcSide: Side = {
    vrouter: src.index,
    local: conn.source,
    peerIp: dst ? ipToBytes(dst.ip) : ZERO_IP,
    directionForward: Direction.INGRESS,
    directionReverse: Direction.EGRESS,
    action: v.deniedAt === 'destination' ? 'PASS' : v.action,
    sgRuleForward: v.sourceSgRuleUuid,
    sgRuleReverse: v.sourceSgRuleUuid,
  };
  if (!reachesPeer || !receiver || !dst) return [srcSide];
  const dstSide: Side = {
    vrouter: dst.index,
    local: receiver,
    peerIp: ipToBytes(src.ip),
    directionForward: Direction.EGRESS,
    directionReverse: Direction.INGRESS,
    action: v.action,
    sgRuleForward: v.destSgRuleUuid,
    sgRuleReverse: v.destSgRuleUuid,
  };
  return [srcSide, dstSide];
}

function fieldsFor(
  conn: Connection,
  side: Side,
  reverse: boolean,
  vrouter: { name: string; ip: string },
): StaticFlowFields {
  const tunnel = side.peerIp !== ZERO_IP;
  const t = reverse ? conn.reverse : conn.forward;
  const tcp = conn.protocol === 6;
  const denied = side.action !== 'PASS';
  // Like a TF vRouter agent, the record names addresses and VNs, not pods or namespaces: the
  // pipeline enriches those from the interface UVEs.
  const ends = [
    { ip: conn.sourceIp, vn: conn.sourceVn },
    { ip: conn.destIp, vn: conn.destVn },
  ] as const;
  const [from, to] = reverse ? [ends[1], ends[0]] : [ends[0], ends[1]];
  const dropReason = denied
    ? reverse
      ? (REVERSE_REASON[conn.verdict.dropReason] ?? conn.verdict.dropReason)
      : conn.verdict.dropReason
    : '';
  return {
    vrouter: vrouter.name,
    vrouter_ip: ipToBytes(vrouter.ip),
    other_vrouter_ip: side.peerIp,
    direction: reverse ? side.directionReverse : side.directionForward,
    source_vn: from.vn,
    dest_vn: to.vn,
    source_ip: ipToBytes(from.ip),
    dest_ip: ipToBytes(to.ip),
    protocol: conn.protocol,
    ...(reverse ? { sport: conn.dport } : { dport: conn.dport }),
    action: ActionCode[side.action],
    drop_reason: dropReason,
    sg_rule_uuid: reverse ? side.sgRuleReverse : side.sgRuleForward,
    nw_ace_uuid: conn.verdict.nwAceUuid,
    vmi_uuid: uuidBytes(side.local.vmiUuid),
    diff_bytes: t.bytes,
    diff_packets: t.packets,
    tcp_flags: tcp ? (denied ? (reverse ? 0 : 0x02) : 0x1a) : 0,
    underlay_proto: tunnel ? conn.underlayProto : '',
    underlay_source_port: tunnel && conn.underlayProto !== 'MPLSoGRE' ? conn.underlaySourcePort : 0,
    sampling: conn.sampling,
  };
}

const uuidBytes = (uuid: string): Uint8Array => Uint8Array.from(Buffer.from(uuid.replace(/-/g, ''), 'hex'));

/** Connections → per-vRouter templates, each forward record paired with its reverse record. */
export function buildFlowPools(topo: Topology, options: FlowPoolOptions = {}): FlowPools {
  const connections = buildConnections(topo, options);
  const index = indexTopology(topo);
  const pools: FlowTemplate[][] = topo.vrouters.map(() => []);
  for (const conn of connections) {
    for (const side of sides(conn, (name) => index.vrouter(name))) {
      const pool = pools[side.vrouter];
      const vrouter = topo.vrouters[side.vrouter];
      if (!pool || !vrouter) continue;
      const at = pool.length;
      const common = {
        connection: conn.id,
        scenario: conn.scenario,
        vrouter: side.vrouter,
        action: side.action,
      };
      const portSeed = conn.underlaySourcePort * 31 + conn.id;
      pool.push({
        ...common,
        reverse: false,
        pair: at + 1,
        fields: fieldsFor(conn, side, false, vrouter),
        ephemeral: 'sport',
        portSeed,
      });
      pool.push({
        ...common,
        reverse: true,
        pair: at,
        fields: fieldsFor(conn, side, true, vrouter),
        ephemeral: 'dport',
        portSeed,
      });
    }
  }
  return { connections, pools };
}
