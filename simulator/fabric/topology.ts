import { createRng, k8sSuffix, uuidFrom, type Rng } from './random.js';
import { intToIpv4, ipv4ToInt } from './address.js';

/**
 * A simulated Tungsten Fabric: vRouters, OpenStack projects and Kubernetes namespaces sharing one
 * controller, virtual networks and IPAMs (DESIGN.md §5). Plain data only, so that flows, UVEs and
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
  gateways: Gateway[];
  ipams: Ipam[];
  virtualNetworks: VirtualNetwork[];
  securityGroups: SecurityGroup[];
  networkPolicies: NetworkPolicy[];
  namespaces: Namespace[];
  workloads: Workload[];
  services: Service[];
}

export interface TopologyOptions {
  vrouters: number;
  seed?: number;
}

export const DOMAIN = 'default-domain';
export const POD_IPAM = `${DOMAIN}:k8s-default:k8s-default-pod-ipam`;
export const SERVICE_IPAM = `${DOMAIN}:k8s-default:k8s-default-service-ipam`;
export const POD_NETWORK = `${DOMAIN}:k8s-default:k8s-default-pod-network`;
export const SERVICE_NETWORK = `${DOMAIN}:k8s-default:k8s-default-service-network`;
export const POD_SUBNET = '10.32.0.0/12';
export const SERVICE_SUBNET = '10.96.0.0/12';
export const SEAMLESS_NETWORK = `${DOMAIN}:k8s-contrail:seamless`;
export const V6_NETWORK = `${DOMAIN}:k8s-contrail:v6-net`;
export const V6_SUBNET = 'fd00:100:64::/64';
/** BGP_ASN of the reference deployment. */
export const FABRIC_ASN = 65100;

/** Address allocation per IPAM: the VM and the pod of the shared network get .3 then .4. */
class Allocator {
  private next: number;
  private v6Next = 3;
  constructor(
    private readonly v4Start: number,
    private readonly step: 1 | -1,
    private readonly v6Prefix = '',
  ) {
    this.next = v4Start;
  }
  v4(): string {
    const ip = intToIpv4(this.next);
    this.next += this.step;
    return ip;
  }
  v6(): string {
    if (this.v6Prefix === '') throw new Error('IPAM has no IPv6 subnet');
    return `${this.v6Prefix}${(this.v6Next++).toString(16)}`;
  }
}

interface Context {
  rng: Rng;
  topo: Topology;
  ipams: Map<string, Allocator>;
  serviceIps: Set<string>;
}

const ipamOf = (ctx: Context, name: string): Allocator => {
  const ipam = ctx.ipams.get(name);
  if (!ipam) throw new Error(`unknown IPAM ${name}`);
  return ipam;
};

export function buildTopology(options: TopologyOptions): Topology {
  if (!Number.isInteger(options.vrouters) || options.vrouters < 1) throw new Error('vrouters must be ≥ 1');
  const seed = options.seed ?? 1;
  const topo: Topology = {
    seed,
    asn: FABRIC_ASN,
    vrouters: buildVrouters(options.vrouters),
    controlNodes: buildControlNodes(2),
    gateways: [{ name: 'sdn-gw-1', ip: '192.168.200.1', asn: 65000 }],
    ipams: [],
    virtualNetworks: [],
    securityGroups: [],
    networkPolicies: [],
    namespaces: [],
    workloads: [],
    services: [],
  };
  const ctx: Context = { rng: createRng(seed), topo, ipams: new Map(), serviceIps: new Set() };
  addIpams(ctx);
  addClusterNetworks(ctx);
  addOpenStack(ctx);
  addKubernetes(ctx);
  return topo;
}

function buildVrouters(count: number): VRouter[] {
  // Underlay addresses as in the reference deployment (192.168.200.0/21, tunnels between vhost0s).
  const base = ipv4ToInt('192.168.200.11');
  return Array.from({ length: count }, (_, index) => ({
    index,
    name: `compute-${index}`,
    generator: `compute-${index}:Compute:contrail-vrouter-agent:0`,
    ip: intToIpv4(base + index),
  }));
}

/** Control nodes sit just below the vRouters on the underlay (the reference's CONTROL_NODES is .10). */
function buildControlNodes(count: number): ControlNode[] {
  const base = ipv4ToInt('192.168.200.9');
  return Array.from({ length: count }, (_, i) => ({
    name: `control-${i + 1}`,
    generator: `control-${i + 1}:Control:contrail-control:0`,
    ip: intToIpv4(base + i),
  }));
}

