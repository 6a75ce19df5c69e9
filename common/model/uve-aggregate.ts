/**
 * UVE aggregation on read, after Tungsten Fabric's opserver (contrail-opserver/uveserver.py,
 * `ParallelAggregator`). A UVE is a bag of structs; each struct may come from several generators and
 * is combined attribute by attribute according to the attribute's aggtype.
 *
 * Pure: no I/O. Values that need no combining are returned by reference, not copied; treat the
 * result as read-only.
 */

export type AggType = 'none' | 'sum' | 'union' | 'append';

export interface AttributeAggregation {
  agg: AggType;
  /** Only for `append`: items whose `item[listKey]` are deep-equal are merged into one. */
  listKey?: string;
}

export interface UvePart {
  /** `source:node_type:module:instance_id` */
  generator: string;
  /** e.g. `UveVirtualNetworkAgent` */
  struct: string;
  attributes: Record<string, unknown>;
  /** Per attribute name; an absent entry means `none`. */
  aggregation: Record<string, AttributeAggregation>;
  /** µs since epoch of the part's last update. */
  time: number;
}

/** One generator's value of an attribute (TF: one `[value, source]` pair). */
export interface SourcedValue {
  value: unknown;
  source: string;
}

/**
 * What an attribute becomes when its sources disagree and cannot be combined: every source's value,
 * ordered by source (generator name).
 */
export type PerSourceListing = SourcedValue[];

/** struct → attribute → aggregated value */
export type AggregatedUve = Record<string, Record<string, unknown>>;

/** struct → generator → that generator's attributes */
export type PerSourceUve = Record<string, Record<string, Record<string, unknown>>>;

const NONE: AttributeAggregation = { agg: 'none' };

/** Combines the live parts of one UVE into struct → attribute → value. */
export function aggregateUve(parts: readonly UvePart[]): AggregatedUve {
  return Object.fromEntries(groupByStruct(parts).map(([struct, group]) => [struct, aggregateStruct(group)]));
}

/** The per-source view: struct → generator → attributes, structs and generators sorted by name. */
export function perSource(parts: readonly UvePart[]): PerSourceUve {
  return Object.fromEntries(
    groupByStruct(parts).map(([struct, group]) => [
      struct,
      Object.fromEntries(group.map((part) => [part.generator, part.attributes])),
    ]),
  );
}

/**
 * Struct → its parts, structs sorted by name and parts by generator. TF iterates a Redis set, whose
 * order is arbitrary; sorting makes "first seen" (union order, append order, which item wins a
 * listKey merge) reproducible. Should one generator send a struct twice, the newest part stands.
 */
function groupByStruct(parts: readonly UvePart[]): [string, UvePart[]][] {
  const latest = new Map<string, Map<string, UvePart>>();
  for (const part of parts) {
    const byGenerator = latest.get(part.struct) ?? new Map<string, UvePart>();
    const seen = byGenerator.get(part.generator);
    if (seen === undefined || part.time >= seen.time) byGenerator.set(part.generator, part);
    latest.set(part.struct, byGenerator);
  }
  return [...latest]
    .sort(([a], [b]) => compare(a, b))
    .map(([struct, byGenerator]) => [
      struct,
      [...byGenerator.values()].sort((a, b) => compare(a.generator, b.generator)),
    ]);
}

/** Code-unit order, not localeCompare, so the result does not depend on the host's locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function aggregateStruct(parts: readonly UvePart[]): Record<string, unknown> {
  return Object.fromEntries(
    attributeNames(parts).map((attr) => {
      const holders = parts.filter((part) => Object.hasOwn(part.attributes, attr));
      const sources = holders.map((part) => ({ source: part.generator, value: part.attributes[attr] }));
      // A lone source is passed through untouched, whatever its aggtype.
      const value = sources.length === 1 ? sources[0]?.value : combine(sources, aggregationOf(holders, attr));
      return [attr, value];
    }),
  );
}

function attributeNames(parts: readonly UvePart[]): string[] {
  return [...new Set(parts.flatMap((part) => Object.keys(part.attributes)))];
}

/**
 * Generators of different versions may declare an attribute differently; TF simply takes the first
 * source's annotation. We take the newest part's (by time) as the most current schema; on a tie the
 * first generator by name.
 */
function aggregationOf(holders: readonly UvePart[], attr: string): AttributeAggregation {
  const newest = holders.reduce((a, b) => (b.time > a.time ? b : a));
  // Own entries only: an attribute called e.g. "toString" must not find Object.prototype's.
  return Object.hasOwn(newest.aggregation, attr) ? (newest.aggregation[attr] ?? NONE) : NONE;
}

function combine(sources: readonly SourcedValue[], { agg, listKey }: AttributeAggregation): unknown {
  switch (agg) {
    case 'sum':
      return sumAgg(sources);
    case 'union':
      return unionAgg(sources);
    case 'append':
      return appendAgg(sources, listKey);
    default:
      // 'none', and any aggtype this version does not know, as TF does.
      return defaultAgg(sources);
  }
}

/**
 * TF `_default_agg`: equal values (JSON with sorted keys) collapse to one. Where they differ TF lists
 * `[value, source, source…]` groups; we list every source on its own, in source order.
 */
