/**
 * A simulated Tungsten Fabric: vRouters, OpenStack projects and Kubernetes namespaces sharing one
 * controller, virtual networks and IPAMs (simulator/README.md). Plain data only, so that flows, UVEs and
 * routes can all be derived from the same value, and a seed always yields the same fabric.
 */
export type Encapsulation = 'MPLSoUDP' | 'MPLSoGRE' | 'VXLAN';

export interface VRouter {
  index: number;
  name: string; // hostname, e.g. compute-3
  generator: string; // compute-3:Compute:contrail-vrouter-agent:0
  ip: string; // underlay (vhost0) address
}

/** An SDN gateway (e.g. an MX) the control nodes peer with over BGP. */
export interface Gateway {
  name: string;
  ip: string;
  asn: number;
}

/** A TF control node: XMPP server of every vRouter agent, BGP speaker towards the gateways. */
export interface ControlNode {
  name: string; // hostname, e.g. control-1
  generator: string; // control-1:Control:contrail-control:0
  ip: string;
}

/** A TF config node: its API server publishes the configuration of every node (ContrailConfig). */
export interface ConfigNode {
  name: string; // hostname, e.g. config-1
  generator: string; // config-1:Config:contrail-api:0
  ip: string;
}

export interface Ipam {
  fqName: string;
  subnets: string[];
}

export interface VirtualNetwork {
  uuid: string;
  fqName: string;
  project: string;
  ipam: string;
  subnets: string[];
  encapsulation: Encapsulation;
  vni: number;
}

export interface SecurityGroupRule {
  uuid: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: 'any' | 'tcp' | 'udp' | 'icmp';
  portMin: number;
  portMax: number;
  /** Exactly one of the two: a remote security group (fq name) or a remote CIDR. */
  remoteSecurityGroup?: string;
  remoteCidr?: string;
}

export interface SecurityGroup {
  uuid: string;
  fqName: string;
  project: string;
  /** Where it comes from: a project's default group, or a Kubernetes NetworkPolicy it implements. */
  origin: string;
  rules: SecurityGroupRule[];
}

export interface PolicyRule {
  uuid: string; // the ACE uuid flows report as nw_ace_uuid
  action: 'pass' | 'deny';
  sourceVn: string; // fq name or 'any'
  destVn: string;
}

/** A TF network policy between virtual networks; rules are first-match within one policy. */
export interface NetworkPolicy {
  uuid: string;
  fqName: string;
  attachedTo: string[];
  rules: PolicyRule[];
}

export interface Namespace {
  kind: 'k8s' | 'openstack';
  name: string;
  project: string; // TF project fq name (a namespace maps to a project)
  annotations: Record<string, string>;
  isolated: boolean;
  serviceIsolated: boolean;
  network: string; // the VN its workloads attach to
  serviceNetwork: string; // '' for OpenStack projects
  defaultSecurityGroup: string;
}

export interface Workload {
  kind: 'pod' | 'vm';
  name: string;
  namespace: string; // Kubernetes namespace or OpenStack project name
  vn: string;
  ipv4?: string;
  ipv6?: string;
  vmUuid: string;
  vmiUuid: string;
  vrouter: string;
  securityGroups: string[];
  labels: Record<string, string>;
}

export interface ServicePort {
  protocol: 'tcp' | 'udp';
  port: number;
  targetPort: number;
}

/** A Kubernetes service: an ECMP load balancer whose service IP is reachable over all backends. */
export interface Service {
  name: string;
  namespace: string;
  loadBalancerUuid: string;
  vn: string;
  ip: string;
  ports: ServicePort[];
  backends: string[]; // workload names
}

export interface Topology {
  seed: number;
  /** The fabric's autonomous system (the control nodes' BGP ASN). */
  asn: number;
  vrouters: VRouter[];
  controlNodes: ControlNode[];
  configNodes: ConfigNode[];
  gateways: Gateway[];
  ipams: Ipam[];
  virtualNetworks: VirtualNetwork[];
  securityGroups: SecurityGroup[];
  networkPolicies: NetworkPolicy[];
  namespaces: Namespace[];
  workloads: Workload[];
  services: Service[];
}
