import type { Namespace, SecurityGroup, Topology, VirtualNetwork, VRouter, Workload } from './types.js';

/** Lookup helpers shared by the policy model, flow generation and the state builders. */
export function indexTopology(topo: Topology): {
  workload: (name: string) => Workload;
  group: (fqName: string) => SecurityGroup | undefined;
  vrouter: (name: string) => VRouter;
  network: (fqName: string) => VirtualNetwork;
  namespace: (name: string) => Namespace;
} {
  const byName = new Map(topo.workloads.map((w) => [w.name, w]));
  const groups = new Map(topo.securityGroups.map((g) => [g.fqName, g]));
  const vrouters = new Map(topo.vrouters.map((v) => [v.name, v]));
  const networks = new Map(topo.virtualNetworks.map((n) => [n.fqName, n]));
  const namespaces = new Map(topo.namespaces.map((n) => [n.name, n]));
  const must = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`unknown ${what}`);
    return value;
  };
  return {
    workload: (name) => must(byName.get(name), `workload ${name}`),
    group: (fqName) => groups.get(fqName),
    vrouter: (name) => must(vrouters.get(name), `vrouter ${name}`),
    network: (fqName) => must(networks.get(fqName), `network ${fqName}`),
    namespace: (name) => must(namespaces.get(name), `namespace ${name}`),
  };
}
