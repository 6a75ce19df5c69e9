/**
 * The low-volume records a generator publishes besides flows, as plain objects shaped like the
 * contract's messages (records.proto field names, enums as numbers, 64-bit values as numbers) so that
 * protobufjs encodes them as they are and a test can compare them field by field.
 */

/** AggType in records.proto. */
export const Agg = { NONE: 0, SUM: 1, UNION: 2, APPEND: 3 } as const;
export type AggValue = (typeof Agg)[keyof typeof Agg];

export interface AttributeAggregation {
  agg: AggValue;
  list_key: string;
}

export interface UveUpdate {
  type: string;
  name: string;
  struct_type: string;
  attributes_json: string;
  aggregation: Record<string, AttributeAggregation>;
  deleted: boolean;
  timestamp: number;
}

/** RouteOp in records.proto. */
export const RouteOp = { ADD: 1, DELETE: 2 } as const;
export type RouteOpValue = (typeof RouteOp)[keyof typeof RouteOp];

export interface NextHop {
  tunnel_type: string;
  destination: Uint8Array;
  label: number;
  interface: string;
}

export interface RouteEvent {
  routing_instance: string;
  family: 'inet' | 'inet6';
  prefix: string;
  op: RouteOpValue;
  next_hops: NextHop[];
  protocol: 'xmpp' | 'bgp';
  peer: string;
  local_pref: number;
  med: number;
  as_path: string;
  communities: string[];
  origin_vn: string;
  timestamp: number;
}

export interface InterfaceStats {
  vmi_uuid: Uint8Array;
  vm_name: string;
  virtual_network: string;
  vrouter: string;
  in_bytes: number;
  out_bytes: number;
  in_packets: number;
  out_packets: number;
  drops: Record<string, number>;
  active_flows: number;
  timestamp: number;
}

/** The Batch payload each record kind travels in (collector.proto, common/proto.ts PayloadField). */
export type StateKind = 'uves' | 'routes' | 'interface_stats';
export const STATE_KINDS: readonly StateKind[] = ['uves', 'routes', 'interface_stats'];

export interface StateRecordOf {
  uves: UveUpdate;
  routes: RouteEvent;
  interface_stats: InterfaceStats;
}
