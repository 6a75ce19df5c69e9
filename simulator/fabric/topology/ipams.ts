import { intToIpv4, ipv4ToInt } from '../address.js';
import type { BuildContext } from './context.js';
import { DOMAIN, POD_IPAM, POD_SUBNET, SERVICE_IPAM, SERVICE_SUBNET, V6_SUBNET } from './names.js';

/** Address allocation per IPAM: the VM and the pod of the shared network get .3 then .4. */
export class Allocator {
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

const ipamOf = (ctx: BuildContext, name: string): Allocator => {
  const ipam = ctx.ipams.get(name);
  if (!ipam) throw new Error(`unknown IPAM ${name}`);
  return ipam;
};

/** The fabric's IPAMs, each with its subnets and where it starts handing addresses out. */
export function addIpams(ctx: BuildContext): void {
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
    // OpenStack tenants reuse private subnets: demo's VMs hold the addresses admin's hold, in another VN.
    [`${DOMAIN}:demo:demo-ipam`, ['172.16.10.0/24'], new Allocator(ipv4ToInt('172.16.10.3'), 1)],
  ];
  for (const [fqName, subnets, allocator] of specs) {
    ctx.topo.ipams.push({ fqName, subnets });
    ctx.ipams.set(fqName, allocator);
  }
}

/** The allocator of the IPAM a virtual network takes its addresses from. */
export function ipamForNetwork(ctx: BuildContext, vn: string): Allocator {
  const network = ctx.topo.virtualNetworks.find((n) => n.fqName === vn);
  if (!network) throw new Error(`unknown VN ${vn}`);
  return ipamOf(ctx, network.ipam);
}
