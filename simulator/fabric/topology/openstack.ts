import { uuidFrom } from '../random.js';
import type { BuildContext } from './context.js';
import { ipamForNetwork } from './ipams.js';
import { DOMAIN, SEAMLESS_NETWORK } from './names.js';
import { addNetwork } from './networks.js';
import { openStackDefaultSg } from './security-groups.js';
import type { Encapsulation, Namespace } from './types.js';

/** The OpenStack side: two projects with their networks and VMs, and the VM on the shared network. */
export function addOpenStack(ctx: BuildContext): void {
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

function addProject(
  ctx: BuildContext,
  name: string,
  vn: string,
  ipam: string,
  encap: Encapsulation,
): Namespace {
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

function addVm(ctx: BuildContext, ns: Namespace, name: string, vn: string, opts: { v6: boolean }): void {
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
