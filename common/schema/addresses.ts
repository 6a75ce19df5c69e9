/**
 * Addresses are stored as IPv6, IPv4 in its IPv4-mapped form (::ffff:a.b.c.d), so one column holds
 * both families. People write IPv4 as a dotted quad: this prints it so, and IPv6 as ClickHouse does.
 */
export const printedAddress = (column: string): string =>
  `if(isIPv4String(substring(toString(${column}), 8)) AND startsWith(toString(${column}), '::ffff:'), substring(toString(${column}), 8), toString(${column}))`;
