import { isIP } from 'node:net';
import { invalid } from '../../common/errors.js';
import { interfacePartsQuery, loadBalancersQuery } from '../../common/sql/config-objects.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';

/**
 * Workloads by what people call them: pods, VMs and Kubernetes services by name, glob or address,
 * resolved to who they are and where they sit (VN, VRF, vRouter, interface, security groups). Pods
 * and VMs are interfaces: the vRouter agent's UveVMInterfaceAgent (identity, address, vRouter, up or
 * not) and the config node's ContrailConfig of the interface (its groups). Services are load
 * balancers in the config node's ContrailConfig. The `workloads` table carries identity only, not
 * placement or groups, so the live UVE parts are read instead.
 */

export interface Workload {
  kind: 'pod' | 'vm' | 'service';
  name: string;
  /** Kubernetes namespace or OpenStack project. */
  namespace: string;
  /** The TF project's fq name. */
  project: string;
  addresses: string[];
  vn: string;
  vrf: string;
  vrouter: string | null;
  /** The interface UVE's name (`<project>:<uuid>`) and uuid; null for a service. */
  vmi: string | null;
  vmiUuid: string | null;
  securityGroups: string[];
  labels: Record<string, string>;
  interfaceActive: boolean | null;
  /** A service's backends' addresses. */
  backends: string[];
}

export interface WorkloadQuestion {
  match?: string | null;
  ip?: string | null;
  vn?: string | null;
  namespace?: string | null;
  project?: string | null;
  /** An interface: its uuid or its UVE name (`<project>:<uuid>`). Not a GraphQL argument. */
  vmi?: string | null;
}

export interface SharedAddress {
  address: string;
  vns: string[];
}

export interface WorkloadAnswer {
  matches: Workload[];
  /** Addresses held in more than one virtual network among the matches. */
  sharedAddresses: SharedAddress[];
  notes: string[];
}

/** At most this many interfaces are read for one question: a glob over a large fabric is cut here. */
export const MAX_WORKLOADS = 500;

/** An address in one spelling: IPv6 as URLs print it (lower case, zeros compressed), IPv4 as given. */
export const canonicalAddress = (ip: string): string =>
  isIP(ip) === 6 ? new URL(`http://[${ip}]`).hostname.slice(1, -1) : ip;

/** TF names a VN's routing instance after the VN: `<vn fq name>:<vn name>`. */
export const vrfOf = (vn: string): string => (vn === '' ? '' : `${vn}:${vn.slice(vn.lastIndexOf(':') + 1)}`);

/** A glob (`*`, `?`) as a LIKE pattern, LIKE's own wildcards escaped. */
export const likePattern = (glob: string): string =>
  glob
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');

const globRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

/** The name part of `match` and the namespace it names (`namespace/name`), if any. */
function splitMatch(match: string | null | undefined): { name?: string; namespace?: string } {
  if (!match) return {};
  const slash = match.indexOf('/');
  if (slash < 0) return { name: match };
  const namespace = match.slice(0, slash);
  const name = match.slice(slash + 1);
  if (namespace === '' || name === '' || name.includes('/'))
    throw invalid(`match: "${match}" is neither a name, a glob nor namespace/name`);
  return { name, namespace };
}

const lastPart = (fq: string): string => fq.slice(fq.lastIndexOf(':') + 1);

/** Whether a workload fits every part of the question (checked on the newest parts). */
function fits(w: Workload, q: WorkloadQuestion, name?: string, namespace?: string): boolean {
  const ns = namespace ?? q.namespace;
  return (
    (!name || globRegExp(name).test(w.name)) &&
    (!ns || w.namespace === ns) &&
    (!q.vn || w.vn === q.vn) &&
    (!q.ip || w.addresses.some((a) => canonicalAddress(a) === canonicalAddress(q.ip ?? ''))) &&
    (!q.vmi || w.vmi === q.vmi || w.vmiUuid === q.vmi) &&
    (!q.project || w.project === q.project || lastPart(w.project) === q.project || w.namespace === q.project)
  );
}

export async function lookupWorkloads(warehouse: Warehouse, q: WorkloadQuestion): Promise<WorkloadAnswer> {
  if (!q.match && !q.ip && !q.vn && !q.namespace && !q.project && !q.vmi)
    throw invalid('workloads: give match, ip, vn, namespace or project');
  if (q.ip && isIP(q.ip) === 0) throw invalid(`ip: "${q.ip}" is not an IPv4 or IPv6 address`);
  const { name, namespace } = splitMatch(q.match);
  if (namespace && q.namespace && namespace !== q.namespace)
    throw invalid(`match: "${q.match}" names namespace ${namespace}, namespace: ${q.namespace}`);
  const [interfaces, services] = await Promise.all([
    readInterfaces(warehouse, q, name, namespace),
    q.vmi ? [] : readServices(warehouse),
  ]);
  const matches = [...interfaces, ...services]
    .filter((w) => fits(w, q, name, namespace))
    .sort(
      (a, b) =>
        a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.vn.localeCompare(b.vn),
    );
  const sharedAddresses = shared(matches);
  const notes = sharedAddresses.map(
    (s) => `address ${s.address} is in ${s.vns.length} virtual networks: ${s.vns.join(', ')}`,
  );
  if (interfaces.length >= MAX_WORKLOADS) notes.push(`only the first ${MAX_WORKLOADS} interfaces were read`);
  return { matches, sharedAddresses, notes };
}

