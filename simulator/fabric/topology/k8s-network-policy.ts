import type { BuildContext } from './context.js';
import { DOMAIN } from './names.js';
import { addSecurityGroup, egressAll, rule } from './security-groups.js';

/** NetworkPolicy payments/db-allow-same-namespace, which TF implements as a security group. */
export function addPaymentsNetworkPolicy(ctx: BuildContext): void {
  const project = `${DOMAIN}:k8s-payments`;
  const fqName = `${project}:k8s-payments-db-allow-same-namespace`;
  addSecurityGroup(ctx, {
    fqName,
    project,
    origin: 'k8s-network-policy:payments/db-allow-same-namespace',
    rules: [
      rule(ctx, 'ingress', 'IPv4', { sg: `${project}:k8s-payments-default-sg` }, 'tcp', [5432, 5432]),
      ...egressAll(ctx),
    ],
  });
  // A pod selected by a policy admits only what some policy allows, so the group replaces the default.
  for (const pod of ctx.topo.workloads) {
    if (pod.namespace === 'payments' && pod.labels['app'] === 'db') pod.securityGroups = [fqName];
  }
}
