import { invalid } from '../../errors.js';
import { parseAddressOrCidr } from '../cidr.js';
import type { FilterKind } from '../../schema/catalog/flows.js';

/**
 * The checks of a flow filter value by the kind of its field, shared by the structured filter and
 * the filter language so that a value is refused in the same words whichever way it came. `what`
 * names the argument in the message (`filter.destPort`, `where: dst.port`).
 */

const protocolNumbers: Record<string, number> = {
  icmp: 1,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  icmp6: 58,
  sctp: 132,
};

const isDecimal = (value: string | number): boolean =>
  typeof value === 'number' ? Number.isInteger(value) : /^\d+$/.test(value);

function port(value: string | number, what: string): number {
  const n = Number(value);
  if (!isDecimal(value) || n < 0 || n > 65535) throw invalid(`${what}: ${value} is not a port (0-65535)`);
  return n;
}

/** A protocol number, or its name (tcp, udp, …) as a number. */
function protocol(value: string | number, what: string): number {
  const n = isDecimal(value) ? Number(value) : protocolNumbers[String(value).toLowerCase()];
  if (n === undefined || n < 0 || n > 255) {
    throw invalid(
      `${what}: "${value}" is not a protocol number or one of ${Object.keys(protocolNumbers).join(', ')}`,
    );
  }
  return n;
}

/** An enum column's value, as stored (lower case). */
function oneOf(value: string | number, allowed: readonly string[], what: string): string {
  const v = String(value).toLowerCase();
  if (!allowed.includes(v)) throw invalid(`${what}: "${value}" is not one of ${allowed.join(', ')}`);
  return v;
}

/** A Kubernetes-style selector on a labels map: `key=value`, or `key` for any value. */
export function labelSelector(value: string, what: string): { key: string; value?: string } {
  const at = value.indexOf('=');
  const key = at < 0 ? value : value.slice(0, at);
  if (key.trim() === '') throw invalid(`${what}: "${value}" is not key=value or key`);
  return at < 0 ? { key } : { key, value: value.slice(at + 1) };
}

/** A value as a field of `kind` compares it (a port or protocol as a number, an enum in lower case). */
export function checkedValue(
  kind: FilterKind,
  allowed: readonly string[],
  value: string | number,
  what: string,
): string | number {
  switch (kind) {
    case 'text':
      return String(value);
    case 'port':
      return port(value, what);
    case 'protocol':
      return protocol(value, what);
    case 'enum':
      return oneOf(value, allowed, what);
    case 'ip':
      parseAddressOrCidr(String(value), what);
      return String(value);
    case 'label':
      labelSelector(String(value), what);
      return String(value);
  }
}
