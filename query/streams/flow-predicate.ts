import { BlockList, isIP } from 'node:net';
import { invalid } from '../../common/errors.js';
import { parseAddressOrCidr } from '../../common/sql/cidr.js';
import { flowSqlFields, type FilterSpec } from '../../common/sql/flows/fields.js';
import {
  one,
  operators,
  type FlowCondition,
  type FlowOperator,
  type FlowTest,
} from '../../common/sql/flows/filter.js';
import { checkedValue, labelSelector } from '../../common/sql/flows/values.js';
import type { FlowNode } from '../flows/resolvers.js';

/**
 * Which flows a live stream keeps: the flow queries' WHERE tree (common/sql/flows/filter.ts, which
 * the structured filter and the filter language both become) evaluated in memory on each flow as the
 * API shows it, with the semantics of its SQL (checked against it on the same records by a test):
 * every value is checked by the same function, an "either end" field holds when either end does,
 * addresses compare in the warehouse's one space, labels as ClickHouse reads a map, LIKE as LIKE.
 */
export type FlowPredicate = (flow: FlowNode) => boolean;

/** The test of a tree; a bad value or operator is refused here, once, in the SQL builder's words. */
export function flowPredicate(condition: FlowCondition): FlowPredicate {
  if ('and' in condition) {
    const parts = condition.and.map(flowPredicate);
    return (flow) => parts.every((test) => test(flow));
  }
  if ('or' in condition) {
    const parts = condition.or.map(flowPredicate);
    return (flow) => parts.some((test) => test(flow));
  }
  if ('not' in condition) {
    const inner = flowPredicate(condition.not);
    return (flow) => !inner(flow);
  }
  return fieldPredicate(condition);
}

/** Each filter field, and the Flow fields (API names) it reads: one, or both ends. */
const { columns, filters } = flowSqlFields();
const apiNameOf = new Map(columns.map((c) => [c.column, c.api.name]));

function fieldPredicate({ field, op, values }: FlowTest): FlowPredicate {
  if (!Object.hasOwn(filters, field)) throw new Error(`no flow filter field ${field}`);
  const spec = filters[field]!;
  const what = `filter.${field}`;
  if (!operators[spec.kind].includes(op)) throw invalid(`${what}: ${op} does not apply to this field`);
  if (values.length === 0) throw invalid(`${what}: no value given`);
  const matches = valueTest(spec, what, op, values);
  const read = spec.on.map((d) => apiNameOf.get(d.column)!);
  return (flow) => read.some((name) => matches(flow[name]));
}

const compare: Record<Exclude<FlowOperator, 'in' | 'like'>, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** Whether one Flow field's value passes, read as the SQL reads the field's kind. */
function valueTest(
  { kind, values: allowed }: FilterSpec,
  what: string,
  op: FlowOperator,
  values: readonly (string | number)[],
): (value: unknown) => boolean {
  if (op === 'like') {
    const pattern = likePattern(String(one(values, what)));
    return (value) => pattern.test(String(value));
  }
  const checked = values.map((v) => checkedValue(kind, allowed, v, what));
  if (op !== 'in') {
    const bound = Number(one(checked, what));
    return (value) => compare[op](Number(value), bound);
  }
  if (kind === 'ip') return addressTest(checked.map(String), what);
  if (kind === 'label') return labelTest(checked.map(String), what);
  const set = new Set(checked.map(String));
  return (value) => set.has(String(value));
}

/** ClickHouse's LIKE (case-sensitive, whole value): % any run, _ one character, \ escapes the next. */
function likePattern(like: string): RegExp {
  let source = '';
  for (let i = 0; i < like.length; i++) {
    const c = like[i]!;
    if (c === '\\' && i + 1 < like.length) source += escape(like[++i]!);
    else if (c === '%') source += '.*';
    else if (c === '_') source += '.';
    else source += escape(c);
  }
  return new RegExp(`^${source}$`, 'su');
}

const escape = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Addresses and prefixes in the warehouse's one space (IPv4 as IPv4-mapped IPv6), as the SQL
 * compares them: an IPv4 flow address is checked in its mapped form, which IPv4 rules match.
 */
function addressTest(values: readonly string[], what: string): (value: unknown) => boolean {
  const list = new BlockList();
  for (const value of values) {
    const prefix = parseAddressOrCidr(value, what);
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
function labelTest(values: readonly string[], what: string): (value: unknown) => boolean {
  const selectors = values.map((value) => labelSelector(value, what));
  return (labels) => {
    const map = (labels ?? {}) as Record<string, string>;
    // As ClickHouse reads a map, a missing key's value is '' (`key=` matches it, as in SQL).
    return selectors.some((s) =>
      s.value === undefined ? Object.hasOwn(map, s.key) : (map[s.key] ?? '') === s.value,
    );
  };
}
