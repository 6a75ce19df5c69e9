import DataLoader from 'dataloader';
import { rulesByUuidQuery } from '../../common/sql/config-objects.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type { Resolvers } from '../generated/graphql.js';
import type { QueryContext } from '../index.js';
import { fieldResolver } from '../shared/resolve.js';
import type { FlowNode } from './resolvers.js';

/**
 * The rule a flow record names by uuid (`sgRuleUuid`, `nwAceUuid`) resolved to the security group or
 * network policy holding it, its number there and its text, from the config node's ContrailConfig.
 * Every parent of a request asks the request's loader, which reads all the uuids asked in one query.
 */

export interface RuleRef {
  uuid: string;
  kind: 'SECURITY_GROUP_RULE' | 'POLICY_ENTRY' | 'IMPLICIT';
  /** The security group's or network policy's fq name; null for an implicit decision. */
  owner: string | null;
  /** 1-based, as TF numbers the rules of a group or the entries of a policy. */
  number: number | null;
  /** pass or deny for a policy entry and an implicit decision; pass for a group rule (groups only admit). */
  action: string;
  text: string;
}

/** TF's uuids for decisions no configured rule made (FlowPolicyStateStr). */
const IMPLICIT: Readonly<Record<string, RuleRef>> = {
  '00000000-0000-0000-0000-000000000001': implicit('00000000-0000-0000-0000-000000000001', 'pass'),
  '00000000-0000-0000-0000-000000000002': implicit('00000000-0000-0000-0000-000000000002', 'deny'),
};

function implicit(uuid: string, action: string): RuleRef {
  const text = action === 'pass' ? 'implicit allow (no rule needed)' : 'implicit deny (no rule admits it)';
  return { uuid, kind: 'IMPLICIT', owner: null, number: null, action, text };
}

/** Resolves rule uuids; null for an empty or unknown uuid. */
export type RuleNames = (uuid: string) => Promise<RuleRef | null>;

export function ruleNames(warehouse: Warehouse): RuleNames {
  const loader = new DataLoader<string, RuleRef | null>((uuids) => readRules(warehouse, uuids));
  return (uuid) => {
    if (uuid === '') return Promise.resolve(null);
    return Promise.resolve(IMPLICIT[uuid] ?? loader.load(uuid));
  };
}

interface RuleRow {
  type: string;
  name: string;
  position: number;
  rule: string;
}

async function readRules(warehouse: Warehouse, uuids: readonly string[]): Promise<(RuleRef | null)[]> {
  const query = rulesByUuidQuery(uuids);
  const found = new Map<string, RuleRef>();
  for (const row of await warehouse.query<RuleRow>(query.sql, query.params)) {
    const ref = toRuleRef(row);
    if (!found.has(ref.uuid)) found.set(ref.uuid, ref);
  }
  return uuids.map((uuid) => found.get(uuid) ?? null);
}

/** TF's AddressType: a security group, a subnet, a virtual network, or `any`. */
interface Address {
  security_group?: string;
  virtual_network?: string;
  subnet?: { ip_prefix: string; ip_prefix_len: number };
}

interface PolicyRule {
  rule_uuid: string;
  ethertype?: string;
  protocol: string;
  action_list?: { simple_action: string };
  src_addresses: Address[];
  dst_addresses: Address[];
  dst_ports: { start_port: number; end_port: number }[];
}

const address = (a: Address | undefined): string => {
  if (!a) return 'any';
  if (a.security_group) return a.security_group === 'local' ? 'local' : `group ${a.security_group}`;
  if (a.subnet) return `${a.subnet.ip_prefix}/${a.subnet.ip_prefix_len}`;
  return a.virtual_network ?? 'any';
};

const portText = (rule: PolicyRule): string => {
  const p = rule.dst_ports[0];
  if (!p || (p.start_port === 0 && p.end_port === 65535) || p.start_port < 0) return '';
  return p.start_port === p.end_port ? ` port ${p.start_port}` : ` ports ${p.start_port}-${p.end_port}`;
};

/** A group rule reads from the group's side: `ingress IPv4 tcp port 5432 from group …`. */
function groupRuleText(rule: PolicyRule): string {
  const ingress = rule.dst_addresses[0]?.security_group === 'local';
  const remote = address(ingress ? rule.src_addresses[0] : rule.dst_addresses[0]);
  const what = `${rule.ethertype ?? ''} ${rule.protocol}${portText(rule)}`.trim();
  return ingress ? `ingress ${what} from ${remote}` : `egress ${what} to ${remote}`;
}