function addIpams(ctx: Context): void {
  const specs: [string, string[], Allocator][] = [
    // TF's kube-manager hands pod addresses out from the top of the pod subnet downwards.
    [POD_IPAM, [POD_SUBNET], new Allocator(ipv4ToInt('10.47.255.251'), -1)],
    [SERVICE_IPAM, [SERVICE_SUBNET], new Allocator(ipv4ToInt('10.96.0.10'), 1)],
    [
      `${DOMAIN}:k8s-contrail:seamless-ipam`,
      ['192.168.100.0/24'],
      new Allocator(ipv4ToInt('192.168.100.3'), 1),
    ],
    [`${DOMAIN}:k8s-contrail:v6-ipam`, [V6_SUBNET], new Allocator(0, 1, 'fd00:100:64::')],
    [
      `${DOMAIN}:admin:private-ipam`,
      ['172.16.10.0/24', 'fd00:172:16:10::/64'],
      new Allocator(ipv4ToInt('172.16.10.3'), 1, 'fd00:172:16:10::'),
    ],
    [`${DOMAIN}:demo:demo-ipam`, ['172.16.20.0/24'], new Allocator(ipv4ToInt('172.16.20.3'), 1)],
  ];
  for (const [fqName, subnets, allocator] of specs) {
    ctx.topo.ipams.push({ fqName, subnets });
    ctx.ipams.set(fqName, allocator);
  }
}

