import type { UveUpdate } from '../../../../common/proto.js';
import type { ControlNode, Gateway, Topology, VRouter } from '../../topology/types.js';
import type { FabricCondition } from '../condition.js';
import { fabricNode } from '../fabric-nodes.js';
import { bgpPeerUveName, xmppPeerUveName } from './keys.js';
import { nodeStatusUve } from './node-status.js';
import { uve } from './uve.js';

/** What a control node reports: its BGP router state and its BGP and XMPP peerings. */

export type PeerState = 'Established' | 'Idle' | 'Active';

export interface BgpPeerStatus {
  state: PeerState;
  lastState: string;
  lastStateAt: number;
  flapCount: number;
  flapTime: number;
}

export const ESTABLISHED = (since: number): BgpPeerStatus => ({
  state: 'Established',
  lastState: 'OpenConfirm',
  lastStateAt: since,
  flapCount: 0,
  flapTime: 0,
});

/** Its peer counts: the gateways whose session is not down, the vRouter agents whose XMPP is not. */
export function bgpRouterStateUve(
  topo: Topology,
  control: ControlNode,
  c: FabricCondition,
  nowUs: number,
): UveUpdate {
  const bgpDown = c.bgpDown.get(control.name)?.size ?? 0;
  const xmppDown = topo.vrouters.filter((vr) => c.xmppDown.has(vr.name)).length;
  return uve(
    'control-node',
    control.name,
    'BgpRouterState',
    {
      bgp_router_ip_list: [control.ip],
      router_id: control.ip,
      local_asn: topo.asn,
      num_bgp_peer: topo.gateways.length,
      num_up_bgp_peer: topo.gateways.length - bgpDown,
      num_xmpp_peer: topo.vrouters.length,
      num_up_xmpp_peer: topo.vrouters.length - xmppDown,
      num_routing_instance: topo.virtualNetworks.length,
    },
    nowUs,
  );
}

export function bgpPeerUve(
  topo: Topology,
  control: ControlNode,
  gateway: Gateway,
  status: BgpPeerStatus,
  nowUs: number,
): UveUpdate {
  return uve(
    'bgp-peer',
    bgpPeerUveName(control, gateway),
    'BgpPeerInfoData',
    {
      state_info: { state: status.state, last_state: status.lastState, last_state_at: status.lastStateAt },
      peer_address: gateway.ip,
      local_asn: topo.asn,
      peer_asn: gateway.asn,
      peer_type: gateway.asn === topo.asn ? 'internal' : 'external',
      flap_info: { flap_count: status.flapCount, flap_time: status.flapTime },
    },
    nowUs,
  );
}

export function xmppPeerUve(control: ControlNode, vr: VRouter, nowUs: number): UveUpdate {
  return uve(
    'xmpp-peer',
    xmppPeerUveName(control, vr),
    'XmppPeerInfoData',
    {
      state_info: { state: 'Established', last_state: 'OpenConfirm', last_state_at: nowUs },
      identifier: vr.name,
    },
    nowUs,
  );
}

/**
 * Everything one control node reports, in order: BgpRouterState, NodeStatus, a BgpPeerInfoData per
 * SDN gateway, then an XmppPeerInfoData per vRouter agent.
 */
export function controlNodeUves(
  topo: Topology,
  control: ControlNode,
  c: FabricCondition,
  nowUs: number,
): UveUpdate[] {
  return [
    bgpRouterStateUve(topo, control, c, nowUs),
    nodeStatusUve(fabricNode(topo, control.name), c, nowUs),
    ...topo.gateways.map((gw) => bgpPeerUve(topo, control, gw, ESTABLISHED(nowUs), nowUs)),
    ...topo.vrouters.map((vr) => xmppPeerUve(control, vr, nowUs)),
  ];
}
