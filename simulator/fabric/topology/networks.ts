import { uuidFrom } from '../random.js';
import type { BuildContext } from './context.js';
import {
  DOMAIN,
  POD_IPAM,
  POD_NETWORK,
  SEAMLESS_NETWORK,
  SERVICE_IPAM,
  SERVICE_NETWORK,
  V6_NETWORK,
} from './names.js';
import type { Encapsulation } from './types.js';

/** A virtual network on an IPAM's subnets; VNIs are handed out in creation order from 4096. */
export function addNetwork(
  ctx: BuildContext,
  fqName: string,
  ipam: string,
  encapsulation: Encapsulation,
): void {
  const subnets = ctx.topo.ipams.find((i) => i.fqName === ipam)?.subnets ?? [];
  const project = fqName.split(':').slice(0, 2).join(':');
  const vni = 4096 + ctx.topo.virtualNetworks.length;
  ctx.topo.virtualNetworks.push({
    uuid: uuidFrom(ctx.rng),
    fqName,
    project,
    ipam,
    subnets,
    encapsulation,
    vni,
  });
}

/** The cluster's shared networks: pod, service, the custom `seamless` one and the IPv6 one. */
export function addClusterNetworks(ctx: BuildContext): void {
  addNetwork(ctx, POD_NETWORK, POD_IPAM, 'MPLSoUDP');
  addNetwork(ctx, SERVICE_NETWORK, SERVICE_IPAM, 'MPLSoUDP');
  addNetwork(ctx, SEAMLESS_NETWORK, `${DOMAIN}:k8s-contrail:seamless-ipam`, 'MPLSoUDP');
  addNetwork(ctx, V6_NETWORK, `${DOMAIN}:k8s-contrail:v6-ipam`, 'VXLAN');
  // Pods reach services (and services answer) across the pod and service networks.
  ctx.topo.networkPolicies.push({
    uuid: uuidFrom(ctx.rng),
    fqName: `${DOMAIN}:k8s-default:k8s-default-service-np`,
    attachedTo: [POD_NETWORK, SERVICE_NETWORK],
    rules: [
      { uuid: uuidFrom(ctx.rng), action: 'pass', sourceVn: 'any', destVn: SERVICE_NETWORK },
      { uuid: uuidFrom(ctx.rng), action: 'pass', sourceVn: SERVICE_NETWORK, destVn: 'any' },
    ],
  });
}
