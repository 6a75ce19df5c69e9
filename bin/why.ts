import { queryServer } from './graphql-client.js';

/**
 * `fabricscope why A B`: the reachability answer of the GraphQL API (Query.reachability), printed for
 * a person — the verdict and why, both endpoints and where they sit, per direction the verdicts each
 * vRouter took with their rules and the route — or as the API's JSON with --json.
 */

export interface WhyFlags {
  server: string;
  from?: string;
  to?: string;
  json?: boolean;
}

const RULE = 'owner number text kind';
const DIRECTION = `from to records verdict explanation routeVrf routeAt
  route { prefix paths { protocol nextHops { tunnelType destination label } } }
  verdicts { vrouter side direction action dropReason records packets sgRule { ${RULE} } nwAce { ${RULE} } reverseHalf }`;
const ENDPOINT = `given address interfaceActive interfaceDrops
  workload { kind name namespace vn vrf vrouter vmi securityGroups }
  vrouter { name status connected downInterfaces }
  alarms { type severity uveType name state }`;

export const WHY_QUERY = `query Why($source: String!, $destination: String!, $from: String, $to: String) {
  reachability(source: $source, destination: $destination, from: $from, to: $to) {
    from to verdict summary explanation
    source { ${ENDPOINT} } destination { ${ENDPOINT} }
    forward { ${DIRECTION} } reverse { ${DIRECTION} }
  }
}`;

interface Rule {
  owner: string | null;
  number: number | null;
  text: string;
  kind: string;
}

interface Direction {
  from: string;
  to: string;
  records: number;
  verdict: string;
  explanation: string;
  routeVrf: string | null;
  routeAt: string;
  route: {
    prefix: string;
    paths: { nextHops: { tunnelType: string; destination: string | null; label: number }[] }[];
  } | null;
  verdicts: {
    vrouter: string;
    side: string;
    direction: string;
    action: string;
    dropReason: string;
    records: number;
    sgRule: Rule | null;
    nwAce: Rule | null;
    reverseHalf: boolean;
  }[];
}

interface Endpoint {
  given: string;
  address: string;
  interfaceActive: boolean | null;
  interfaceDrops: Record<string, number> | null;
  workload: {
    kind: string;
    name: string;
    namespace: string;
    vn: string;
    vrf: string;
    vrouter: string | null;
    vmi: string | null;
    securityGroups: string[];
  } | null;
  vrouter: { name: string; status: string; connected: boolean; downInterfaces: number } | null;
  alarms: { type: string; severity: string; uveType: string; name: string; state: string }[];
}

export interface Reachability {
  from: string;
  to: string;
  verdict: string;
  summary: string;
  explanation: string;
  source: Endpoint;
  destination: Endpoint;
  forward: Direction;
  reverse: Direction;
}

const rule = (r: Rule | null): string => (!r ? '' : r.owner ? `${r.owner} #${r.number}: ${r.text}` : r.text);

function endpointLines(role: string, e: Endpoint): string[] {
  const w = e.workload;
  if (!w) return [`${role}: ${e.address} (no workload holds it)`];
  const lines = [
    `${role}: ${w.namespace}/${w.name} ${w.kind.toLowerCase()} ${e.address}`,
    `  vn ${w.vn}, vrf ${w.vrf}`,
  ];
  if (e.vrouter) {
    const state = `${e.vrouter.status}${e.vrouter.downInterfaces ? `, ${e.vrouter.downInterfaces} interfaces down` : ''}`;
    lines.push(
      `  vRouter ${e.vrouter.name} (${state}), interface ${w.vmi} ${e.interfaceActive ? 'up' : 'down'}`,
    );
  }
  const drops = Object.entries(e.interfaceDrops ?? {}).filter(([, n]) => n > 0);
  if (drops.length)
    lines.push(`  interface drops: ${drops.map(([reason, n]) => `${reason} ${n}`).join(', ')}`);
  if (w.securityGroups.length) lines.push(`  security groups: ${w.securityGroups.join(', ')}`);
  for (const a of e.alarms)
    lines.push(`  alarm ${a.severity} ${a.state} ${a.type} on ${a.uveType} ${a.name}`);
  return lines;
}

function directionLines(name: string, d: Direction): string[] {
  const lines = [`${name}: ${d.from} → ${d.to}: ${d.verdict} (${d.records} records)`, `  ${d.explanation}`];
  for (const v of d.verdicts) {
    const rules = [rule(v.nwAce), rule(v.sgRule)].filter((r) => r !== '').join('; ');
    const reason = v.dropReason ? ` ${v.dropReason}` : '';
    const half = v.reverseHalf ? ' (reverse half)' : '';
    lines.push(
      `  ${v.vrouter} ${v.side.toLowerCase()} ${v.direction}: ${v.action}${reason}${half}, ${v.records} records${rules ? ` — ${rules}` : ''}`,
    );
  }
  if (d.routeVrf) {
    const hops = d.route?.paths.flatMap((p) =>
      p.nextHops.map((h) =>
        `${h.tunnelType || 'local'} ${h.destination ?? ''} label ${h.label}`.replace('  ', ' '),
      ),
    );
    const found = d.route
      ? `${d.route.prefix} via ${[...new Set(hops)].join(', ') || 'no next hop'}`
      : 'no route';
    lines.push(`  route in ${d.routeVrf} at ${d.routeAt}: ${found}`);
  }
  return lines;
}

/** The answer as the command prints it. */
export function formatReachability(r: Reachability): string {
  return [
    `${r.forward.from} → ${r.forward.to}: ${r.summary}`,
    `${r.explanation}`,
    '',
    ...endpointLines('source', r.source),
    ...endpointLines('destination', r.destination),
    '',
    ...directionLines('forward', r.forward),
    ...directionLines('reverse', r.reverse),
    '',
    `flows between ${r.from} and ${r.to}`,
  ].join('\n');
}

export async function runWhy(source: string, destination: string, flags: WhyFlags): Promise<void> {
  const variables = { source, destination, from: flags.from ?? null, to: flags.to ?? null };
  const { reachability } = await queryServer<{ reachability: Reachability }>(
    flags.server,
    WHY_QUERY,
    variables,
  );
  console.log(flags.json ? JSON.stringify(reachability, null, 2) : formatReachability(reachability));
}
