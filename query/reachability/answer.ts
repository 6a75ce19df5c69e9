import { isIP } from 'node:net';
import { invalid } from '../../common/errors.js';
import { vrouterStateQuery } from '../../common/sql/config-objects.js';
import { interfaceTotalsQuery } from '../../common/sql/interfaces.js';
import { verdictGroupsQuery } from '../../common/sql/reachability.js';
import type { TimeRange } from '../../common/sql/time-range.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import { ruleNames, type RuleNames } from '../flows/rules.js';
import { lookupRoute } from '../routes/resolvers.js';
import { microsToRfc3339 } from '../shared/time.js';
import { lookupWorkloads, type Workload } from '../workloads/lookup.js';
import {
  explainDirection,
  isReverseHalf,
  type DirectionVerdict,
  type Side,
  type VerdictGroup,
} from './explain.js';

/**
 * Can A reach B: both endpoints and where they sit, per direction the flows seen and the verdicts
 * taken on each vRouter with their rules, the route from the source's VRF, the state of both vRouters
 * and interfaces, the alarms on either side, and a sentence saying what decided.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The verdict groups read per direction: more are several hundred rules or vRouters, none a person reads. */
const MAX_GROUPS = 200;

export interface Endpoint {
  given: string;
  workload: Workload | null;
  address: string;
}

/** Turns what was given (an IP, namespace/pod, project/vm, a VMI uuid or UVE name, a name) into one endpoint. */
async function resolveEndpoint(warehouse: Warehouse, given: string, what: string): Promise<Endpoint> {
  const text = given.trim();
  if (text === '') throw invalid(`${what}: give an IP, namespace/pod, project/vm or a VMI`);
  if (isIP(text)) {
    const { matches, sharedAddresses } = await lookupWorkloads(warehouse, { ip: text });
    if (sharedAddresses.length)
      throw invalid(
        `${what}: ${text} is in ${sharedAddresses[0]!.vns.length} virtual networks (${sharedAddresses[0]!.vns.join(', ')}): name the workload instead (namespace/name or its VMI)`,
      );
    return { given, workload: matches[0] ?? null, address: text };
  }
  const vmi = UUID.test(text) || UUID.test(text.slice(text.lastIndexOf(':') + 1));
  const { matches } = await lookupWorkloads(warehouse, vmi ? { vmi: text } : { match: text });
  if (matches.length === 0)
    throw invalid(
      `${what}: no pod, VM, service or VMI is known as "${text}"${await nearby(warehouse, text, vmi)}`,
    );
  if (matches.length > 1)
    throw invalid(
      `${what}: "${text}" names ${matches.length} workloads (${matches
        .slice(0, 5)
        .map((w) => `${w.namespace}/${w.name} in ${w.vn}`)
        .join(', ')}): name one (namespace/name or its VMI)`,
    );
  const workload = matches[0]!;
  return { given, workload, address: workload.addresses[0] ?? '' };
}

/** Names that start like an unknown one (a pod is `<deployment>-<hash>-<suffix>`), to suggest. */
async function nearby(warehouse: Warehouse, text: string, vmi: boolean): Promise<string> {
  if (vmi || text.includes('*') || text.includes('?')) return '';
  const base = text.replace(/-\d+$/, '');
  const { matches } = await lookupWorkloads(warehouse, { match: `${base}*` });
  if (matches.length === 0) return '';
  const names = matches.slice(0, 5).map((w) => `${w.namespace}/${w.name}`);
  return ` (known: ${names.join(', ')}${matches.length > 5 ? ', …' : ''})`;
}

/** Both ends in one family: a dual-stack end takes the address of the other end's family. */
function sameFamily(a: Endpoint, b: Endpoint): [Endpoint, Endpoint] {
  const pick = (e: Endpoint, family: number): Endpoint => {
    const address = e.workload?.addresses.find((x) => isIP(x) === family);
    return address ? { ...e, address } : e;
  };
  if (isIP(a.address) === isIP(b.address)) return [a, b];
  const b2 = pick(b, isIP(a.address));
  return isIP(b2.address) === isIP(a.address) ? [a, b2] : [pick(a, isIP(b.address)), b];
}

interface GroupRow {
  vrouter: string;
  direction: string;
  action: string;
  dropReason: string;
  sgRuleUuid: string;
  nwAceUuid: string;
  records: string;
  packets: string;
  lastUs: string;
}

/**
 * Which end's vRouter took a verdict. A service has no vRouter of its own: any vRouter but the other
 * end's is one of its backends'.
 */
function sideOf(vrouter: string, source: Endpoint, destination: Endpoint): Side {
  const at = (e: Endpoint, other: Endpoint): boolean =>
    e.workload?.kind === 'service' ? vrouter !== other.workload?.vrouter : vrouter === e.workload?.vrouter;
  const [s, d] = [at(source, destination), at(destination, source)];
  if (s && d) return 'LOCAL';
  if (s) return 'SOURCE';
  return d ? 'DESTINATION' : 'OTHER';
}

