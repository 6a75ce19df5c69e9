import { invalid } from '../../errors.js';
import type { FilterKind } from '../../schema/catalog/flows.js';
import { filters as fields, type Dimension, type FilterSpec } from './fields.js';
import { parseAddressOrCidr } from '../cidr.js';
import type { Params } from '../params.js';
import { checkedValue, labelSelector } from './values.js';

/** One filter as the API takes it: each field a list (OR inside a field), fields AND together. */
export type FlowFilterInput = Readonly<Record<string, readonly (string | number)[] | null | undefined>>;

/**
 * The WHERE tree of flow queries. The structured filter (filters OR together, excludes removed) and
 * the filter language (./language/) both become one; only this module turns it into SQL, with every
 * value a parameter. An empty `and` holds for every flow.
 */
export type FlowCondition =
  | { readonly and: readonly FlowCondition[] }
  | { readonly or: readonly FlowCondition[] }
  | { readonly not: FlowCondition }
  | FlowTest;

/** A FlowFilter field (by its GraphQL name) against values; an "either end" field holds when either end does. */
export interface FlowTest {
  readonly field: string;
  readonly op: FlowOperator;
  readonly values: readonly (string | number)[];
}

/** in: any of the values (an address also matches a prefix); like: one LIKE pattern; the orders: one number. */
export type FlowOperator = 'in' | 'like' | '<' | '<=' | '>' | '>=';

/** The operators each kind of field takes. */
export const operators: Readonly<Record<FilterKind, readonly FlowOperator[]>> = {
  text: ['in', 'like'],
  enum: ['in'],
  ip: ['in'],
  label: ['in'],
  port: ['in', '<', '<=', '>', '>='],
  protocol: ['in', '<', '<=', '>', '>='],
};

export interface Where {
  sql: string;
  /** Every column the condition reads, for choosing a table that has them all. */
  uses: Set<Dimension>;
}

/**
 * filters OR together (an allow list), excludes remove whatever matches any of them (Hubble's model),
 * and `where` (the filter language's tree), when given, must hold too.
 */
export function flowWhere(
  filters: readonly FlowFilterInput[] | null | undefined,
  excludes: readonly FlowFilterInput[] | null | undefined,
  params: Params,
  where?: FlowCondition | null,
): Where {
  const structured = structuredCondition(filters, excludes);
  const uses = new Set<Dimension>();
  return { sql: conditionSql(where ? { and: [structured, where] } : structured, params, uses), uses };
}

/** The structured filter as a tree; a field it does not know, or given no values, is passed over. */
export function structuredCondition(
  filters: readonly FlowFilterInput[] | null | undefined,
  excludes: readonly FlowFilterInput[] | null | undefined,
): FlowCondition {
  const allOf = (filter: FlowFilterInput): FlowCondition => ({
    and: Object.entries(filter).flatMap(([field, values]) =>
      Object.hasOwn(fields, field) && values?.length ? [{ field, op: 'in' as const, values }] : [],
    ),
  });
  const anyOf = (list: readonly FlowFilterInput[]): FlowCondition => ({ or: list.map(allOf) });
  return {
    and: [
      ...(filters?.length ? [anyOf(filters)] : []),
      ...(excludes?.length ? [{ not: anyOf(excludes) }] : []),
    ],
  };
}

function conditionSql(condition: FlowCondition, params: Params, uses: Set<Dimension>): string {
  const group = (parts: readonly FlowCondition[], operator: string, empty: string): string => {
    // An empty and (no structured filter, a blank where) adds nothing to the and it is in.
    const kept = operator === 'AND' ? parts.filter((c) => !('and' in c && c.and.length === 0)) : parts;
    if (kept.length === 0) return empty;
    const sql = kept.map((c) => conditionSql(c, params, uses));
    return sql.length === 1 ? sql[0]! : `(${sql.join(` ${operator} `)})`;
  };
  if ('and' in condition) return group(condition.and, 'AND', '1');
  if ('or' in condition) return group(condition.or, 'OR', '0');
  if ('not' in condition) return `NOT (${conditionSql(condition.not, params, uses)})`;
  return testSql(condition, params, uses);
}

/** A field's test; each part is an IN, a comparison or a parenthesised OR, so AND, OR and NOT bind around it. */
function testSql({ field, op, values }: FlowTest, params: Params, uses: Set<Dimension>): string {
  if (!Object.hasOwn(fields, field)) throw new Error(`no flow filter field ${field}`);
  const spec = fields[field]!;
  if (!operators[spec.kind].includes(op))
    throw invalid(`filter.${field}: ${op} does not apply to this field`);
  if (values.length === 0) throw invalid(`filter.${field}: no value given`);
  spec.on.forEach((d) => uses.add(d));
  const either = spec.on.map((d) => condition(spec, d.column, `filter.${field}`, op, values, params));
  return either.length === 1 ? either[0]! : `(${either.join(' OR ')})`;
}

/** The SQL type of a value of each kind held in a parameter (addresses and labels are split first). */
const valueTypes: Partial<Record<FilterKind, string>> = {
  text: 'String',
  enum: 'String',
  port: 'UInt16',
  protocol: 'UInt8',
};

function condition(
  { kind, values: allowed }: FilterSpec,
  column: string,
  what: string,
  op: FlowOperator,
  values: readonly (string | number)[],
  params: Params,
): string {
  if (op === 'like') return `${column} LIKE ${params.add('String', String(one(values, what)))}`;
  const checked = values.map((v) => checkedValue(kind, allowed, v, what));
  if (op !== 'in') return `${column} ${op} ${params.add(valueTypes[kind]!, one(checked, what))}`;
  if (kind === 'ip')
    return `(${checked.map((v) => addressCondition(column, String(v), what, params)).join(' OR ')})`;
  if (kind === 'label')
    return `(${checked.map((v) => labelCondition(column, String(v), what, params)).join(' OR ')})`;
  return `${column} IN ${params.add(`Array(${valueTypes[kind]!})`, checked)}`;
}

/** The single value an operator other than `in` takes. */
export function one(values: readonly (string | number)[], what: string): string | number {
  if (values.length !== 1) throw invalid(`${what}: this operator takes one value, not ${values.length}`);
  return values[0]!;
}

/** An address or a CIDR prefix, IPv4 or IPv6; IPv4 is matched in its IPv4-mapped form. */
function addressCondition(column: string, value: string, what: string, params: Params): string {
  const prefix = parseAddressOrCidr(value, what);
  const ip = params.add('String', prefix.address);
  if (!('bits' in prefix)) return `${column} = toIPv6(${ip})`;
  const range = `IPv6CIDRToRange(toIPv6(${ip}), ${params.add('UInt8', prefix.bits)})`;
  return `${column} BETWEEN tupleElement(${range}, 1) AND tupleElement(${range}, 2)`;
}

function labelCondition(column: string, value: string, what: string, params: Params): string {
  const selector = labelSelector(value, what);
  const key = params.add('String', selector.key);
  if (selector.value === undefined) return `mapContains(${column}, ${key})`;
  return `${column}[${key}] = ${params.add('String', selector.value)}`;
}
