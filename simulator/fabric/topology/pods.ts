import { k8sSuffix, uuidFrom } from '../random.js';
import type { BuildContext } from './context.js';
import { ipamForNetwork } from './ipams.js';
import { V6_NETWORK } from './names.js';
import { addService } from './services.js';
import type { Namespace, ServicePort, Workload } from './types.js';

/** A deployment: its pods and, when it has a port, the service named after it. */
export interface Deployment {
  app: string;
  replicas: number;
  port?: ServicePort; // exposes a service named after the app
}

/** A pod on its namespace's network: IPv6 only on the IPv6 network, IPv4 elsewhere. */
export function addPod(
  ctx: BuildContext,
  ns: Namespace,
  name: string,
  vrouter: string,
  app: string,
): Workload {
  const ipam = ipamForNetwork(ctx, ns.network);
  const v6Only = ns.network === V6_NETWORK;
  const pod: Workload = {
    kind: 'pod',
    name,
    namespace: ns.name,
    vn: ns.network,
    ...(v6Only ? { ipv6: ipam.v6() } : { ipv4: ipam.v4() }),
    vmUuid: uuidFrom(ctx.rng),
    vmiUuid: uuidFrom(ctx.rng),
    vrouter,
    securityGroups: [ns.defaultSecurityGroup],
    labels: { app },
  };
  ctx.topo.workloads.push(pod);
  return pod;
}

/** The pod `cont`, which shares the custom network `seamless` with the OpenStack VM `vm`. */
export function addSeamlessPod(ctx: BuildContext, ns: Namespace): void {
  addPod(ctx, ns, 'cont', ctx.rng.pick(ctx.topo.vrouters).name, 'cont');
}

/** A deployment's replicas, named as a ReplicaSet names them, and its service. */
export function addDeployment(ctx: BuildContext, ns: Namespace, d: Deployment): void {
  const { rng, topo } = ctx;
  const replicaSet = k8sSuffix(rng, 10);
  const pods: Workload[] = [];
  for (let i = 0; i < d.replicas; i++) {
    // The default namespace goes round-robin so every vRouter has pods; the rest land anywhere.
    const vrouter = ns.name === 'default' ? topo.vrouters[i % topo.vrouters.length] : rng.pick(topo.vrouters);
    pods.push(
      addPod(ctx, ns, `${d.app}-${replicaSet}-${k8sSuffix(rng, 5)}`, vrouter?.name ?? 'compute-0', d.app),
    );
  }
  if (d.port) addService(ctx, ns, d.app, d.port, pods);
}
