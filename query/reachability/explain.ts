import { describeRule, type RuleRef } from '../flows/rules.js';

/**
 * How the flows of one direction read to a person: which verdict holds, where it was taken (which
 * vRouter, the flow's direction there) and by what rule. Pure, so each case is tested on its own.
 */

export type Side = 'SOURCE' | 'DESTINATION' | 'LOCAL' | 'OTHER';

export interface VerdictGroup {
  vrouter: string;
  side: Side;
  /** The record's direction on that vRouter: ingress (from a local interface) or egress (towards one). */
  direction: string;
  action: string;
  dropReason: string;
  records: number;
  packets: number;
  lastUs: number;
  sgRuleUuid: string;
  nwAceUuid: string;
  sgRule: RuleRef | null;
  nwAce: RuleRef | null;
  /**
   * The reverse half of a connection opened the other way (TF's DROP_REVERSE_* reasons): it says
   * what happened to that connection, not to traffic opened in this direction.
   */
  reverseHalf: boolean;
}

export type DirectionVerdict = 'ALLOWED' | 'DENIED' | 'DROPPED' | 'NO_FLOWS';

export interface RouteSummary {
  vrf: string;
  prefix: string;
  hops: string[];
}

export interface DirectionContext {
  destinationAddress: string;
  sourceGroups: readonly string[];
  destinationGroups: readonly string[];
  /** The route from the source's VRF towards the destination; null when none (or no VRF). */
  route: RouteSummary | null;
  sourceVrf: string;
}

const REVERSE_REASON = /^DROP_REVERSE_/;
export const isReverseHalf = (dropReason: string): boolean => REVERSE_REASON.test(dropReason);

const via = (route: RouteSummary): string =>
  `${route.prefix}${route.hops.length ? ` via ${route.hops.join(', ')}` : ''}`;

const routeText = (ctx: DirectionContext): string => {
  if (!ctx.sourceVrf) return '';
  if (!ctx.route) return `no route to ${ctx.destinationAddress} in ${ctx.sourceVrf}`;
  return `longest match in ${ctx.sourceVrf}: ${via(ctx.route)}`;
};

/** A drop for want of a route: the route the source's VRF has, if any, is not one to the destination. */
const noRouteText = (ctx: DirectionContext): string => {
  const where = ctx.sourceVrf ? ` in ${ctx.sourceVrf}` : '';
  return `no route to ${ctx.destinationAddress}${where}${ctx.route ? ` (only ${via(ctx.route)})` : ''}`;
};

/** The rule or the missing route a denial names. */
function deciding(g: VerdictGroup, ctx: DirectionContext): string {
  if (g.nwAce && g.nwAce.kind === 'POLICY_ENTRY' && g.nwAce.action === 'deny')
    return `by ${describeRule(g.nwAce)}`;
  if (g.sgRule && g.sgRule.kind === 'SECURITY_GROUP_RULE') return `by ${describeRule(g.sgRule)}`;
  if (g.dropReason === 'DROP_SG' || g.dropReason === 'DROP_OUT_SG') {
    const groups = g.dropReason === 'DROP_SG' ? ctx.destinationGroups : ctx.sourceGroups;
    const way = g.dropReason === 'DROP_SG' ? 'ingress' : 'egress';
    const named = groups.length
      ? `security group ${groups.map((s) => `\`${s}\``).join(', ')}`
      : 'security groups';
    return `by ${named}: no ${way} rule admits it (implicit deny)`;
  }
  if (g.dropReason.startsWith('SHORT_NO_DST_ROUTE') || g.dropReason === 'DROP_NO_ROUTE')
    return `: ${noRouteText(ctx)}`;
  const uuids = [g.sgRuleUuid, g.nwAceUuid].filter((u) => u !== '').join(', ');
  return uuids ? `by rule ${uuids} (not in the configuration)` : '';
}

const ruleOf = (g: VerdictGroup): string => {
  const rules = [g.sgRule, g.nwAce].filter((r): r is RuleRef => r !== null && r.kind !== 'IMPLICIT');
  return rules.length ? ` (${rules.map(describeRule).join('; ')})` : '';
};

const where = (g: VerdictGroup): string => `${g.vrouter} ${g.direction}`;

export interface DirectionExplanation {
  verdict: DirectionVerdict;
  explanation: string;
}

export function explainDirection(
  groups: readonly VerdictGroup[],
  ctx: DirectionContext,
): DirectionExplanation {
  const opened = groups.filter((g) => !g.reverseHalf);
  if (opened.length === 0) {
    const replies = groups.length
      ? ` (only the reverse halves of ${sum(groups)} records opened the other way)`
      : '';
    const route = routeText(ctx);
    return { verdict: 'NO_FLOWS', explanation: `no flows seen${replies}${route ? `; ${route}` : ''}` };
  }
  const denied = opened.filter((g) => g.action !== 'pass').sort((a, b) => b.records - a.records);
  const passed = opened.filter((g) => g.action === 'pass');
  const top = denied[0];
  if (!top) {
    const places = [...new Set(passed.map((g) => `${where(g)}${ruleOf(g)}`))];
    return {
      verdict: 'ALLOWED',
      explanation: `allowed: ${sum(passed)} records passed on ${places.join(' and ')}`,
    };
  }
  const word = top.action === 'drop' ? 'dropped' : 'denied';
  const parts = [
    `${word} on ${where(top)} ${deciding(top, ctx)} [${top.dropReason || top.action}]`.replace(' :', ':'),
  ];
  const before = passed.filter((g) => g.vrouter !== top.vrouter);
  if (before.length) parts.push(`after passing ${[...new Set(before.map(where))].join(', ')}`);
  const alongside = passed.filter((g) => g.vrouter === top.vrouter);
  if (alongside.length)
    parts.push(
      `${sum(alongside)} records on ${top.vrouter} passed (replies to connections opened the other way, or other ports)`,
    );
  return { verdict: word === 'dropped' ? 'DROPPED' : 'DENIED', explanation: parts.join('; ') };
}

const sum = (groups: readonly VerdictGroup[]): number => groups.reduce((n, g) => n + g.records, 0);
