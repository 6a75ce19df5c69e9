import { field, timestampField } from './fields.js';
import { ipv4Pair } from '../addresses.js';
import { ip, microseconds, uuid } from './expressions.js';
import type { Field, RecordCatalog } from './types.js';

/** How the query API offers a flow column: its GraphQL field, how it is printed, grouped and filtered. */
export interface FlowApi {
  /** The GraphQL field of `Flow` (and the column's alias in record queries). */
  name: string;
  /** Its GraphQL type. */
  graphql: string;
  /** How the stored value is printed: an address as people write it, or ClickHouse's text form. */
  printed?: 'address' | 'text';
  /** A FlowDimension of groups and series (named as `name` in UPPER_SNAKE). */
  group?: boolean;
  /** A FlowFilter field: its value kind, its name when not `name`, the "either end" field it joins. */
  filter?: { kind: FilterKind; name?: string; either?: string };
  /** Its description in the GraphQL schema. */
  doc?: string;
}

/** How a filter value is read: see query/flows' filter builder. */
export type FilterKind = 'text' | 'ip' | 'port' | 'protocol' | 'enum' | 'label';

export interface FlowField extends Field {
  api?: FlowApi;
}

/**
 * The workload an address of a virtual network belongs to, when the sender did not say: from the VMI
 * UVEs through the workload_by_ip dictionary (migration 2). An unknown address keeps '' and stays
 * queryable by IP.
 */
type End = 'source' | 'dest';
const key = (end: End): string => `tuple(record_${end}_vn, ${ip(`record_${end}_ip`)})`;
const identity =
  (end: End, attribute: 'workload' | 'namespace') =>
  (given: string): string =>
    `if(${given} != '', ${given}, dictGetOrDefault('workload_by_ip', '${attribute}', ${key(end)}, ''))`;
const labels = (end: End) => (): string => `dictGetOrDefault('workload_by_ip', 'labels', ${key(end)}, map())`;

const text = 'LowCardinality(String)';
const api = (name: string, graphql: string, more: Omit<FlowApi, 'name' | 'graphql'> = {}): FlowApi => ({
  name,
  graphql,
  ...more,
});
const filtered = (kind: FilterKind, either?: string): Pick<FlowApi, 'filter'> => ({
  filter: { kind, either },
});