function addNetwork(ctx: Context, fqName: string, ipam: string, encapsulation: Encapsulation): void {
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

function addClusterNetworks(ctx: Context): void {
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

// ---------------------------------------------------------------- security groups

const rule = (
  ctx: Context,
  direction: SecurityGroupRule['direction'],
  ethertype: SecurityGroupRule['ethertype'],
  remote: { sg: string } | { cidr: string },
  protocol: SecurityGroupRule['protocol'] = 'any',
  ports: [number, number] = [0, 65535],
): SecurityGroupRule => ({
  uuid: uuidFrom(ctx.rng),
  direction,
  ethertype,
  protocol,
  portMin: ports[0],
  portMax: ports[1],
  ...('sg' in remote ? { remoteSecurityGroup: remote.sg } : { remoteCidr: remote.cidr }),
});

const egressAll = (ctx: Context): SecurityGroupRule[] => [
  rule(ctx, 'egress', 'IPv4', { cidr: '0.0.0.0/0' }),
  rule(ctx, 'egress', 'IPv6', { cidr: '::/0' }),
];

function addSecurityGroup(ctx: Context, group: Omit<SecurityGroup, 'uuid'>): string {
  ctx.topo.securityGroups.push({ uuid: uuidFrom(ctx.rng), ...group });
  return group.fqName;
}

/** OpenStack's default group: ingress only from members of the same group (so pods are denied). */
function openStackDefaultSg(ctx: Context, project: string): string {
  const fqName = `${project}:default`;
  return addSecurityGroup(ctx, {
    fqName,
    project,
    origin: 'openstack-default',
    rules: [
      rule(ctx, 'ingress', 'IPv4', { sg: fqName }),
      rule(ctx, 'ingress', 'IPv6', { sg: fqName }),
      ...egressAll(ctx),
    ],
  });
}

/** A namespace's default group: ingress from cluster pods (pod subnets), not from OpenStack VMs. */
function k8sDefaultSg(ctx: Context, namespace: string, extraIngress: SecurityGroupRule[]): string {
  const project = `${DOMAIN}:k8s-${namespace}`;
  const fqName = `${project}:k8s-${namespace}-default-sg`;
  return addSecurityGroup(ctx, {
    fqName,
    project,
    origin: 'k8s-namespace-default',
    rules: [
      rule(ctx, 'ingress', 'IPv4', { sg: fqName }),
      rule(ctx, 'ingress', 'IPv4', { cidr: POD_SUBNET }),
      rule(ctx, 'ingress', 'IPv6', { cidr: V6_SUBNET }),
      ...extraIngress,
      ...egressAll(ctx),
    ],
  });
}

// ---------------------------------------------------------------- OpenStack

function addOpenStack(ctx: Context): void {
  const admin = addProject(
    ctx,
    'admin',
    `${DOMAIN}:admin:private`,
    `${DOMAIN}:admin:private-ipam`,
    'MPLSoGRE',
  );
  const demo = addProject(ctx, 'demo', `${DOMAIN}:demo:demo-net`, `${DOMAIN}:demo:demo-ipam`, 'MPLSoUDP');
  // Order matters: the VM on the shared network is allocated .3 before the pod gets .4.
  addVm(ctx, admin, 'vm', SEAMLESS_NETWORK, { v6: false });
  addVm(ctx, admin, 'admin-web-1', admin.network, { v6: true });
  addVm(ctx, admin, 'admin-db-1', admin.network, { v6: true });
  addVm(ctx, demo, 'demo-app-1', demo.network, { v6: false });
  addVm(ctx, demo, 'demo-app-2', demo.network, { v6: false });
}

function addProject(ctx: Context, name: string, vn: string, ipam: string, encap: Encapsulation): Namespace {
  const project = `${DOMAIN}:${name}`;
  addNetwork(ctx, vn, ipam, encap);
  const ns: Namespace = {
    kind: 'openstack',
    name,
    project,
    annotations: {},
    isolated: false,
    serviceIsolated: false,
    network: vn,
    serviceNetwork: '',
    defaultSecurityGroup: openStackDefaultSg(ctx, project),
  };
  ctx.topo.namespaces.push(ns);
  return ns;
}

function ipamForNetwork(ctx: Context, vn: string): Allocator {
  const network = ctx.topo.virtualNetworks.find((n) => n.fqName === vn);
  if (!network) throw new Error(`unknown VN ${vn}`);
  return ipamOf(ctx, network.ipam);
}

function addVm(ctx: Context, ns: Namespace, name: string, vn: string, opts: { v6: boolean }): void {
  const ipam = ipamForNetwork(ctx, vn);
  ctx.topo.workloads.push({
    kind: 'vm',
    name,
    namespace: ns.name,
    vn,
    ipv4: ipam.v4(),
    ...(opts.v6 ? { ipv6: ipam.v6() } : {}),
    vmUuid: uuidFrom(ctx.rng),
    vmiUuid: uuidFrom(ctx.rng),
    vrouter: ctx.rng.pick(ctx.topo.vrouters).name,
    securityGroups: [ns.defaultSecurityGroup],
    labels: {},
  });
}

// ---------------------------------------------------------------- Kubernetes

interface Deployment {
  app: string;
  replicas: number;
  port?: ServicePort; // exposes a service named after the app
}

interface NamespaceSpec {
  name: string;
  annotations: Record<string, string>;
  deployments: Deployment[];
}

const tcp = (port: number, targetPort = port): ServicePort => ({ protocol: 'tcp', port, targetPort });

function namespaceSpecs(vrouters: number): NamespaceSpec[] {
  const network = (project: string, name: string): string =>
    JSON.stringify({ domain: DOMAIN, project, name });
  return [
    {
      // Scales with the fabric so that every vRouter hosts pods and streams flows.
      name: 'default',
      annotations: {},
      deployments: [
        { app: 'web', replicas: Math.max(3, vrouters), port: tcp(80, 8080) },
        { app: 'client', replicas: Math.max(2, vrouters) },
      ],
    },
    {
      name: 'dev',
      annotations: {},
      deployments: [
        { app: 'api', replicas: 3, port: tcp(8080) },
        { app: 'worker', replicas: 2 },
      ],
    },
    {
      name: 'payments',
      annotations: {},
      deployments: [
        { app: 'frontend', replicas: 2 },
        { app: 'db', replicas: 2, port: tcp(5432) },
      ],
    },
    {
      name: 'test-isolated-ns',
      annotations: { 'opencontrail.org/isolation': 'true' },
      deployments: [{ app: 'example3', replicas: 2, port: tcp(80) }],
    },
    {
      name: 'secure-api',
      annotations: { 'opencontrail.org/isolation': 'true', 'opencontrail.org/isolation.service': 'false' },
      deployments: [{ app: 'secure', replicas: 2, port: tcp(443, 8443) }],
    },
    {
      name: 'seamless',
      annotations: { 'opencontrail.org/network': network('k8s-contrail', 'seamless') },
      deployments: [],
    },
    {
      name: 'ipv6-lab',
      annotations: { 'opencontrail.org/network': network('k8s-contrail', 'v6-net') },
      deployments: [{ app: 'echo', replicas: 3, port: tcp(7) }],
    },
  ];
}

function addKubernetes(ctx: Context): void {
  for (const spec of namespaceSpecs(ctx.topo.vrouters.length)) {
    const ns = addNamespace(ctx, spec);
    if (spec.name === 'seamless') addSeamlessPod(ctx, ns);
    spec.deployments.forEach((d) => addDeployment(ctx, ns, d));
  }
  addPaymentsNetworkPolicy(ctx);
}

/** Maps a namespace's annotations to its networks as TF's kube-manager does. */
function addNamespace(ctx: Context, spec: NamespaceSpec): Namespace {
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
  // The article's fix: the pod's group admits the OpenStack project's default group.
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
  ctx: Context,
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

function addPod(ctx: Context, ns: Namespace, name: string, vrouter: string, app: string): Workload {
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

function addSeamlessPod(ctx: Context, ns: Namespace): void {
  addPod(ctx, ns, 'cont', ctx.rng.pick(ctx.topo.vrouters).name, 'cont');
}

function addDeployment(ctx: Context, ns: Namespace, d: Deployment): void {
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

function serviceIp(ctx: Context): string {
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

function addService(ctx: Context, ns: Namespace, name: string, port: ServicePort, pods: Workload[]): void {
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

/** NetworkPolicy payments/db-allow-same-namespace, which TF implements as a security group. */
function addPaymentsNetworkPolicy(ctx: Context): void {
  const project = `${DOMAIN}:k8s-payments`;
  const fqName = `${project}:k8s-payments-db-allow-same-namespace`;
  addSecurityGroup(ctx, {
    fqName,
    project,
    origin: 'k8s-network-policy:payments/db-allow-same-namespace',
    rules: [
      rule(ctx, 'ingress', 'IPv4', { sg: `${project}:k8s-payments-default-sg` }, 'tcp', [5432, 5432]),
      ...egressAll(ctx),
    ],
  });
  // A pod selected by a policy admits only what some policy allows, so the group replaces the default.
  for (const pod of ctx.topo.workloads) {
    if (pod.namespace === 'payments' && pod.labels['app'] === 'db') pod.securityGroups = [fqName];
  }
}

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
