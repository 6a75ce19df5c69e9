import { DOMAIN } from '../../topology/names.js';
import type { ControlNode, Gateway, VRouter, Workload } from '../../topology/types.js';

/** The names TF keys UVEs by. */

/** TF keys a VMI UVE by its project and uuid. */
export const vmiUveName = (project: string, w: Workload): string => `${project}:${w.vmiUuid}`;

/** A BGP router's fq name in TF's default IP fabric instance. */
export const bgpRouterFqName = (name: string): string =>
  `${DOMAIN}:default-project:ip-fabric:__default__:${name}`;

/** TF keys a BGP peering by both routers' fq names, the reporting one first. */
export const bgpPeerUveName = (control: ControlNode, gateway: Gateway): string =>
  `${bgpRouterFqName(control.name)}:${bgpRouterFqName(gateway.name)}`;

/** TF keys an XMPP peering by the control node and the vRouter agent's address. */
export const xmppPeerUveName = (control: ControlNode, vrouter: VRouter): string =>
  `${control.name}:${vrouter.ip}`;
