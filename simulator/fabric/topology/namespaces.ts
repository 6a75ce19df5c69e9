import { uuidFrom } from '../random.js';
import type { BuildContext } from './context.js';
import { DOMAIN, POD_IPAM, POD_NETWORK, SERVICE_IPAM, SERVICE_NETWORK } from './names.js';
import { addNetwork } from './networks.js';
import type { Deployment } from './pods.js';
import { k8sDefaultSg, rule } from './security-groups.js';
import type { Namespace, PolicyRule } from './types.js';

/** A namespace as declared: its annotations say which networks it gets. */
export interface NamespaceSpec {
  name: string;
  annotations: Record<string, string>;
  deployments: Deployment[];
}

/** Maps a namespace's annotations to its networks as TF's kube-manager does. */
export function addNamespace(ctx: BuildContext, spec: NamespaceSpec): Namespace {
  const isolated = spec.annotations['opencontrail.org/isolation'] === 'true';
  const serviceIsolated = isolated && spec.annotations['opencontrail.org/isolation.service'] !== 'false';
  const custom = spec.annotations['opencontrail.org/network'];
  const project = `${DOMAIN}:k8s-${spec.name}`;
  let network = POD_NETWORK;
  let serviceNetwork = SERVICE_NETWORK;
  if (custom !== undefined) {
    const ref = JSON.parse(custom) as { domain: string; project: string; name: string };
    network = `${ref.domain}:${ref.project}:${ref.name}`;
  } else if (isolated) {
    ({ network, serviceNetwork } = addIsolatedNetworks(ctx, spec.name, serviceIsolated));
  }
  // What lets the VM reach the pod on their shared network: the pod's group admits the default group
  // of the VM's project.
  const extra =
    spec.name === 'seamless' ? [rule(ctx, 'ingress', 'IPv4', { sg: `${DOMAIN}:admin:default` })] : [];
  const ns: Namespace = {
    kind: 'k8s',
    name: spec.name,
    project,
    annotations: spec.annotations,
    isolated,
    serviceIsolated,
    network,
    serviceNetwork,
    defaultSecurityGroup: k8sDefaultSg(ctx, spec.name, extra),
  };
  ctx.topo.namespaces.push(ns);
  return ns;
}

/**
 * An isolated namespace gets its own pod and service networks (still on the cluster IPAMs) and a
 * policy: its pods reach everything, nobody else reaches its pods, and its services only when
 * `isolation.service: false`.
 */
function addIsolatedNetworks(
  ctx: BuildContext,
  name: string,
  serviceIsolated: boolean,
): { network: string; serviceNetwork: string } {
  const network = `${DOMAIN}:k8s-${name}:k8s-${name}-pod-network`;
  const serviceNetwork = `${DOMAIN}:k8s-${name}:k8s-${name}-service-network`;
  addNetwork(ctx, network, POD_IPAM, 'MPLSoUDP');
  addNetwork(ctx, serviceNetwork, SERVICE_IPAM, 'MPLSoUDP');
  const ace = (action: PolicyRule['action'], sourceVn: string, destVn: string): PolicyRule => ({
    uuid: uuidFrom(ctx.rng),
    action,
    sourceVn,
    destVn,
  });
  ctx.topo.networkPolicies.push({
    uuid: uuidFrom(ctx.rng),
    fqName: `${DOMAIN}:k8s-${name}:k8s-${name}-isolation-np`,
    attachedTo: [network, serviceNetwork],
    rules: [
      ace('pass', network, serviceNetwork),
      ace(serviceIsolated ? 'deny' : 'pass', 'any', serviceNetwork),
      ace('pass', serviceNetwork, 'any'),
      ace('deny', 'any', network),
      ace('pass', network, 'any'),
    ],
  });
  return { network, serviceNetwork };
}
