import { FlowDirection } from '../../../common/proto.js';
import { ipToBytes } from '../address.js';
import type { FlowActionName } from '../policy.js';
import type { Workload } from '../topology/types.js';
import type { Connection } from './connections.js';

/**
 * Where a connection is exported: on each vRouter it crosses, a forward and a reverse flow (INGRESS
 * where the packet comes from a local interface, EGRESS where it arrives over the tunnel); a flow
 * denied at the source never reaches the peer.
 */

/** The peer address of a flow that crosses no tunnel. */
export const ZERO_IP = new Uint8Array(4);

/** One vRouter's view of a connection: its local end, its peer, its decision and the deciding rules. */
export interface Side {
  vrouter: number;
  local: Workload;
  peerIp: Uint8Array; // the tunnel endpoint, 0.0.0.0 when none
  directionForward: FlowDirection;
  directionReverse: FlowDirection;
  action: FlowActionName;
  sgRuleForward: string;
  sgRuleReverse: string;
}

/** The vRouters a connection crosses and what each of them decides. */
export function sides(conn: Connection, vrouterOf: (name: string) => { index: number; ip: string }): Side[] {
  const v = conn.verdict;
  const src = vrouterOf(conn.source.vrouter);
  const receiver = conn.destination;
  const dst = receiver ? vrouterOf(receiver.vrouter) : undefined;
  const reachesPeer = receiver !== undefined && dst !== undefined && v.deniedAt !== 'source';
  if (receiver && dst && dst.index === src.index && reachesPeer) {
    const rule = v.deniedAt === 'destination' ? v.destSgRuleUuid : v.sourceSgRuleUuid;
    const local = { vrouter: src.index, peerIp: ZERO_IP, action: v.action, sgRuleForward: rule };
    // Both halves of a local flow come from local interfaces, so both are INGRESS.
    return [
      {
        ...local,
        local: conn.source,
        directionForward: FlowDirection.INGRESS,
        directionReverse: FlowDirection.INGRESS,
        sgRuleReverse: v.destSgRuleUuid,
      },
    ];
  }
  const srcSide: Side = {
    vrouter: src.index,
    local: conn.source,
    peerIp: dst ? ipToBytes(dst.ip) : ZERO_IP,
    directionForward: FlowDirection.INGRESS,
    directionReverse: FlowDirection.EGRESS,
    action: v.deniedAt === 'destination' ? 'PASS' : v.action,
    sgRuleForward: v.sourceSgRuleUuid,
    sgRuleReverse: v.sourceSgRuleUuid,
  };
  if (!reachesPeer || !receiver || !dst) return [srcSide];
  const dstSide: Side = {
    vrouter: dst.index,
    local: receiver,
    peerIp: ipToBytes(src.ip),
    directionForward: FlowDirection.EGRESS,
    directionReverse: FlowDirection.INGRESS,
    action: v.action,
    sgRuleForward: v.destSgRuleUuid,
    sgRuleReverse: v.destSgRuleUuid,
  };
  return [srcSide, dstSide];
}