function shared(matches: readonly Workload[]): SharedAddress[] {
  const vns = new Map<string, Set<string>>();
  for (const w of matches) for (const a of w.addresses) vns.set(a, (vns.get(a) ?? new Set()).add(w.vn));
  return [...vns]
    .filter(([, set]) => set.size > 1)
    .map(([address, set]) => ({ address, vns: [...set].sort() }));
}

interface PartRow {
  name: string;
  struct_type: string;
  attributes: string;
  updated_us: string;
}

type Json = Record<string, unknown>;

/** ContrailConfig's elements are JSON text each. */
const element = <T>(attributes: Json, key: string): T | undefined => {
  const text = (attributes['elements'] as Record<string, string> | undefined)?.[key];
  return text === undefined ? undefined : (JSON.parse(text) as T);
};

const refNames = (refs: { to: string[] }[] | undefined): string[] => (refs ?? []).map((r) => r.to.join(':'));

async function readInterfaces(
  warehouse: Warehouse,
  q: WorkloadQuestion,
  name?: string,
  namespace?: string,
): Promise<Workload[]> {
  const project = q.project && q.project.includes(':') ? q.project : undefined;
  const uve = q.vmi ? (q.vmi.includes(':') ? likePattern(q.vmi) : `%:${likePattern(q.vmi)}`) : undefined;
  const query = interfacePartsQuery(
    {
      ...(name ? { namePattern: likePattern(name) } : {}),
      ...(q.ip ? { address: q.ip } : {}),
      ...(q.vn ? { vn: q.vn } : {}),
      ...(namespace || q.namespace ? { namespace: namespace ?? q.namespace ?? '' } : {}),
      ...(project || uve ? { uvePattern: uve ?? `${likePattern(project ?? '')}:%` } : {}),
    },
    MAX_WORKLOADS,
  );
  const rows = await warehouse.query<PartRow>(query.sql, query.params);
  // The newest part of each struct wins (a VMI moved between vRouters has two agents' parts).
  const newest = new Map<string, { agent?: Json; config?: Json }>();
  for (const row of rows) {
    const entry = newest.get(row.name) ?? {};
    const attributes = JSON.parse(row.attributes) as Json;
    if (row.struct_type === 'ContrailConfig') entry.config = attributes;
    else entry.agent = attributes;
    newest.set(row.name, entry);
  }
  return [...newest].flatMap(([uve, { agent, config }]) => (agent ? [toWorkload(uve, agent, config)] : []));
}

function toWorkload(uve: string, agent: Json, config: Json | undefined): Workload {
  const text = (key: string): string => String(agent[key] ?? '');
  const vn = text('virtual_network');
  const kind = text('workload_kind') === 'vm' ? 'vm' : 'pod';
  return {
    kind,
    name: text('vm_name'),
    namespace: text('namespace'),
    project: uve.slice(0, uve.lastIndexOf(':')),
    addresses: [text('ip_address'), text('ip6_address')].filter((a) => a !== ''),
    vn,
    vrf: refNames(config && element(config, 'routing_instance_refs'))[0] ?? vrfOf(vn),
    vrouter: text('vrouter') || null,
    vmi: uve,
    vmiUuid: text('uuid') || uve.slice(uve.lastIndexOf(':') + 1),
    securityGroups: config ? refNames(element(config, 'security_group_refs')) : [],
    labels: (agent['labels'] as Record<string, string> | undefined) ?? {},
    interfaceActive: agent['active'] === undefined ? null : Boolean(agent['active']),
    backends: [],
  };
}

interface KeyValue {
  key: string;
  value: string;
}

async function readServices(warehouse: Warehouse): Promise<Workload[]> {
  const query = loadBalancersQuery(MAX_WORKLOADS);
  const rows = await warehouse.query<{ name: string; attributes: string }>(query.sql, query.params);
  return rows.map((row) => {
    const attributes = JSON.parse(row.attributes) as Json;
    const annotations =
      element<{ key_value_pair: KeyValue[] }>(attributes, 'annotations')?.key_value_pair ?? [];
    const annotation = (key: string) => annotations.find((a) => a.key === key)?.value ?? '';
    const vn = refNames(element(attributes, 'virtual_network_refs'))[0] ?? '';
    const vip = element<{ vip_address: string }>(attributes, 'loadbalancer_properties')?.vip_address ?? '';
    const members = element<{ address: string }[]>(attributes, 'loadbalancer_members') ?? [];
    return {
      kind: 'service' as const,
      name: annotation('name') || lastPart(row.name),
      namespace: annotation('namespace'),
      project: row.name.slice(0, row.name.lastIndexOf(':')),
      addresses: vip ? [vip] : [],
      vn,
      vrf: vrfOf(vn),
      vrouter: null,
      vmi: null,
      vmiUuid: null,
      securityGroups: [],
      labels: {},
      interfaceActive: null,
      backends: members.map((m) => m.address).filter((a) => a !== ''),
    };
  });
}