// prettier-ignore
const fields: FlowField[] = [
  field<FlowField>('flow_uuid', 'UUID', 'String', 1, { insert: uuid, api: api('flowUuid', 'String!', { printed: 'text' }) }),
  field<FlowField>('reverse_uuid', 'UUID', 'String', 1, { insert: uuid, api: api('reverseUuid', 'String!', { printed: 'text' }) }),
  field<FlowField>('vrouter', text, 'String', 1, { rollup: 1, api: api('vrouter', 'String!', { group: true, ...filtered('text') }) }),
  field<FlowField>('vrouter_ip', 'IPv6', 'String', 1, { insert: ip, api: api('vrouterIp', 'String!', { printed: 'address', group: true }) }),
  field<FlowField>('other_vrouter_ip', 'IPv6', 'String', 1, { insert: ip, api: api('otherVrouterIp', 'String!', { printed: 'address', group: true }) }),
  field<FlowField>('direction', "Enum8('unspecified' = 0, 'ingress' = 1, 'egress' = 2)", 'Int8', 1, { rollup: 2, api: api('direction', 'String!', { group: true, ...filtered('enum') }) }),
  field<FlowField>('source_vn', text, 'String', 1, { rollup: 4, api: api('sourceVn', 'String!', { group: true, ...filtered('text', 'vn') }) }),
  field<FlowField>('dest_vn', text, 'String', 1, { rollup: 5, api: api('destVn', 'String!', { group: true, ...filtered('text', 'vn') }) }),
  field<FlowField>('source_ip', 'IPv6', 'String', 1, { insert: ip, api: api('sourceIp', 'String!', { printed: 'address', group: true, ...filtered('ip', 'ip') }) }),
  field<FlowField>('dest_ip', 'IPv6', 'String', 1, { insert: ip, api: api('destIp', 'String!', { printed: 'address', group: true, ...filtered('ip', 'ip') }) }),
  field<FlowField>('protocol', 'UInt8', 'UInt8', 1, { rollup: 8, api: api('protocol', 'Int!', { group: true, ...filtered('protocol') }) }),
  field<FlowField>('sport', 'UInt16', 'UInt16', 1, { api: api('sourcePort', 'Int!', { group: true, ...filtered('port', 'port') }) }),
  field<FlowField>('dport', 'UInt16', 'UInt16', 1, { rollup: 9, api: api('destPort', 'Int!', { group: true, ...filtered('port', 'port') }) }),
  field<FlowField>('action', "Enum8('unspecified' = 0, 'pass' = 1, 'deny' = 2, 'drop' = 3, 'nat' = 4, 'mirror' = 5)", 'Int8', 1, { rollup: 3, api: api('action', 'String!', { group: true, ...filtered('enum') }) }),
  field<FlowField>('drop_reason', text, 'String', 1, { rollup: 10, api: api('dropReason', 'String!', { group: true, ...filtered('text') }) }),
  field<FlowField>('sg_rule_uuid', text, 'String', 1, { api: api('sgRuleUuid', 'String!', { group: true, ...filtered('text') }) }),
  field<FlowField>('nw_ace_uuid', text, 'String', 1, { api: api('nwAceUuid', 'String!', { group: true, ...filtered('text') }) }),
  field<FlowField>('vmi_uuid', 'UUID', 'String', 1, { insert: uuid, api: api('vmiUuid', 'String!', { printed: 'text' }) }),
  field<FlowField>('setup_time', "DateTime64(6, 'UTC')", 'UInt64', 1, { insert: microseconds, api: api('setupTime', 'DateTime!') }),
  field<FlowField>('teardown_time', "DateTime64(6, 'UTC')", 'UInt64', 1, { insert: microseconds, api: api('teardownTime', 'DateTime') }),
  field<FlowField>('bytes', 'UInt64', 'UInt64', 1, { api: api('bytes', 'Float!') }),
  field<FlowField>('packets', 'UInt64', 'UInt64', 1, { api: api('packets', 'Float!') }),
  field<FlowField>('diff_bytes', 'UInt64', 'UInt64', 1, { api: api('diffBytes', 'Float!') }),
  field<FlowField>('diff_packets', 'UInt64', 'UInt64', 1, { api: api('diffPackets', 'Float!') }),
  field<FlowField>('tcp_flags', 'UInt16', 'UInt16', 1, { api: api('tcpFlags', 'Int!') }),
  field<FlowField>('underlay_proto', text, 'String', 1, { rollup: 11, api: api('underlayProto', 'String!', { group: true, ...filtered('text') }) }),
  field<FlowField>('underlay_source_port', 'UInt16', 'UInt16', 1, { api: api('underlaySourcePort', 'Int!') }),
  // 0 means "every packet counted": stored as 1 so that sums scale by it.
  field<FlowField>('sampling', 'UInt32', 'UInt32', 1, { insert: (c) => `greatest(${c}, 1)`, api: api('sampling', 'Int!') }),
  field<FlowField>('source_workload', text, 'String', 1, { insert: identity('source', 'workload'), api: api('sourceWorkload', 'String!', { group: true, ...filtered('text', 'workload') }) }),
  field<FlowField>('dest_workload', text, 'String', 1, { insert: identity('dest', 'workload'), api: api('destWorkload', 'String!', { group: true, ...filtered('text', 'workload') }) }),
  field<FlowField>('source_namespace', text, 'String', 1, { insert: identity('source', 'namespace'), rollup: 6, api: api('sourceNamespace', 'String!', { group: true, ...filtered('text', 'namespace') }) }),
  field<FlowField>('dest_namespace', text, 'String', 1, { insert: identity('dest', 'namespace'), rollup: 7, api: api('destNamespace', 'String!', { group: true, ...filtered('text', 'namespace') }) }),
  { column: 'source_labels', type: 'Map(LowCardinality(String), String)', insert: labels('source'), since: 2, api: api('sourceLabels', 'JSON!', { doc: "Workload labels (Kubernetes labels), from the interface's UVE.", group: true, filter: { kind: 'label', name: 'sourceLabel', either: 'label' } }) },
  { column: 'dest_labels', type: 'Map(LowCardinality(String), String)', insert: labels('dest'), since: 2, api: api('destLabels', 'JSON!', { group: true, filter: { kind: 'label', name: 'destLabel', either: 'label' } }) },
  // What top talkers group IPv4 flows by: one number for the two addresses (common/sql/flows/queries.ts).
  { column: 'ipv4_pair', type: 'UInt64', materialized: ipv4Pair('source_ip', 'dest_ip'), since: 16 },
];

/** Flow samples as vRouter agents export them (TF's FlowRecordTable), and their rollups. */
export const flowCatalog: RecordCatalog<FlowField> = {
  row: 'FlowRow',
  record: 'FlowRecord',
  table: {
    name: 'flows',
    since: 1,
    engine: 'MergeTree',
    partitionBy: 'toYYYYMMDD(time)',
    orderBy: '(toStartOfMinute(time), vrouter, source_vn, dest_vn, time)',
    ttl: 'toDateTime(time) + INTERVAL 7 DAY',
  },
  // The sorting key puts vRouter and VNs before the time, so consecutive times jump back and forth
  // and DoubleDelta gains nothing: T64 and LZ4 hold them in less (50M of bench/queries.ts's flow
  // times: 188 MiB against 216), insert 1.7× and read 3.5× faster (bench/README.md).
  time: {
    ...timestampField(1),
    codec: 'CODEC(T64, LZ4)',
    recoded: { since: 14, from: timestampField(1).codec! },
  },
  fields,
  rollup: {
    // Bytes and packets are the sampled deltas scaled by the sampling factor.
    merge: {
      kind: 'sum',
      measures: {
        records: 'count()',
        bytes: 'sum(diff_bytes * sampling)',
        packets: 'sum(diff_packets * sampling)',
      },
    },
    levels: [
      { table: 'flows_1m', bucket: 'toStartOfMinute', bucketSeconds: 60, source: 'flows', ttl: '30 DAY' },
      { table: 'flows_1h', bucket: 'toStartOfHour', bucketSeconds: 3600, source: 'flows_1m', ttl: '365 DAY' },
    ],
  },
};

/** The GraphQL fields of a flow that come from its batch rather than its record. */
export const flowBatchApi: readonly { column: string; api: FlowApi }[] = [
  { column: 'time', api: api('time', 'DateTime!') },
  { column: 'received_at', api: api('receivedAt', 'DateTime!') },
  { column: 'generator', api: api('generator', 'String!') },
];
