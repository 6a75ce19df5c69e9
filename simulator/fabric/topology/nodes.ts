import { intToIpv4, ipv4ToInt } from '../address.js';
import type { ConfigNode, ControlNode, Gateway, VRouter } from './types.js';

/** The underlay: the vRouters, the control nodes, the config node and the SDN gateway. */

/** BGP_ASN of the reference deployment. */
export const FABRIC_ASN = 65100;

/** `count` vRouters from compute-<first>; `index` is their position in the fabric's list. */
export function buildVrouters(count: number, first = 0): VRouter[] {
  // Underlay addresses as in the reference deployment (192.168.200.0/21, tunnels between vhost0s).
  const base = ipv4ToInt('192.168.200.11');
  return Array.from({ length: count }, (_, index) => ({
    index,
    name: `compute-${first + index}`,
    generator: `compute-${first + index}:Compute:contrail-vrouter-agent:0`,
    ip: intToIpv4(base + first + index),
  }));
}

/** Control nodes sit just below the vRouters on the underlay (the reference's CONTROL_NODES is .10). */
export function buildControlNodes(count: number): ControlNode[] {
  const base = ipv4ToInt('192.168.200.9');
  return Array.from({ length: count }, (_, i) => ({
    name: `control-${i + 1}`,
    generator: `control-${i + 1}:Control:contrail-control:0`,
    ip: intToIpv4(base + i),
  }));
}

/** The config node sits just below the control nodes. */
export function buildConfigNodes(count: number): ConfigNode[] {
  const base = ipv4ToInt('192.168.200.8');
  return Array.from({ length: count }, (_, i) => ({
    name: `config-${i + 1}`,
    generator: `config-${i + 1}:Config:contrail-api:0`,
    ip: intToIpv4(base - i),
  }));
}

/** One SDN gateway, in an AS of its own, at the bottom of the underlay subnet. */
export const buildGateways = (): Gateway[] => [{ name: 'sdn-gw-1', ip: '192.168.200.1', asn: 65000 }];
