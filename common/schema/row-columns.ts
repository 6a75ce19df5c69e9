import type { ProtobufInsert } from '../warehouse/warehouse.js';

/**
 * Building blocks of the Protobuf inserts: every `<Kind>Row` message (records.proto) is a record plus
 * its BatchStamp, read by ClickHouse as `record_<field>` and `stamp_<field>` columns. The engine does
 * the conversions, so the writer never decodes a record.
 */
export const microseconds = (column: string): string => `fromUnixTimestamp64Micro(toInt64(${column}), 'UTC')`;
export const uuid = (column: string): string => `toUUID(UUIDNumToString(toFixedString(${column}, 16)))`;
// IPv4 arrives as 4 bytes and is stored IPv4-mapped, so one IPv6 column serves both families.
export const ip = (column: string): string =>
  `CAST(toFixedString(if(length(${column}) = 4, concat(unhex('00000000000000000000FFFF'), ${column}), ${column}), 16) AS IPv6)`;
// An empty address (a local next hop) reads as `::`, not as an error.
export const optionalIp = (column: string): string =>
  `if(length(${column}) IN (4, 16), ${ip(column)}, toIPv6('::'))`;

export const stampStructure = [
  'stamp_generator String',
  'stamp_epoch UInt64',
  'stamp_seq UInt64',
  'stamp_received_at UInt64',
];

export const received = microseconds('stamp_received_at');

/** The batch columns every bus-fed table has (migrations.ts `batchColumns`). */
export const stampColumns: [string, string][] = [
  ['received_at', received],
  ['generator', 'stamp_generator'],
  ['batch_epoch', 'stamp_epoch'],
  ['batch_seq', 'stamp_seq'],
];

/** The record's own time, or when the collector got it when the sender left it 0. */
const recordTime = (column: string): string => `if(${column} = 0, ${received}, ${microseconds(column)})`;

/**
 * The insert of a `<message>` (a record with a `timestamp` field plus its stamp) into `table`: the
 * record's fields as read (`record_<field> Type`) and the stored columns computed from them; the
 * time and the batch columns come along.
 */
export function recordRowsInsert(
  table: string,
  message: string,
  recordFields: readonly string[],
  columns: readonly (readonly [string, string])[],
): ProtobufInsert {
  return {
    table,
    schema: `records.proto:${message}`,
    structure: [...recordFields, 'record_timestamp UInt64', ...stampStructure].join(', '),
    columns: [['time', recordTime('record_timestamp')], ...stampColumns, ...columns],
  };
}
