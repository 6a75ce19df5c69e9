import type { BuildContext } from './context.js';
import { addPaymentsNetworkPolicy } from './k8s-network-policy.js';
import { DOMAIN } from './names.js';
import { addNamespace, type NamespaceSpec } from './namespaces.js';
import { addDeployment, addSeamlessPod } from './pods.js';
import type { ServicePort } from './types.js';

const tcp = (port: number, targetPort = port): ServicePort => ({ protocol: 'tcp', port, targetPort });

/** The cluster's namespaces, their annotations and what is deployed in each. */
function namespaceSpecs(vrouters: number): NamespaceSpec[] {
  const network = (project: string, name: string): string =>
    JSON.stringify({ domain: DOMAIN, project, name });
  return [
    {
      // Scales with the fabric so that every vRouter hosts pods and streams flows.
      name: 'default',
      annotations: {},
      deployments: [
        { app: 'web', replicas: Math.max(3, vrouters), port: tcp(80, 8080) },
        { app: 'client', replicas: Math.max(2, vrouters) },
      ],
    },
    {
      name: 'dev',
      annotations: {},
      deployments: [
        { app: 'api', replicas: 3, port: tcp(8080) },
        { app: 'worker', replicas: 2 },
      ],
    },
    {
      name: 'payments',
      annotations: {},
      deployments: [
        { app: 'frontend', replicas: 2 },
        { app: 'db', replicas: 2, port: tcp(5432) },
      ],
    },
    {
      name: 'test-isolated-ns',
      annotations: { 'opencontrail.org/isolation': 'true' },
      deployments: [{ app: 'example3', replicas: 2, port: tcp(80) }],
    },
    {
      name: 'secure-api',
      annotations: { 'opencontrail.org/isolation': 'true', 'opencontrail.org/isolation.service': 'false' },
      deployments: [{ app: 'secure', replicas: 2, port: tcp(443, 8443) }],
    },
    {
      name: 'seamless',
      annotations: { 'opencontrail.org/network': network('k8s-contrail', 'seamless') },
      deployments: [],
    },
    {
      name: 'ipv6-lab',
      annotations: { 'opencontrail.org/network': network('k8s-contrail', 'v6-net') },
      deployments: [{ app: 'echo', replicas: 3, port: tcp(7) }],
    },
  ];
}

/** The Kubernetes cluster: per namespace its networks, default group, pods and services; then its NetworkPolicy. */
export function addKubernetes(ctx: BuildContext): void {
  for (const spec of namespaceSpecs(ctx.topo.vrouters.length)) {
    const ns = addNamespace(ctx, spec);
    if (spec.name === 'seamless') addSeamlessPod(ctx, ns);
    spec.deployments.forEach((d) => addDeployment(ctx, ns, d));
  }
  addPaymentsNetworkPolicy(ctx);
}
