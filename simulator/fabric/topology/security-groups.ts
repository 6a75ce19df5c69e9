import { uuidFrom } from '../random.js';
import type { BuildContext } from './context.js';
import { DOMAIN, POD_SUBNET, V6_SUBNET } from './names.js';
import type { SecurityGroup, SecurityGroupRule } from './types.js';

/** Security groups and their rules: the projects' and namespaces' default groups. */

/** A rule with a uuid of its own, towards a remote group or CIDR; any protocol and port unless given. */
export const rule = (
  ctx: BuildContext,
  direction: SecurityGroupRule['direction'],
  ethertype: SecurityGroupRule['ethertype'],
  remote: { sg: string } | { cidr: string },
  protocol: SecurityGroupRule['protocol'] = 'any',
  ports: [number, number] = [0, 65535],
): SecurityGroupRule => ({
  uuid: uuidFrom(ctx.rng),
  direction,
  ethertype,
  protocol,
  portMin: ports[0],
  portMax: ports[1],
  ...('sg' in remote ? { remoteSecurityGroup: remote.sg } : { remoteCidr: remote.cidr }),
});

/** Egress anywhere, IPv4 and IPv6, as every default group allows. */
export const egressAll = (ctx: BuildContext): SecurityGroupRule[] => [
  rule(ctx, 'egress', 'IPv4', { cidr: '0.0.0.0/0' }),
  rule(ctx, 'egress', 'IPv6', { cidr: '::/0' }),
];

/** Adds a group (with a uuid of its own) and returns its fq name. */
export function addSecurityGroup(ctx: BuildContext, group: Omit<SecurityGroup, 'uuid'>): string {
  ctx.topo.securityGroups.push({ uuid: uuidFrom(ctx.rng), ...group });
  return group.fqName;
}

/** OpenStack's default group: ingress only from members of the same group (so pods are denied). */
export function openStackDefaultSg(ctx: BuildContext, project: string): string {
  const fqName = `${project}:default`;
  return addSecurityGroup(ctx, {
    fqName,
    project,
    origin: 'openstack-default',
    rules: [
      rule(ctx, 'ingress', 'IPv4', { sg: fqName }),
      rule(ctx, 'ingress', 'IPv6', { sg: fqName }),
      ...egressAll(ctx),
    ],
  });
}

/** A namespace's default group: ingress from cluster pods (pod subnets), not from OpenStack VMs. */
export function k8sDefaultSg(
  ctx: BuildContext,
  namespace: string,
  extraIngress: SecurityGroupRule[],
): string {
  const project = `${DOMAIN}:k8s-${namespace}`;
  const fqName = `${project}:k8s-${namespace}-default-sg`;
  return addSecurityGroup(ctx, {
    fqName,
    project,
    origin: 'k8s-namespace-default',
    rules: [
      rule(ctx, 'ingress', 'IPv4', { sg: fqName }),
      rule(ctx, 'ingress', 'IPv4', { cidr: POD_SUBNET }),
      rule(ctx, 'ingress', 'IPv6', { cidr: V6_SUBNET }),
      ...extraIngress,
      ...egressAll(ctx),
    ],
  });
}
