import type { DescMessage } from '@bufbuild/protobuf';
import {
  FlowRecordSchema,
  InterfaceStatsSchema,
  RouteEventSchema,
  UveUpdateSchema,
  type PayloadKind,
} from '../../common/proto.js';
import {
  flowCatalog,
  interfaceStatsCatalog,
  routeCatalog,
  uveCatalog,
} from '../../common/schema/catalog/index.js';
import type { RecordCatalog } from '../../common/schema/catalog/types.js';

/** A record kind as a generator sends it: its message, the table it lands in, and good records. */
export interface RecordKind {
  payload: PayloadKind;
  schema: DescMessage;
  catalog: RecordCatalog;
  table: string;
  /** A valid record, numbered i (different i, different record; i < 100 000), dated about now. */
  good: (i: number) => Record<string, unknown>;
}

const nowUs = () => Date.now() * 1000;

export const recordKinds: readonly RecordKind[] = [
  {
    payload: 'flows',
    schema: FlowRecordSchema,
    catalog: flowCatalog,
    table: 'flows',
    good: (i) => ({
      flow_uuid: Buffer.alloc(16, i + 1),
      vrouter: 'compute-7',
      source_ip: Buffer.from([10, 0, 1, i & 255]),
      dest_ip: Buffer.from([10, 0, 2, 1]),
      protocol: 6,
      sport: 40000,
      dport: 443,
      action: 1,
      direction: 1,
      diff_bytes: 100,
      diff_packets: 1,
      timestamp: nowUs() - (i % 1000) * 1e6,
    }),
  },
  {
    payload: 'uves',
    schema: UveUpdateSchema,
    catalog: uveCatalog,
    table: 'uve_updates',
    good: (i) => ({
      type: 'virtual-network',
      name: `default-domain:admin:vn${i}`,
      struct_type: 'UveVirtualNetworkAgent',
      attributes_json: '{"in_bytes": 5}',
      timestamp: nowUs(),
    }),
  },
  {
    payload: 'routes',
    schema: RouteEventSchema,
    catalog: routeCatalog,
    table: 'routes',
    good: (i) => ({
      routing_instance: 'default-domain:admin:vn1:vn1',
      family: 'inet',
      prefix: `10.1.${i & 255}.0/24`,
      op: 1,
      next_hops: [{ tunnel_type: 'MPLSoUDP', destination: Buffer.from([192, 168, 0, 2]), label: 17 }],
      protocol: 'xmpp',
      local_pref: 100,
      timestamp: nowUs(),
    }),
  },
  {
    payload: 'interface_stats',
    schema: InterfaceStatsSchema,
    catalog: interfaceStatsCatalog,
    table: 'if_stats',
    good: (i) => ({
      vmi_uuid: Buffer.alloc(16, (i % 250) + 1),
      vrouter: 'compute-7',
      in_bytes: 10,
      active_flows: 3,
      timestamp: nowUs() - (i % 1000) * 1e6,
    }),
  },
];

export const recordKind = (payload: PayloadKind): RecordKind =>
  recordKinds.find((k) => k.payload === payload)!;
