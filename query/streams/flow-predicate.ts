import { BlockList, isIP } from 'node:net';
import { invalid } from '../../common/errors.js';
import { parseAddressOrCidr } from '../../common/sql/cidr.js';
import { flowSqlFields, type FilterSpec } from '../../common/sql/flows/fields.js';
import { oneOf, port, protocol, type FlowFilterInput } from '../../common/sql/flows/filter.js';
import type { FlowNode } from '../flows/resolvers.js';

/**
 * Which flows a live stream keeps, evaluated in memory on each flow as the API shows it (a Flow node).
 * Same semantics as the SQL of the flows query (common/sql/flows/filter.ts), checked against it on
 * the same records by a test: a filter list ORs, fields of one filter AND, a field matches when any
 * value does, an "either end" field matches either end, excludes remove.
 *
 * The structured input becomes a condition tree first; a text filter (`where:`) that parses into the
 * same tree plugs in at `flowPredicate` without touching the evaluation.
 */
export type FlowCondition =
  | { all: readonly FlowCondition[] }
  | { any: readonly FlowCondition[] }
  | { not: FlowCondition }
  /** A FlowFilter field (e.g. sourceIp, port, label) and the values it matches any of. */
  | { field: string; values: readonly (string | number)[] };

export type FlowTest = (flow: FlowNode) => boolean;

/** The tree of `filter` (OR of filters, none: everything) without what matches any of `exclude`. */
export function structuredCondition(
  filter: readonly FlowFilterInput[] | null | undefined,
  exclude: readonly FlowFilterInput[] | null | undefined,
): FlowCondition {
  const each = (f: FlowFilterInput): FlowCondition => ({
    all: Object.entries(f).flatMap(([field, values]) => (values?.length ? [{ field, values }] : [])),
  });
  const allow: FlowCondition = filter?.length ? { any: filter.map(each) } : { all: [] };
  return exclude?.length ? { all: [allow, { not: { any: exclude.map(each) } }] } : allow;
}

/**
 * The test of a condition: every value is checked (and refused with the field named) here, once,
 * as the SQL builder checks it, not on each flow.
 */
export function flowPredicate(condition: FlowCondition): FlowTest {
  if ('all' in condition) {
    const parts = condition.all.map(flowPredicate);
    return (flow) => parts.every((test) => test(flow));
  }
  if ('any' in condition) {
    const parts = condition.any.map(flowPredicate);
    return (flow) => parts.some((test) => test(flow));
  }
  if ('not' in condition) {
    const inner = flowPredicate(condition.not);
    return (flow) => !inner(flow);
  }
  return fieldTest(condition.field, condition.values);
}

/** Each filter field, and the Flow fields (API names) it reads: one, or both ends. */
const { columns, filters } = flowSqlFields();
const apiNameOf = new Map(columns.map((c) => [c.column, c.api.name]));

function fieldTest(name: string, values: readonly (string | number)[]): FlowTest {
  const spec = filters[name];
  if (!spec) throw invalid(`filter.${name}: not a flow filter field`);
  const matches = valueTest(spec, name, values);
  const read = spec.on.map((d) => apiNameOf.get(d.column)!);
  return (flow) => read.some((field) => matches(flow[field]));
}

/** Whether one Flow field's value matches any of `values`, read as the filter kind reads them. */
function valueTest(
  { kind, values: allowed }: FilterSpec,
  name: string,
  values: readonly (string | number)[],
): (value: unknown) => boolean {
  switch (kind) {
    case 'text': {
      const set = new Set(values.map(String));
      return (value) => set.has(String(value));
    }
    case 'port': {
      const set = new Set(values.map((v) => port(v, name)));
      return (value) => set.has(Number(value));
    }
    case 'protocol': {
      const set = new Set(values.map((v) => protocol(v, name)));
      return (value) => set.has(Number(value));
    }
    case 'enum': {
      const set = new Set(values.map((v) => oneOf(v, allowed, name)));
      return (value) => set.has(String(value));
    }
    case 'ip':
      return addressTest(values.map(String), name);
    case 'label':
      return labelTest(values.map(String), name);
  }
}

/**
 * Addresses and prefixes in the warehouse's one space (IPv4 as IPv4-mapped IPv6), as the SQL
 * compares them: an IPv4 flow address is checked in its mapped form, which IPv4 rules match.
 */
function addressTest(values: readonly string[], name: string): (value: unknown) => boolean {
  const list = new BlockList();
  for (const value of values) {
    const prefix = parseAddressOrCidr(value, `filter.${name}`);
    const type = prefix.family === 4 ? 'ipv4' : 'ipv6';
    if ('bits' in prefix)
      list.addSubnet(prefix.address, prefix.family === 4 ? prefix.bits - 96 : prefix.bits, type);
    else list.addAddress(prefix.address, type);
  }
  return (value) => {
    const address = String(value);
    const family = isIP(address);
    if (family === 0) return false;
    return list.check(family === 4 ? `::ffff:${address}` : address, 'ipv6');
  };
}

/** Kubernetes-style selectors on a labels map: `key=value`, or `key` for any value. */
function labelTest(values: readonly string[], name: string): (value: unknown) => boolean {
  const selectors = values.map((value) => {
    const at = value.indexOf('=');
    const key = at < 0 ? value : value.slice(0, at);
    if (key.trim() === '') throw invalid(`filter.${name}: "${value}" is not key=value or key`);
    return { key, value: at < 0 ? undefined : value.slice(at + 1) };
  });
  return (labels) => {
    const map = (labels ?? {}) as Record<string, string>;
    // As ClickHouse reads a map, a missing key's value is '' (`key=` matches it, as in SQL).
    return selectors.some((s) =>
      s.value === undefined ? Object.hasOwn(map, s.key) : (map[s.key] ?? '') === s.value,
    );
  };
}
