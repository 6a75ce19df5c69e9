/**
 * Conversions the Protobuf inserts apply while reading `record_<field>` columns: the engine does
 * them, so the writer never decodes a record.
 */
export const microseconds = (column: string): string => `fromUnixTimestamp64Micro(toInt64(${column}), 'UTC')`;
export const uuid = (column: string): string => `toUUID(UUIDNumToString(toFixedString(${column}, 16)))`;
// IPv4 arrives as 4 bytes and is stored IPv4-mapped, so one IPv6 column serves both families.
export const ip = (column: string): string =>
  `CAST(toFixedString(if(length(${column}) = 4, concat(unhex('00000000000000000000FFFF'), ${column}), ${column}), 16) AS IPv6)`;
// An empty address (a local next hop) reads as `::`, not as an error.
export const optionalIp = (column: string): string =>
  `if(length(${column}) IN (4, 16), ${ip(column)}, toIPv6('::'))`;

/** When the collector got the batch (BatchStamp.received_at). */
export const received = microseconds('stamp_received_at');

/** The record's own time, or when the collector got it when the sender left it 0. */
export const recordTime = (column: string): string =>
  `if(${column} = 0, ${received}, ${microseconds(column)})`;
