import { familyOf } from '../address.js';
import { policyModel, type Protocol, type Verdict } from '../policy.js';
import { createRng, type Rng } from '../random.js';
import type { Encapsulation, Service, Topology, Workload } from '../topology/types.js';
import { candidates, ipOf, type Candidate } from './candidates.js';
import { SCENARIO_WEIGHTS, weightedPick, type Scenario } from './scenarios.js';

/**
 * Flows between the workloads of a topology, decided by the policy model: one connection per flow,
 * with its verdict, its traffic in each direction, its sampling and its tunnel.
 */

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

export interface FlowPoolOptions {
  /** How many connections to draw (default 64 per vRouter, at least 256). */
  connections?: number;
  seed?: number;
}

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

/** The connections of a run's flow mix: every scenario once, then drawn by weight, every vRouter a source. */
export function buildConnections(topo: Topology, options: FlowPoolOptions = {}): Connection[] {
  const rng = createRng((options.seed ?? topo.seed) ^ 0x5eed);
  const policy = policyModel(topo);
  const encap = (vn: string): Encapsulation =>
    topo.virtualNetworks.find((n) => n.fqName === vn)?.encapsulation ?? 'MPLSoUDP';
  const byScenario = candidates(topo);
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
  // Every scenario at least once, so that each case (simulator/README.md) is visible in any run.
  for (const s of scenarios) add(s, rng.pick(byScenario[s]));
  const total = scenarios.reduce((n, s) => n + SCENARIO_WEIGHTS[s], 0);
  while (out.length < target) {
    const s = weightedPick(rng, scenarios, total);
    add(s, rng.pick(byScenario[s]));
  }
  coverEveryVrouter(topo, byScenario['same-namespace'], out, add);
  return out;
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
