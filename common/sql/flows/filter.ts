import { invalid } from '../../errors.js';
import { filters as fields, type Dimension, type FilterSpec } from './fields.js';
import { parseAddressOrCidr } from '../cidr.js';
import type { Params } from '../params.js';

/** One filter as the API takes it: each field a list (OR inside a field), fields AND together. */
export type FlowFilterInput = Readonly<Record<string, readonly (string | number)[] | null | undefined>>;

const protocolNumbers: Record<string, number> = {
  icmp: 1,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  icmp6: 58,
  sctp: 132,
};

export interface Where {
  sql: string;
  /** Every column the condition reads, for choosing a table that has them all. */
  uses: Set<Dimension>;
}

/** filters OR together (an allow list), excludes remove whatever matches any of them (Hubble's model). */
export function flowWhere(
  filters: readonly FlowFilterInput[] | null | undefined,
  excludes: readonly FlowFilterInput[] | null | undefined,
  params: Params,
): Where {
  const uses = new Set<Dimension>();
  const allow = anyOf(filters ?? [], params, uses);
  const deny = excludes?.length ? `NOT ${anyOf(excludes, params, uses)}` : '1';
  return { sql: `(${allow}) AND (${deny})`, uses };
}

function anyOf(filters: readonly FlowFilterInput[], params: Params, uses: Set<Dimension>): string {
  if (filters.length === 0) return '1';
  return `(${filters.map((f) => allOf(f, params, uses)).join(' OR ')})`;
}

function allOf(filter: FlowFilterInput, params: Params, uses: Set<Dimension>): string {
  const parts: string[] = [];
  for (const [name, values] of Object.entries(filter)) {
    const spec = fields[name];
    if (!spec || !values || values.length === 0) continue;
    spec.on.forEach((d) => uses.add(d));
    const either = spec.on.map((d) => condition(spec, d.column, name, values, params));
    parts.push(either.length === 1 ? either[0]! : `(${either.join(' OR ')})`);
  }
  return parts.length === 0 ? '1' : `(${parts.join(' AND ')})`;
}

function condition(
  { kind, values: allowed }: FilterSpec,
  column: string,
  name: string,
  values: readonly (string | number)[],
  params: Params,
): string {
  switch (kind) {
    case 'text':
      return `${column} IN ${params.add('Array(String)', values.map(String))}`;
    case 'port':
      return `${column} IN ${params.add(
        'Array(UInt16)',
        values.map((v) => port(v, name)),
      )}`;
    case 'protocol':
      return `${column} IN ${params.add(
        'Array(UInt8)',
        values.map((v) => protocol(v, name)),
      )}`;
    case 'enum':
      return `${column} IN ${params.add(
        'Array(String)',
        values.map((v) => oneOf(v, allowed, name)),
      )}`;
    case 'ip':
      return `(${values.map((v) => addressCondition(column, String(v), name, params)).join(' OR ')})`;
    case 'label':
      return `(${values.map((v) => labelCondition(column, String(v), name, params)).join(' OR ')})`;
  }
}

export function port(value: string | number, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw invalid(`filter.${name}: ${value} is not a port (0-65535)`);
  return n;
}

export function protocol(value: string | number, name: string): number {
  const n =
    typeof value === 'number' || /^\d+$/.test(value) ? Number(value) : protocolNumbers[value.toLowerCase()];
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 255) {
    throw invalid(
      `filter.${name}: "${value}" is not a protocol number or one of ${Object.keys(protocolNumbers).join(', ')}`,
    );
  }
  return n;
}

export function oneOf(value: string | number, allowed: readonly string[], name: string): string {
  const v = String(value).toLowerCase();
  if (!allowed.includes(v)) throw invalid(`filter.${name}: "${value}" is not one of ${allowed.join(', ')}`);
  return v;
}

/** An address or a CIDR prefix, IPv4 or IPv6; IPv4 is matched in its IPv4-mapped form. */
function addressCondition(column: string, value: string, name: string, params: Params): string {
  const prefix = parseAddressOrCidr(value, `filter.${name}`);
  const ip = params.add('String', prefix.address);
  if (!('bits' in prefix)) return `${column} = toIPv6(${ip})`;
  const range = `IPv6CIDRToRange(toIPv6(${ip}), ${params.add('UInt8', prefix.bits)})`;
  return `${column} BETWEEN tupleElement(${range}, 1) AND tupleElement(${range}, 2)`;
}

/** A Kubernetes-style selector on a labels map: `key=value`, or `key` for any value. */
function labelCondition(column: string, value: string, name: string, params: Params): string {
  const at = value.indexOf('=');
  const key = at < 0 ? value : value.slice(0, at);
  if (key.trim() === '') throw invalid(`filter.${name}: "${value}" is not key=value or key`);
  if (at < 0) return `mapContains(${column}, ${params.add('String', key)})`;
  return `${column}[${params.add('String', key)}] = ${params.add('String', value.slice(at + 1))}`;
}
