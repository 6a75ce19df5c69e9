/**
 * Addresses are stored as IPv6, IPv4 in its IPv4-mapped form (::ffff:a.b.c.d), so one column holds
 * both families. People write IPv4 as a dotted quad: this prints it so, and IPv6 as ClickHouse does.
 */
export const printedAddress = (column: string): string =>
  `if(isIPv4String(substring(toString(${column}), 8)) AND startsWith(toString(${column}), '::ffff:'), substring(toString(${column}), 8), toString(${column}))`;

const IPV4_MAPPED = "unhex('00000000000000000000FFFF')";
const isMapped = (column: string): string =>
  `substring(reinterpretAsFixedString(${column}), 1, 12) = ${IPV4_MAPPED}`;
const ipv4Number = (column: string): string =>
  `toUInt64(reinterpretAsUInt32(reverse(substring(reinterpretAsFixedString(${column}), 13, 4))))`;

/**
 * The two addresses of an IPv4 flow in one number, source in the high 32 bits and destination in the
 * low; 0 when either is IPv6. One to one with the two addresses, and ordered as they are (the mapped
 * prefix is the same for all), so grouping and ordering by it is grouping and ordering by them.
 */
export const ipv4Pair = (source: string, dest: string): string =>
  `if(${isMapped(source)} AND ${isMapped(dest)}, bitOr(bitShiftLeft(${ipv4Number(source)}, 32), ${ipv4Number(dest)}), 0)`;

/** One end of an `ipv4Pair` as the stored address (IPv6, IPv4-mapped). */
export const pairedAddress = (pair: string, end: 'source' | 'dest'): string =>
  `toIPv6(toIPv4(${end === 'source' ? `bitShiftRight(${pair}, 32)` : `bitAnd(${pair}, 4294967295)`}))`;
