import { DOMAIN } from '../../topology/names.js';
import type {
  NetworkPolicy,
  SecurityGroup,
  SecurityGroupRule,
  Service,
  Topology,
  VirtualNetwork,
  Workload,
} from '../../topology/types.js';
import { vrfName } from '../routes.js';
import { vmiUveName } from './keys.js';
import { macOf } from './vrouter-agent.js';

/**
 * The tenant configuration TF's API server holds, as the config node's ContrailConfig structs: the
 * security groups with their rules, the network policies with their entries, the virtual networks and
 * their routing instances, the interfaces (which groups and network they are in) and the Kubernetes
 * services' load balancers. Each element is a config object property in TF's schema (vnc_api), so a
 * flow's rule uuid can be traced to the group or policy that holds it and the rule itself.
 */

/** A config object's properties, each as JSON text as TF's ContrailConfig carries them. */
export type ConfigElements = Record<string, unknown>;

/** One ContrailConfig UVE: its type, key and elements. */
export interface ConfigObject {
  type: string;
  name: string;
  elements: ConfigElements;
}

const fq = (name: string): string[] => name.split(':');
const ref = (name: string, uuid?: string) => ({ to: fq(name), ...(uuid ? { uuid } : {}) });
const base = (fqName: string, parentType: string, uuid: string): ConfigElements => ({
  fq_name: fq(fqName),
  parent_type: parentType,
  display_name: fqName.slice(fqName.lastIndexOf(':') + 1),
  uuid,
});

const ports = (min: number, max: number) => [{ start_port: min, end_port: max }];
const ANY_PORT = ports(0, 65535);

/** A group rule in TF's PolicyRuleType: ingress rules come from the remote, egress rules go to it. */
function groupRule(r: SecurityGroupRule) {
  const remote = r.remoteSecurityGroup
    ? { security_group: r.remoteSecurityGroup }
    : {
        subnet: {
          ip_prefix: r.remoteCidr?.split('/')[0],
          ip_prefix_len: Number(r.remoteCidr?.split('/')[1]),
        },
      };
  const local = { security_group: 'local' };
  return {
    rule_uuid: r.uuid,
    direction: '>',
    ethertype: r.ethertype,
    protocol: r.protocol,
    src_addresses: [r.direction === 'ingress' ? remote : local],
    dst_addresses: [r.direction === 'ingress' ? local : remote],
    src_ports: ANY_PORT,
    dst_ports: ports(r.portMin, r.portMax),
  };
}

const securityGroup = (g: SecurityGroup): ConfigObject => ({
  type: 'security-group',
  name: g.fqName,
  elements: {
    ...base(g.fqName, 'project', g.uuid),
    security_group_entries: { policy_rule: g.rules.map(groupRule) },
    // TF's kube-manager says what a group implements in its annotations.
    annotations: { key_value_pair: [{ key: 'origin', value: g.origin }] },
  },
});

const networkAddress = (vn: string) => [{ virtual_network: vn }];

const networkPolicy = (p: NetworkPolicy): ConfigObject => ({
  type: 'network-policy',
  name: p.fqName,
  elements: {
    ...base(p.fqName, 'project', p.uuid),
    network_policy_entries: {
      policy_rule: p.rules.map((r) => ({
        rule_uuid: r.uuid,
        action_list: { simple_action: r.action },
        direction: '<>',
        protocol: 'any',
        src_addresses: networkAddress(r.sourceVn),
        dst_addresses: networkAddress(r.destVn),
        src_ports: ANY_PORT,
        dst_ports: ANY_PORT,
      })),
    },
    virtual_network_back_refs: p.attachedTo.map((vn) => ref(vn)),
  },
});

