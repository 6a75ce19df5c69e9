import type { ProtobufInsert } from '../warehouse/warehouse.js';

/**
 * How a FlowRow (records.proto: a FlowRecord plus its BatchStamp, in ClickHouse's Protobuf format)
 * becomes a row of `flows`. The engine does the conversions, so the writer never decodes a record.
 */
const microseconds = (column: string): string => `fromUnixTimestamp64Micro(toInt64(${column}), 'UTC')`;
const uuid = (column: string): string => `toUUID(UUIDNumToString(toFixedString(${column}, 16)))`;
// IPv4 arrives as 4 bytes and is stored IPv4-mapped, so one IPv6 column serves both families.
const ip = (column: string): string =>
  `CAST(toFixedString(if(length(${column}) = 4, concat(unhex('00000000000000000000FFFF'), ${column}), ${column}), 16) AS IPv6)`;

const recordFields: [field: string, type: string, select: (column: string) => string][] = [
  ['flow_uuid', 'String', uuid],
  ['reverse_uuid', 'String', uuid],
  ['vrouter', 'String', (c) => c],
  ['vrouter_ip', 'String', ip],
  ['other_vrouter_ip', 'String', ip],
  ['direction', 'Int8', (c) => c],
  ['source_vn', 'String', (c) => c],
  ['dest_vn', 'String', (c) => c],
  ['source_ip', 'String', ip],
  ['dest_ip', 'String', ip],
  ['protocol', 'UInt8', (c) => c],
  ['sport', 'UInt16', (c) => c],
  ['dport', 'UInt16', (c) => c],
  ['action', 'Int8', (c) => c],
  ['drop_reason', 'String', (c) => c],
  ['sg_rule_uuid', 'String', (c) => c],
  ['nw_ace_uuid', 'String', (c) => c],
  ['vmi_uuid', 'String', uuid],
  ['setup_time', 'UInt64', microseconds],
  ['teardown_time', 'UInt64', microseconds],
  ['bytes', 'UInt64', (c) => c],
  ['packets', 'UInt64', (c) => c],
  ['diff_bytes', 'UInt64', (c) => c],
  ['diff_packets', 'UInt64', (c) => c],
  ['tcp_flags', 'UInt16', (c) => c],
  ['underlay_proto', 'String', (c) => c],
  ['underlay_source_port', 'UInt16', (c) => c],
  ['sampling', 'UInt32', (c) => `greatest(${c}, 1)`],
  ['source_workload', 'String', (c) => c],
  ['dest_workload', 'String', (c) => c],
  ['source_namespace', 'String', (c) => c],
  ['dest_namespace', 'String', (c) => c],
];

const received = microseconds('stamp_received_at');

export const flowRowsInsert: ProtobufInsert = {
  table: 'flows',
  schema: 'records.proto:FlowRow',
  structure: [
    ...recordFields.map(([field, type]) => `record_${field} ${type}`),
    'record_timestamp UInt64',
    'stamp_generator String',
    'stamp_epoch UInt64',
    'stamp_seq UInt64',
    'stamp_received_at UInt64',
  ].join(', '),
  columns: [
    ['time', `if(record_timestamp = 0, ${received}, ${microseconds('record_timestamp')})`],
    ['received_at', received],
    ['generator', 'stamp_generator'],
    ['batch_epoch', 'stamp_epoch'],
    ['batch_seq', 'stamp_seq'],
    ...recordFields.map(([field, , select]) => [field, select(`record_${field}`)] as const),
  ],
};