function defaultAgg(sources: readonly SourcedValue[]): unknown {
  const first = sources[0];
  if (first === undefined) return undefined;
  const key = canonical(first.value);
  if (sources.every((s) => canonical(s.value) === key)) return first.value;
  const listing: PerSourceListing = sources.map(({ value, source }) => ({ value, source }));
  return listing;
}

/**
 * TF sums only attributes declared as integers (`_elem_sum_agg`) and, for a struct marked sum, adds
 * its integer fields and drops the others (`_struct_sum_agg`). Anything else goes to the default
 * aggregation rather than failing the whole UVE.
 */
function sumAgg(sources: readonly SourcedValue[]): unknown {
  const values = sources.map((s) => s.value);
  if (allNumeric(values)) return values.reduce(add);
  if (allObjects(values)) return sumStructs(values);
  return defaultAgg(sources);
}

function sumStructs(structs: readonly Record<string, unknown>[]): Record<string, unknown> {
  const totals = new Map<string, number | string>();
  for (const struct of structs) {
    for (const [field, value] of Object.entries(struct)) {
      if (!isNumeric(value)) continue;
      const sofar = totals.get(field);
      totals.set(field, sofar === undefined ? value : add(sofar, value));
    }
  }
  return Object.fromEntries(totals);
}

/** TF `_list_union_agg`: items in first-seen order, duplicates dropped. Non-lists: default aggregation. */
function unionAgg(sources: readonly SourcedValue[]): unknown {
  const lists = sources.map((s) => s.value);
  if (!allArrays(lists)) return defaultAgg(sources);
  const seen = new Set<string>();
  return lists.flat().filter((item) => {
    const key = canonical(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** TF `_append_agg` then `consolidate_list`: lists concatenated in source order, then merged by key. */
function appendAgg(sources: readonly SourcedValue[], listKey: string | undefined): unknown {
  const lists = sources.map((s) => s.value);
  if (!allArrays(lists)) return defaultAgg(sources);
  const items = lists.flat();
  return listKey === undefined ? items : mergeByKey(items, listKey);
}

/**
 * Items with deep-equal `item[listKey]` become one, at the place of the first. Items that are not
 * objects or lack the key cannot be matched and are kept as they are (TF would abort the UVE).
 */
function mergeByKey(items: readonly unknown[], listKey: string): unknown[] {
  const byKey = new Map<string, Record<string, unknown>>();
  const merged: unknown[] = [];
  for (const item of items) {
    if (!isObject(item) || !Object.hasOwn(item, listKey)) {
      merged.push(item);
      continue;
    }
    const key = canonical(item[listKey]);
    const into = byKey.get(key);
    if (into !== undefined) {
      mergeItem(into, item, listKey);
      continue;
    }
    const copy = { ...item }; // merging must not change the caller's parts
    byKey.set(key, copy);
    merged.push(copy);
  }
  return merged;
}

/**
 * TF `consolidate_list`: every integer field but the key is summed (counters such as bytes); every
 * other field keeps the first item's value, so the first source by generator name wins. A field the
 * first item lacks is taken from the later one.
 */
function mergeItem(into: Record<string, unknown>, item: Record<string, unknown>, listKey: string): void {
  for (const [field, value] of Object.entries(item)) {
    if (field === listKey) continue;
    if (!Object.hasOwn(into, field)) {
      setOwn(into, field, value);
      continue;
    }
    const have = into[field];
    if (isNumeric(have) && isNumeric(value)) setOwn(into, field, add(have, value));
  }
}

// Plain assignment of a key named "__proto__" would replace the prototype instead of adding data.
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Decimal integer strings count as numbers: TF parses every integer from text (`int(...)`), and
 * proto3 JSON writes 64-bit integers as strings, which is how u64 counters reach us.
 */
const INTEGER_STRING = /^-?\d+$/;

function isNumeric(value: unknown): value is number | string {
  return typeof value === 'number'
    ? Number.isFinite(value)
    : typeof value === 'string' && INTEGER_STRING.test(value);
}

/**
 * Integers are added exactly; a total beyond 2^53 is returned as a decimal string, as proto3 JSON
 * writes 64-bit integers, rather than silently rounded. With a fraction involved it is a float sum.
 */
function add(a: number | string, b: number | string): number | string {
  if (!isIntegral(a) || !isIntegral(b)) return Number(a) + Number(b);
  const total = BigInt(a) + BigInt(b);
  const asNumber = Number(total);
  return Number.isSafeInteger(asNumber) ? asNumber : total.toString();
}

function isIntegral(value: number | string): boolean {
  return typeof value === 'string' || Number.isInteger(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function allNumeric(values: readonly unknown[]): values is (number | string)[] {
  return values.every(isNumeric);
}

function allObjects(values: readonly unknown[]): values is Record<string, unknown>[] {
  return values.every(isObject);
}

function allArrays(values: readonly unknown[]): values is unknown[][] {
  return values.every((value) => Array.isArray(value));
}

/**
 * JSON with object keys sorted, so deep equality ignores key order (TF compares
 * `json.dumps(value, sort_keys=True)`). Array order still counts.
 */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    isObject(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => compare(a, b))) : inner,
  );
}
