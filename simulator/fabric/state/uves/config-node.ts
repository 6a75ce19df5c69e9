import type { UveUpdate } from '../../../../common/proto.js';
import type { ConfigNode, Topology } from '../../topology/types.js';
import type { FabricCondition } from '../condition.js';
import { fabricNode } from '../fabric-nodes.js';
import { tenantConfigObjects } from './config-objects.js';
import { bgpRouterFqName } from './keys.js';
import { nodeStatusUve } from './node-status.js';
import { uve } from './uve.js';

/**
 * What the config node's API server reports: its own NodeStatus, and the configuration of every node
 * (TF ContrailConfig: the config object's properties, each as JSON text), which the node's UVE carries
 * beside what the node itself reports. It stays when the node is withdrawn, as in TF.
 */

const GLOBAL = 'default-global-system-config';
const json = (value: unknown): string => JSON.stringify(value);

function contrailConfig(
  type: string,
  name: string,
  elements: Record<string, unknown>,
  nowUs: number,
): UveUpdate {
  const text = Object.fromEntries(Object.entries(elements).map(([key, value]) => [key, json(value)]));
  return uve(type, name, 'ContrailConfig', { elements: text }, nowUs);
}

/** The properties every config object has: its fq name, parent type and display name. */
const object = (fqName: string[], parentType: string): Record<string, unknown> => ({
  fq_name: fqName,
  parent_type: parentType,
  display_name: fqName.at(-1),
});

/** One ContrailConfig per vRouter (its virtual-router), control node (bgp-router) and config node. */
function contrailConfigUves(topo: Topology, nowUs: number): UveUpdate[] {
  return [
    ...topo.vrouters.map((vr) =>
      contrailConfig(
        'vrouter',
        vr.name,
        { ...object([GLOBAL, vr.name], 'global-system-config'), virtual_router_ip_address: vr.ip },
        nowUs,
      ),
    ),
    ...topo.controlNodes.map((control) =>
      contrailConfig(
        'control-node',
        control.name,
        {
          ...object(bgpRouterFqName(control.name).split(':'), 'routing-instance'),
          bgp_router_parameters: {
            vendor: 'contrail',
            router_type: 'control-node',
            address: control.ip,
            identifier: control.ip,
            autonomous_system: topo.asn,
            hold_time: 90,
            port: 179,
            address_families: { family: ['route-target', 'inet-vpn', 'e-vpn', 'erm-vpn', 'inet6-vpn'] },
          },
        },
        nowUs,
      ),
    ),
    ...topo.configNodes.map((config) =>
      contrailConfig(
        'config-node',
        config.name,
        { ...object([GLOBAL, config.name], 'global-system-config'), config_node_ip_address: config.ip },
        nowUs,
      ),
    ),
  ];
}

/** Everything one config node reports: its NodeStatus, the nodes' ContrailConfig, then the tenants'. */
export function configNodeUves(
  topo: Topology,
  config: ConfigNode,
  c: FabricCondition,
  nowUs: number,
): UveUpdate[] {
  return [
    nodeStatusUve(fabricNode(topo, config.name), c, nowUs),
    ...contrailConfigUves(topo, nowUs),
    ...tenantConfigObjects(topo).map((o) => contrailConfig(o.type, o.name, o.elements, nowUs)),
  ];
}
