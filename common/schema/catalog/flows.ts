import { ip, microseconds, recordTime, uuid } from './expressions.js';
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
  { column: 'flow_uuid', type: 'UUID', proto: 'flow_uuid', read: 'String', insert: uuid, since: 1, api: api('flowUuid', 'String!', { printed: 'text' }) },
  { column: 'reverse_uuid', type: 'UUID', proto: 'reverse_uuid', read: 'String', insert: uuid, since: 1, api: api('reverseUuid', 'String!', { printed: 'text' }) },
  { column: 'vrouter', type: text, proto: 'vrouter', read: 'String', since: 1, rollup: 1, api: api('vrouter', 'String!', { group: true, ...filtered('text') }) },
  { column: 'vrouter_ip', type: 'IPv6', proto: 'vrouter_ip', read: 'String', insert: ip, since: 1, api: api('vrouterIp', 'String!', { printed: 'address', group: true }) },
  { column: 'other_vrouter_ip', type: 'IPv6', proto: 'other_vrouter_ip', read: 'String', insert: ip, since: 1, api: api('otherVrouterIp', 'String!', { printed: 'address', group: true }) },
  { column: 'direction', type: "Enum8('unspecified' = 0, 'ingress' = 1, 'egress' = 2)", proto: 'direction', read: 'Int8', since: 1, rollup: 2, api: api('direction', 'String!', { group: true, ...filtered('enum') }) },
  { column: 'source_vn', type: text, proto: 'source_vn', read: 'String', since: 1, rollup: 4, api: api('sourceVn', 'String!', { group: true, ...filtered('text', 'vn') }) },
  { column: 'dest_vn', type: text, proto: 'dest_vn', read: 'String', since: 1, rollup: 5, api: api('destVn', 'String!', { group: true, ...filtered('text', 'vn') }) },
  { column: 'source_ip', type: 'IPv6', proto: 'source_ip', read: 'String', insert: ip, since: 1, api: api('sourceIp', 'String!', { printed: 'address', group: true, ...filtered('ip', 'ip') }) },
  { column: 'dest_ip', type: 'IPv6', proto: 'dest_ip', read: 'String', insert: ip, since: 1, api: api('destIp', 'String!', { printed: 'address', group: true, ...filtered('ip', 'ip') }) },
  { column: 'protocol', type: 'UInt8', proto: 'protocol', read: 'UInt8', since: 1, rollup: 8, api: api('protocol', 'Int!', { group: true, ...filtered('protocol') }) },
  { column: 'sport', type: 'UInt16', proto: 'sport', read: 'UInt16', since: 1, api: api('sourcePort', 'Int!', { group: true, ...filtered('port', 'port') }) },
  { column: 'dport', type: 'UInt16', proto: 'dport', read: 'UInt16', since: 1, rollup: 9, api: api('destPort', 'Int!', { group: true, ...filtered('port', 'port') }) },
  { column: 'action', type: "Enum8('unspecified' = 0, 'pass' = 1, 'deny' = 2, 'drop' = 3, 'nat' = 4, 'mirror' = 5)", proto: 'action', read: 'Int8', since: 1, rollup: 3, api: api('action', 'String!', { group: true, ...filtered('enum') }) },
  { column: 'drop_reason', type: text, proto: 'drop_reason', read: 'String', since: 1, rollup: 10, api: api('dropReason', 'String!', { group: true, ...filtered('text') }) },
  { column: 'sg_rule_uuid', type: text, proto: 'sg_rule_uuid', read: 'String', since: 1, api: api('sgRuleUuid', 'String!', { group: true }) },
  { column: 'nw_ace_uuid', type: text, proto: 'nw_ace_uuid', read: 'String', since: 1, api: api('nwAceUuid', 'String!', { group: true }) },
  { column: 'vmi_uuid', type: 'UUID', proto: 'vmi_uuid', read: 'String', insert: uuid, since: 1, api: api('vmiUuid', 'String!', { printed: 'text' }) },
  { column: 'setup_time', type: "DateTime64(6, 'UTC')", proto: 'setup_time', read: 'UInt64', insert: microseconds, since: 1, api: api('setupTime', 'DateTime!') },
  { column: 'teardown_time', type: "DateTime64(6, 'UTC')", proto: 'teardown_time', read: 'UInt64', insert: microseconds, since: 1, api: api('teardownTime', 'DateTime') },
  { column: 'bytes', type: 'UInt64', proto: 'bytes', read: 'UInt64', since: 1, api: api('bytes', 'Float!') },
  { column: 'packets', type: 'UInt64', proto: 'packets', read: 'UInt64', since: 1, api: api('packets', 'Float!') },
  { column: 'diff_bytes', type: 'UInt64', proto: 'diff_bytes', read: 'UInt64', since: 1, api: api('diffBytes', 'Float!') },
  { column: 'diff_packets', type: 'UInt64', proto: 'diff_packets', read: 'UInt64', since: 1, api: api('diffPackets', 'Float!') },
  { column: 'tcp_flags', type: 'UInt16', proto: 'tcp_flags', read: 'UInt16', since: 1, api: api('tcpFlags', 'Int!') },
  { column: 'underlay_proto', type: text, proto: 'underlay_proto', read: 'String', since: 1, rollup: 11, api: api('underlayProto', 'String!', { group: true, ...filtered('text') }) },
  { column: 'underlay_source_port', type: 'UInt16', proto: 'underlay_source_port', read: 'UInt16', since: 1, api: api('underlaySourcePort', 'Int!') },
  // 0 means "every packet counted": stored as 1 so that sums scale by it.
  { column: 'sampling', type: 'UInt32', proto: 'sampling', read: 'UInt32', insert: (c) => `greatest(${c}, 1)`, since: 1, api: api('sampling', 'Int!') },
  { column: 'source_workload', type: text, proto: 'source_workload', read: 'String', insert: identity('source', 'workload'), since: 1, api: api('sourceWorkload', 'String!', { group: true, ...filtered('text', 'workload') }) },
  { column: 'dest_workload', type: text, proto: 'dest_workload', read: 'String', insert: identity('dest', 'workload'), since: 1, api: api('destWorkload', 'String!', { group: true, ...filtered('text', 'workload') }) },
  { column: 'source_namespace', type: text, proto: 'source_namespace', read: 'String', insert: identity('source', 'namespace'), since: 1, rollup: 6, api: api('sourceNamespace', 'String!', { group: true, ...filtered('text', 'namespace') }) },
  { column: 'dest_namespace', type: text, proto: 'dest_namespace', read: 'String', insert: identity('dest', 'namespace'), since: 1, rollup: 7, api: api('destNamespace', 'String!', { group: true, ...filtered('text', 'namespace') }) },
  { column: 'source_labels', type: 'Map(LowCardinality(String), String)', insert: labels('source'), since: 2, api: api('sourceLabels', 'JSON!', { doc: "Workload labels (Kubernetes labels), from the interface's UVE.", group: true, filter: { kind: 'label', name: 'sourceLabel', either: 'label' } }) },
  { column: 'dest_labels', type: 'Map(LowCardinality(String), String)', insert: labels('dest'), since: 2, api: api('destLabels', 'JSON!', { group: true, filter: { kind: 'label', name: 'destLabel', either: 'label' } }) },
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
  time: {
    column: 'time',
    type: "DateTime64(6, 'UTC')",
    codec: 'CODEC(DoubleDelta, ZSTD(1))',
    proto: 'timestamp',
    read: 'UInt64',
    insert: recordTime,
    since: 1,
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