function virtualNetwork(topo: Topology, vn: VirtualNetwork): ConfigObject[] {
  const policies = topo.networkPolicies.filter((p) => p.attachedTo.includes(vn.fqName));
  const vrf = vrfName(vn.fqName);
  return [
    {
      type: 'virtual-network',
      name: vn.fqName,
      elements: {
        ...base(vn.fqName, 'project', vn.uuid),
        virtual_network_network_id: vn.vni,
        virtual_network_properties: { forwarding_mode: 'l2_l3', vxlan_network_identifier: vn.vni },
        network_ipam_refs: [
          { to: fq(vn.ipam), attr: { ipam_subnets: vn.subnets.map((s) => ({ subnet: s })) } },
        ],
        network_policy_refs: policies.map((p) => ref(p.fqName, p.uuid)),
        routing_instances: [{ to: fq(vrf) }],
      },
    },
    {
      type: 'routing-instance',
      name: vrf,
      elements: {
        fq_name: fq(vrf),
        parent_type: 'virtual-network',
        display_name: vrf.slice(vrf.lastIndexOf(':') + 1),
        routing_instance_is_default: true,
        virtual_network: vn.fqName,
      },
    },
  ];
}

function vmInterface(topo: Topology, w: Workload): ConfigObject {
  const project = topo.namespaces.find((n) => n.name === w.namespace)?.project ?? `${DOMAIN}:${w.namespace}`;
  const name = vmiUveName(project, w);
  return {
    type: 'virtual-machine-interface',
    name,
    elements: {
      ...base(name, 'project', w.vmiUuid),
      virtual_network_refs: [ref(w.vn)],
      routing_instance_refs: [ref(vrfName(w.vn))],
      security_group_refs: w.securityGroups.map((g) => ref(g)),
      virtual_machine_refs: [{ to: [w.vmUuid], uuid: w.vmUuid }],
      virtual_machine_interface_mac_addresses: { mac_address: [macOf(w)] },
    },
  };
}

/**
 * The members a load balancer's struct names, at most: TF keeps members as objects of their own, and a
 * UVE struct must stay under the collector's --max-uve-bytes (64 KiB by default), which a service of a
 * thousand-vRouter fabric (a backend per vRouter) would pass. The first ones are named.
 */
const MAX_LISTED_MEMBERS = 256;

/** A Kubernetes service as kube-manager configures it: a load balancer with its VIP and members. */
function loadBalancer(topo: Topology, svc: Service): ConfigObject {
  const project = topo.namespaces.find((n) => n.name === svc.namespace)?.project ?? DOMAIN;
  const name = `${project}:${svc.name}`;
  const members = svc.backends
    .slice(0, MAX_LISTED_MEMBERS)
    .map((b) => topo.workloads.find((w) => w.name === b));
  return {
    type: 'loadbalancer',
    name,
    elements: {
      ...base(name, 'project', svc.loadBalancerUuid),
      loadbalancer_provider: 'native',
      loadbalancer_properties: { vip_address: svc.ip, status: 'ACTIVE', provisioning_status: 'ACTIVE' },
      virtual_network_refs: [ref(svc.vn)],
      annotations: {
        key_value_pair: [
          { key: 'kind', value: 'Service' },
          { key: 'namespace', value: svc.namespace },
          { key: 'name', value: svc.name },
        ],
      },
      loadbalancer_listener: svc.ports.map((p) => ({
        protocol: p.protocol,
        port: p.port,
        target_port: p.targetPort,
      })),
      loadbalancer_members: members.map((w) => ({
        address: w?.ipv4 ?? w?.ipv6 ?? '',
        workload: w?.name ?? '',
      })),
    },
  };
}

/** Every tenant config object of the fabric, in a stable order. */
export function tenantConfigObjects(topo: Topology): ConfigObject[] {
  return [
    ...topo.securityGroups.map(securityGroup),
    ...topo.networkPolicies.map(networkPolicy),
    ...topo.virtualNetworks.flatMap((vn) => virtualNetwork(topo, vn)),
    ...topo.workloads.map((w) => vmInterface(topo, w)),
    ...topo.services.map((svc) => loadBalancer(topo, svc)),
  ];
}