async function verdictGroups(
  warehouse: Warehouse,
  rules: RuleNames,
  source: Endpoint,
  destination: Endpoint,
  range: TimeRange,
): Promise<VerdictGroup[]> {
  const end = (e: Endpoint) => ({ address: e.address, ...(e.workload ? { vn: e.workload.vn } : {}) });
  const query = verdictGroupsQuery(end(source), end(destination), range, MAX_GROUPS);
  const rows = await warehouse.query<GroupRow>(query.sql, query.params);
  return Promise.all(
    rows.map(async (row) => ({
      vrouter: row.vrouter,
      side: sideOf(row.vrouter, source, destination),
      direction: row.direction,
      action: row.action,
      dropReason: row.dropReason,
      records: Number(row.records),
      packets: Number(row.packets),
      lastUs: Number(row.lastUs),
      sgRuleUuid: row.sgRuleUuid,
      nwAceUuid: row.nwAceUuid,
      sgRule: await rules(row.sgRuleUuid),
      nwAce: await rules(row.nwAceUuid),
      reverseHalf: isReverseHalf(row.dropReason),
    })),
  );
}

/** One direction: its verdicts, the route from the source's VRF as of its newest flow, the explanation. */
async function direction(
  warehouse: Warehouse,
  rules: RuleNames,
  source: Endpoint,
  destination: Endpoint,
  range: TimeRange,
) {
  const groups = await verdictGroups(warehouse, rules, source, destination, range);
  const newest = Math.max(0, ...groups.map((g) => g.lastUs));
  const atUs = newest || range.toUs;
  const vrf = source.workload?.vrf ?? '';
  const route =
    vrf && destination.address ? await lookupRoute(warehouse, vrf, destination.address, atUs) : null;
  const { verdict, explanation } = explainDirection(groups, {
    destinationAddress: destination.address,
    sourceGroups: source.workload?.securityGroups ?? [],
    destinationGroups: destination.workload?.securityGroups ?? [],
    sourceVrf: vrf,
    route: route && {
      vrf,
      prefix: route.prefix,
      // Each control node holds the route: the same hops once.
      hops: [
        ...new Set(
          route.paths.flatMap((p) =>
            p.nextHops.map(
              (h) =>
                `${h.tunnelType || 'local'}${h.destination ? ` to ${h.destination}` : ''} label ${h.label}`,
            ),
          ),
        ),
      ],
    },
  });
  return {
    from: label(source),
    to: label(destination),
    records: groups.reduce((n, g) => n + g.records, 0),
    verdict,
    explanation,
    verdicts: groups.map((g) => ({ ...g, lastSeen: microsToRfc3339(g.lastUs) })),
    routeVrf: vrf || null,
    routeAt: microsToRfc3339(atUs),
    route,
  };
}

const label = (e: Endpoint): string =>
  e.workload ? `${e.workload.namespace}/${e.workload.name} (${e.address})` : e.address;

interface VrouterRow {
  vrouter: string;
  status: string;
  attributes: string;
}

/** Each endpoint's placement state: its vRouter's session and interfaces, its interface's drops, alarms. */
async function placement(warehouse: Warehouse, endpoints: Endpoint[], range: TimeRange) {
  const vrouters = [...new Set(endpoints.flatMap((e) => (e.workload?.vrouter ? [e.workload.vrouter] : [])))];
  const query = vrouterStateQuery(vrouters);
  const rows = vrouters.length ? await warehouse.query<VrouterRow>(query.sql, query.params) : [];
  return Promise.all(
    endpoints.map(async (e) => {
      const w = e.workload;
      const row = rows.find((r) => r.vrouter === w?.vrouter);
      const agent = row?.attributes ? (JSON.parse(row.attributes) as Record<string, unknown>) : {};
      const drops = w?.vmiUuid ? await interfaceDrops(warehouse, w.vmiUuid, range) : null;
      return {
        given: e.given,
        address: e.address,
        workload: w,
        vrouter: w?.vrouter
          ? {
              name: w.vrouter,
              status: row?.status ?? 'unknown',
              connected: row?.status === 'connected',
              downInterfaces: Number(agent['down_interface_count'] ?? 0),
            }
          : null,
        interfaceActive: w?.interfaceActive ?? null,
        interfaceDrops: drops,
      };
    }),
  );
}

export type EndpointState = Awaited<ReturnType<typeof placement>>[number];

/** An interface's drops over the range, by reason, from its counters. */
async function interfaceDrops(warehouse: Warehouse, vmiUuid: string, range: TimeRange) {
  const query = interfaceTotalsQuery({ range, filter: { vmi: [vmiUuid] } });
  const [row] = await warehouse.query<{ drops: Record<string, string> }>(query.sql, query.params);
  return Object.fromEntries(Object.entries(row?.drops ?? {}).map(([reason, n]) => [reason, Number(n)]));
}

const VERDICT_WORDS: Readonly<Record<DirectionVerdict, string>> = {
  ALLOWED: 'reachable',
  DENIED: 'denied',
  DROPPED: 'dropped',
  NO_FLOWS: 'no flows seen',
};

export async function reachability(
  warehouse: Warehouse,
  sourceText: string,
  destinationText: string,
  range: TimeRange,
) {
  const [a, b] = sameFamily(
    await resolveEndpoint(warehouse, sourceText, 'source'),
    await resolveEndpoint(warehouse, destinationText, 'destination'),
  );
  const rules = ruleNames(warehouse);
  const forward = await direction(warehouse, rules, a, b, range);
  const reverse = await direction(warehouse, rules, b, a, range);
  const [source, destination] = await placement(warehouse, [a, b], range);
  const explanation = `${forward.from} → ${forward.to}: ${forward.explanation}. ${reverse.from} → ${reverse.to}: ${reverse.explanation}.`;
  return {
    from: microsToRfc3339(range.fromUs),
    to: microsToRfc3339(range.toUs),
    source: source!,
    destination: destination!,
    verdict: forward.verdict,
    summary: VERDICT_WORDS[forward.verdict],
    forward,
    reverse,
    explanation,
  };
}
