import { FlowAction, type Fields, type FlowRecord } from '../../../common/proto.js';
import { ipToBytes } from '../address.js';
import type { FlowActionName } from '../policy.js';
import { uuidToBytes } from '../random.js';
import { indexTopology } from '../topology/lookup.js';
import type { Topology } from '../topology/types.js';
import { buildConnections, type Connection, type FlowPoolOptions } from './connections.js';
import type { Scenario } from './scenarios.js';
import { sides, ZERO_IP, type Side } from './sides.js';

/** The per-vRouter flow record templates the encoder streams: what each vRouter's agent exports. */

/** Written per sample of a flow by the encoder (flow-encoder.ts); the server's port stays in the template. */
type SampleField =
  'flowUuid' | 'reverseUuid' | 'sport' | 'dport' | 'setupTime' | 'bytes' | 'packets' | 'timestamp';
/** Left out, as a vRouter agent does: an active flow has no teardown; workloads are enriched from UVEs. */
type UnsentField = 'teardownTime' | 'sourceWorkload' | 'destWorkload' | 'sourceNamespace' | 'destNamespace';

/**
 * The record fields that stay the same for every sample of a flow: a FlowRecord (64-bit counters as
 * numbers) without the per-sample and unsent fields, plus the one port that does not change.
 */
export type StaticFlowFields = Omit<Fields<FlowRecord>, SampleField | UnsentField> &
  Partial<Pick<Fields<FlowRecord>, 'sport' | 'dport'>>;

export interface FlowTemplate {
  connection: number;
  scenario: Scenario;
  vrouter: number; // index in topology.vrouters
  reverse: boolean;
  /**
   * Index (in the same vRouter's pool) of the other half of the flow pair, for reverse_uuid; null
   * when the reverse flow is not exported (a denied connection: no packet ever takes it back).
   */
  pair: number | null;
  action: FlowActionName;
  fields: StaticFlowFields;
  /** Which port is the client's ephemeral one: it changes whenever the flow is re-established. */
  ephemeral: 'sport' | 'dport';
  portSeed: number;
}

export interface FlowPools {
  connections: Connection[];
  /** Templates per vRouter index: what that vRouter's agent exports. */
  pools: FlowTemplate[][];
}

/** One record of a side: the forward or the reverse flow, as that vRouter's agent exports it. */
function fieldsFor(
  conn: Connection,
  side: Side,
  reverse: boolean,
  vrouter: { name: string; ip: string },
): StaticFlowFields {
  const tunnel = side.peerIp !== ZERO_IP;
  const t = reverse ? conn.reverse : conn.forward;
  const tcp = conn.protocol === 6;
  const denied = side.action !== 'PASS';
  // Like a TF vRouter agent, the record names addresses and VNs, not pods or namespaces: the
  // pipeline enriches those from the interface UVEs.
  const ends = [
    { ip: conn.sourceIp, vn: conn.sourceVn },
    { ip: conn.destIp, vn: conn.destVn },
  ] as const;
  const [from, to] = reverse ? [ends[1], ends[0]] : [ends[0], ends[1]];
  // Only a forward flow is ever denied: a denied connection exports no reverse flow (buildFlowPools).
  const dropReason = denied ? conn.verdict.dropReason : '';
  return {
    vrouter: vrouter.name,
    vrouterIp: ipToBytes(vrouter.ip),
    otherVrouterIp: side.peerIp,
    direction: reverse ? side.directionReverse : side.directionForward,
    sourceVn: from.vn,
    destVn: to.vn,
    sourceIp: ipToBytes(from.ip),
    destIp: ipToBytes(to.ip),
    protocol: conn.protocol,
    ...(reverse ? { sport: conn.dport } : { dport: conn.dport }),
    action: FlowAction[side.action],
    dropReason,
    sgRuleUuid: reverse ? side.sgRuleReverse : side.sgRuleForward,
    nwAceUuid: conn.verdict.nwAceUuid,
    vmiUuid: uuidToBytes(side.local.vmiUuid),
    diffBytes: t.bytes,
    diffPackets: t.packets,
    tcpFlags: tcp ? (denied ? 0x02 : 0x1a) : 0,
    underlayProto: tunnel ? conn.underlayProto : '',
    underlaySourcePort: tunnel && conn.underlayProto !== 'MPLSoGRE' ? conn.underlaySourcePort : 0,
    sampling: conn.sampling,
  };
}

/** Connections → per-vRouter templates, each forward record paired with its reverse record. */
export function buildFlowPools(topo: Topology, options: FlowPoolOptions = {}): FlowPools {
  const connections = buildConnections(topo, options);
  const index = indexTopology(topo);
  const pools: FlowTemplate[][] = topo.vrouters.map(() => []);
  for (const conn of connections) {
    for (const side of sides(conn, (name) => index.vrouter(name))) {
      const pool = pools[side.vrouter];
      const vrouter = topo.vrouters[side.vrouter];
      if (!pool || !vrouter) continue;
      const at = pool.length;
      const common = {
        connection: conn.id,
        scenario: conn.scenario,
        vrouter: side.vrouter,
        action: side.action,
      };
      const portSeed = conn.underlaySourcePort * 31 + conn.id;
      // A denied connection carries nothing back, so its reverse flows have no samples to export; their
      // records would read as traffic the other way (a DENY from the VM to the pod it reaches).
      const oneWay = conn.verdict.action !== 'PASS';
      pool.push({
        ...common,
        reverse: false,
        pair: oneWay ? null : at + 1,
        fields: fieldsFor(conn, side, false, vrouter),
        ephemeral: 'sport',
        portSeed,
      });
      if (oneWay) continue;
      pool.push({
        ...common,
        reverse: true,
        pair: at,
        fields: fieldsFor(conn, side, true, vrouter),
        ephemeral: 'dport',
        portSeed,
      });
    }
  }
  return { connections, pools };
}
