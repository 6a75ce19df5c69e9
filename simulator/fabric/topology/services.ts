import { intToIpv4, ipv4ToInt } from '../address.js';
import { uuidFrom } from '../random.js';
import type { BuildContext } from './context.js';
import { ipamForNetwork } from './ipams.js';
import { V6_NETWORK } from './names.js';
import type { Namespace, ServicePort, Workload } from './types.js';

/** Kubernetes services: a load balancer over a deployment's pods, with an address of its own. */

function serviceIp(ctx: BuildContext): string {
  // Kubernetes picks service IPs at random within the service subnet.
  const base = ipv4ToInt('10.96.0.0');
  for (;;) {
    const ip = intToIpv4(base + ctx.rng.int(16, (1 << 20) - 2));
    if (!ctx.serviceIps.has(ip)) {
      ctx.serviceIps.add(ip);
      return ip;
    }
  }
}

/** A service over the pods: a random IP of the service subnet, or on the IPv6 network an address of its own. */
export function addService(
  ctx: BuildContext,
  ns: Namespace,
  name: string,
  port: ServicePort,
  pods: Workload[],
): void {
  const v6Only = ns.network === V6_NETWORK;
  ctx.topo.services.push({
    name,
    namespace: ns.name,
    loadBalancerUuid: uuidFrom(ctx.rng),
    // Custom networks carry their own service address (in their own subnet) in this model.
    vn: v6Only ? ns.network : ns.serviceNetwork,
    ip: v6Only ? ipamForNetwork(ctx, ns.network).v6() : serviceIp(ctx),
    ports: [port],
    backends: pods.map((p) => p.name),
  });
}
