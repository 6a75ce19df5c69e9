import type { Topology } from '../topology/types.js';

/**
 * Every node of the fabric as its NodeStatus describes it: the UVE it reports under, the generator
 * that publishes it, and the processes its node manager supervises. A simulated node is one generator:
 * it publishes what TF splits between the node's main process and its node manager (process_info,
 * disk usage, core files, build and package versions).
 */

export type NodeType = 'vrouter' | 'control-node' | 'config-node';

export interface FabricNode {
  /** Position among all nodes (vRouters, control nodes, config nodes): staggers their boot times. */
  index: number;
  host: string;
  ip: string;
  uveType: NodeType;
  generator: string;
  /** The process the generator is: the one NodeStatus.process_status reports. */
  module: string;
  /** What the node's supervisor runs, the module first (NodeStatus.process_info). */
  processes: readonly string[];
  /** What the module reports while it is down (TF ConnectionState: the connection it misses). */
  downDescription: string;
}

const VROUTER_MODULE = 'contrail-vrouter-agent';
const CONTROL_MODULE = 'contrail-control';
const CONFIG_MODULE = 'contrail-api';

/** The processes of each node type, as TF's node managers list them. */
const PROCESSES: Readonly<Record<NodeType, readonly string[]>> = {
  vrouter: [VROUTER_MODULE, 'contrail-vrouter-nodemgr'],
  'control-node': [CONTROL_MODULE, 'contrail-dns', 'contrail-named', 'contrail-control-nodemgr'],
  'config-node': [
    CONFIG_MODULE,
    'contrail-schema',
    'contrail-svc-monitor',
    'contrail-device-manager',
    'contrail-config-nodemgr',
  ],
};

const missing = (connections: number, what: string): string =>
  `Number of connections:${connections - 1}, Expected:${connections} Missing: ${what}`;

/** vRouters first (topology order), then the control nodes, then the config nodes. */
function fabricNodes(topo: Topology): FabricNode[] {
  const primary = topo.controlNodes[0]?.ip ?? '';
  const nodes = [
    ...topo.vrouters.map((n) => ({ ...n, uveType: 'vrouter' as const, lost: `XMPP:dns-server:${primary}` })),
    ...topo.controlNodes.map((n) => ({ ...n, uveType: 'control-node' as const, lost: 'Database:Cassandra' })),
    ...topo.configNodes.map((n) => ({ ...n, uveType: 'config-node' as const, lost: 'Zookeeper:Zookeeper' })),
  ];
  return nodes.map((n, index) => {
    const processes = PROCESSES[n.uveType];
    return {
      index,
      host: n.name,
      ip: n.ip,
      uveType: n.uveType,
      generator: n.generator,
      module: processes[0] ?? '',
      processes,
      downDescription: missing(n.uveType === 'vrouter' ? 5 : 4, n.lost),
    };
  });
}

export function fabricNode(topo: Topology, host: string): FabricNode {
  const node = fabricNodes(topo).find((n) => n.host === host);
  if (!node) throw new Error(`no node "${host}"`);
  return node;
}
