import { cidrContains, familyOf } from './address.js';
import type { NetworkPolicy, SecurityGroupRule, Topology, Workload } from './topology/types.js';
import { indexTopology } from './topology/lookup.js';

/**
 * The verdict TF's vRouter reaches for a new flow: network policies between virtual networks first
 * (no matching policy = no leaked route), then the source's egress and the destination's ingress
 * security groups. Flow records carry the deciding ACE and rule uuids, as TF exports them.
 */
export type FlowActionName = 'PASS' | 'DENY' | 'DROP';

/** TF's well-known uuids for decisions that no configured rule made (FlowPolicyStateStr). */
export const IMPLICIT_ALLOW = '00000000-0000-0000-0000-000000000001';
export const IMPLICIT_DENY = '00000000-0000-0000-0000-000000000002';
/** TF reports a destination it cannot place in any VN so. */
export const UNKNOWN_VN = '__UNKNOWN__';

export type Protocol = 'tcp' | 'udp' | 'icmp';

export interface Endpoint {
  ip: string;
  vn: string;
  /** The workload that receives the traffic (a service's chosen backend); absent = nobody. */
  workload?: Workload;
}

export interface Verdict {
  action: FlowActionName;
  /** TF FlowDropReasonStr names: DROP_POLICY, DROP_SG, DROP_OUT_SG, SHORT_NO_DST_ROUTE; '' on PASS. */
  dropReason: string;
  /** Which vRouter decided a denial: the source's never forwards, the destination's drops on arrival. */
  deniedAt: 'none' | 'source' | 'destination';
  nwAceUuid: string;
  sourceSgRuleUuid: string;
  destSgRuleUuid: string;
}

type Index = ReturnType<typeof indexTopology>;

export interface PolicyModel {
  evaluate(src: Workload, srcIp: string, dst: Endpoint, protocol: Protocol, port: number): Verdict;
}

export function policyModel(topo: Topology): PolicyModel {
  const index = indexTopology(topo);
  return {
    evaluate: (src, srcIp, dst, protocol, port) =>
      evaluate(topo.networkPolicies, index, { src, srcIp, dst, protocol, port }),
  };
}

interface FlowQuestion {
  src: Workload;
  srcIp: string;
  dst: Endpoint;
  protocol: Protocol;
  port: number;
}

const deny = (
  action: 'DENY' | 'DROP',
  dropReason: string,
  deniedAt: Verdict['deniedAt'],
  ids: Partial<Pick<Verdict, 'nwAceUuid' | 'sourceSgRuleUuid' | 'destSgRuleUuid'>>,
): Verdict => ({
  action,
  dropReason,
  deniedAt,
  nwAceUuid: '',
  sourceSgRuleUuid: '',
  destSgRuleUuid: '',
  ...ids,
});

function evaluate(policies: NetworkPolicy[], index: Index, q: FlowQuestion): Verdict {
  const network = networkVerdict(policies, q.src.vn, q.dst.vn);
  if (network.action === 'none') return deny('DROP', 'SHORT_NO_DST_ROUTE', 'source', {});
  const nwAceUuid = network.ace;
  if (network.action === 'deny') return deny('DENY', 'DROP_POLICY', 'source', { nwAceUuid });
  const receiver = q.dst.workload;
  if (!receiver) return deny('DROP', 'SHORT_NO_DST_ROUTE', 'source', { nwAceUuid });
  const out = matchGroups(index, q.src.securityGroups, 'egress', q, receiver.securityGroups, q.dst.ip);
  if (!out) return deny('DENY', 'DROP_OUT_SG', 'source', { nwAceUuid, sourceSgRuleUuid: IMPLICIT_DENY });
  const inbound = matchGroups(index, receiver.securityGroups, 'ingress', q, q.src.securityGroups, q.srcIp);
  if (!inbound) {
    return deny('DENY', 'DROP_SG', 'destination', {
      nwAceUuid,
      sourceSgRuleUuid: out,
      destSgRuleUuid: IMPLICIT_DENY,
    });
  }
  return {
    action: 'PASS',
    dropReason: '',
    deniedAt: 'none',
    nwAceUuid,
    sourceSgRuleUuid: out,
    destSgRuleUuid: inbound,
  };
}

/**
 * Within a policy the first matching rule decides; across the policies attached to either network a
 * deny wins. This is what keeps other namespaces out of an isolated one while its pods get out.
 */
function networkVerdict(
  policies: NetworkPolicy[],
  srcVn: string,
  dstVn: string,
): { action: 'pass' | 'deny' | 'none'; ace: string } {
  if (srcVn === dstVn) return { action: 'pass', ace: IMPLICIT_ALLOW };
  let passAce = '';
  for (const policy of policies) {
    if (!policy.attachedTo.includes(srcVn) && !policy.attachedTo.includes(dstVn)) continue;
    const hit = policy.rules.find(
      (r) => (r.sourceVn === 'any' || r.sourceVn === srcVn) && (r.destVn === 'any' || r.destVn === dstVn),
    );
    if (hit?.action === 'deny') return { action: 'deny', ace: hit.uuid };
    if (hit && passAce === '') passAce = hit.uuid;
  }
  return passAce === '' ? { action: 'none', ace: '' } : { action: 'pass', ace: passAce };
}

/** The first rule of the given groups that admits the flow, or undefined (implicit deny). */
function matchGroups(
  index: Index,
  groups: string[],
  direction: SecurityGroupRule['direction'],
  q: FlowQuestion,
  remoteGroups: string[],
  remoteIp: string,
): string | undefined {
  const ethertype = familyOf(remoteIp) === 'v4' ? 'IPv4' : 'IPv6';
  for (const name of groups) {
    const rules = index.group(name)?.rules ?? [];
    const hit = rules.find(
      (r) =>
        r.direction === direction &&
        r.ethertype === ethertype &&
        (r.protocol === 'any' || (r.protocol === q.protocol && q.port >= r.portMin && q.port <= r.portMax)) &&
        (r.remoteSecurityGroup !== undefined
          ? remoteGroups.includes(r.remoteSecurityGroup)
          : cidrContains(r.remoteCidr ?? '', remoteIp)),
    );
    if (hit) return hit.uuid;
  }
  return undefined;
}
