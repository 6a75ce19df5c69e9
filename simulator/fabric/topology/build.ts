import { createRng } from '../random.js';
import type { BuildContext } from './context.js';
import { addIpams } from './ipams.js';
import { addKubernetes } from './kubernetes.js';
import { addClusterNetworks } from './networks.js';
import { buildConfigNodes, buildControlNodes, buildGateways, buildVrouters, FABRIC_ASN } from './nodes.js';
import { addOpenStack } from './openstack.js';
import type { Topology } from './types.js';

export interface TopologyOptions {
  vrouters: number;
  seed?: number;
  /** The first vRouter's number (compute-<n>); 0 unless set. */
  firstVrouter?: number;
}

/**
 * The fabric of a seed: the underlay, then IPAMs, the cluster networks, OpenStack and Kubernetes, in
 * that order (their PRNG draws and address allocations follow it).
 */
export function buildTopology(options: TopologyOptions): Topology {
  if (!Number.isInteger(options.vrouters) || options.vrouters < 1) throw new Error('vrouters must be ≥ 1');
  const seed = options.seed ?? 1;
  const topo: Topology = {
    seed,
    asn: FABRIC_ASN,
    vrouters: buildVrouters(options.vrouters, options.firstVrouter ?? 0),
    controlNodes: buildControlNodes(2),
    configNodes: buildConfigNodes(1),
    gateways: buildGateways(),
    ipams: [],
    virtualNetworks: [],
    securityGroups: [],
    networkPolicies: [],
    namespaces: [],
    workloads: [],
    services: [],
  };
  const ctx: BuildContext = { rng: createRng(seed), topo, ipams: new Map(), serviceIps: new Set() };
  addIpams(ctx);
  addClusterNetworks(ctx);
  addOpenStack(ctx);
  addKubernetes(ctx);
  return topo;
}