/** A policy entry: `deny any from any to <vn>`. */
const entryText = (rule: PolicyRule): string =>
  `${rule.action_list?.simple_action ?? 'pass'} ${rule.protocol}${portText(rule)} from ${address(
    rule.src_addresses[0],
  )} to ${address(rule.dst_addresses[0])}`;

function toRuleRef(row: RuleRow): RuleRef {
  const rule = JSON.parse(row.rule) as PolicyRule;
  const group = row.type === 'security-group';
  return {
    uuid: rule.rule_uuid,
    kind: group ? 'SECURITY_GROUP_RULE' : 'POLICY_ENTRY',
    owner: row.name,
    number: Number(row.position),
    action: group ? 'pass' : (rule.action_list?.simple_action ?? 'pass'),
    text: group ? groupRuleText(rule) : entryText(rule),
  };
}

/** How a rule reads in an explanation: security group rule `g` #2 (ingress … from …). */
export function describeRule(rule: RuleRef): string {
  if (rule.kind === 'IMPLICIT') return rule.text;
  const what = rule.kind === 'SECURITY_GROUP_RULE' ? 'security group rule' : 'network policy entry';
  return `${what} \`${rule.owner}\` #${rule.number} (${rule.text})`;
}

export const ruleTypeDefs = /* GraphQL */ `
  enum RuleKind {
    SECURITY_GROUP_RULE
    POLICY_ENTRY
    "A decision no configured rule made (TF's implicit allow and deny uuids)."
    IMPLICIT
  }

  "A security-group rule or network-policy entry, resolved from the config node's ContrailConfig."
  type RuleRef {
    uuid: String!
    kind: RuleKind!
    "The security group's or network policy's fq name; null for an implicit decision."
    owner: String
    "The rule's number in its group or policy, from 1."
    number: Int
    "pass or deny."
    action: String!
    "The rule as text, e.g. ingress IPv4 tcp port 5432 from group default-domain:k8s-payments:k8s-payments-default-sg."
    text: String!
  }

  extend type FlowGroup {
    "The rules among its keys (by SG_RULE_UUID or NW_ACE_UUID), in the order of by; none unknown."
    rules: [RuleRef!]!
  }

  extend type FlowSeries {
    "The rules among its keys (by SG_RULE_UUID or NW_ACE_UUID), in the order of by; none unknown."
    rules: [RuleRef!]!
  }

  extend type Flow {
    "The security-group rule of sgRuleUuid; null when the record names none or the configuration lacks it."
    sgRule: RuleRef
    "The network-policy entry of nwAceUuid; null when the record names none or the configuration lacks it."
    nwAce: RuleRef
  }
`;

/** The fields below the root that read the warehouse. */
export const RULE_FIELDS = ['Flow.sgRule', 'Flow.nwAce', 'FlowGroup.rules', 'FlowSeries.rules'] as const;

/** The dimensions whose values are rule uuids. */
const RULE_DIMENSIONS: ReadonlySet<string> = new Set(['SG_RULE_UUID', 'NW_ACE_UUID']);

/** A group's or series' keys that are rule uuids, resolved; `by` is the dimensions it was grouped by. */
const keyRules = (coordinate: string) =>
  fieldResolver(
    coordinate,
    async (parent: { keys: readonly string[]; by?: readonly string[] }, context: QueryContext) => {
      const uuids = parent.keys.filter((_, i) => RULE_DIMENSIONS.has(parent.by?.[i] ?? ''));
      const rules = await Promise.all(uuids.map((uuid) => context.ruleNames(uuid)));
      return rules.filter((r): r is RuleRef => r !== null);
    },
  );

const ofFlow = (coordinate: string, field: 'sgRuleUuid' | 'nwAceUuid') =>
  fieldResolver(coordinate, (flow: FlowNode, context: QueryContext) =>
    context.ruleNames(String(flow[field] ?? '')),
  );

export const flowRuleResolvers: Resolvers = {
  Flow: { sgRule: ofFlow('Flow.sgRule', 'sgRuleUuid'), nwAce: ofFlow('Flow.nwAce', 'nwAceUuid') },
  FlowGroup: { rules: keyRules('FlowGroup.rules') },
  FlowSeries: { rules: keyRules('FlowSeries.rules') },
};
