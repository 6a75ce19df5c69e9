import type { DescField, DescMessage, MessageShape } from '@bufbuild/protobuf';
import { file_fabricscope_v1_records, protoField } from '../../common/proto.js';
import { recordRetentionDays } from '../../common/schema/catalog/retention.js';
import type { Field, RecordCatalog } from '../../common/schema/catalog/types.js';
import { WireError, WireReader, WireType } from '../../common/wire/reader.js';
import {
  checkTime,
  decodeRecord,
  DEFAULT_MAX_CLOCK_SKEW_US,
  isProblem,
  malformed,
  MAX_NAME_BYTES,
  type RecordCheck,
  type RecordProblem,
} from './record.js';

/**
 * The rule of a record field from the column that stores it (common/schema/catalog/): accept on the
 * wire only what storage accepts. Shared by every kind: flows are checked on the wire only, the
 * decoded kinds (UVEs, routes, interface stats) are first checked here, because the generated
 * decoder truncates what does not fit its type (a uint32 of 2^40, a bool of 2) where the warehouse
 * refuses it.
 */
export type Rule =
  | {
      name: string;
      wire: typeof WireType.LEN;
      lengths?: readonly number[];
      max?: number;
      ip?: boolean;
      /** A repeated field (Array(String), Nested, Map): at most this many elements, each checked alone. */
      maxCount?: number;
      /** A message (a Nested element, a map entry, a Tuple): its fields' rules, by number. */
      nested?: (Rule | undefined)[];
    }
  | { name: string; wire: typeof WireType.VARINT; max?: number; time?: boolean; retentionDays?: number };

/** Texts longer than a name: their bound, by proto field name. */
export const TEXT_BOUNDS: Readonly<Record<string, number | undefined>> = {
  // A BGP AS path of 4 KiB is ~800 AS numbers; a longer one is not a path but a mistake.
  as_path: 4096,
  // Bounded by the whole UVE's size (--max-uve-bytes) and checked as JSON by the UVE check.
  attributes_json: undefined,
};

/** The most elements of a repeated text field (route communities). */
export const MAX_LIST_ELEMENTS = 256;

const unsignedMax: Record<string, number> = { Bool: 1, UInt8: 0xff, UInt16: 0xffff, UInt32: 0xffffffff };

/** The largest value an integer column stores: its width, or an enum's largest value. */
export function maxOf(type: string): number | undefined {
  if (type in unsignedMax) return unsignedMax[type];
  const values = /^Enum8\((.*)\)$/.exec(type)?.[1]?.match(/= -?\d+/g);
  return values ? Math.max(...values.map((v) => Number(v.slice(2)))) : undefined;
}

const textMax = (name: string): number | undefined =>
  name in TEXT_BOUNDS ? TEXT_BOUNDS[name] : MAX_NAME_BYTES;

/**
 * A field's check, from its column: bytes become a UUID (16 or none), an address (4, 16 or none) or
 * text (bounded); a list of texts is bounded in count and length; integers fit their column's width
 * or enum; times are microseconds since the epoch. Nested messages and maps (route next hops, UVE
 * aggregation, interface drops) have no rule here: their decoded check reads them.
 */
export function ruleOf(field: Field): Rule | undefined {
  const name = field.proto!;
  if (field.read === 'String') {
    if (field.type === 'UUID') return { name, wire: WireType.LEN, lengths: [0, 16] };
    if (field.type === 'IPv6') return { name, wire: WireType.LEN, lengths: [0, 4, 16], ip: true };
    const max = textMax(name);
    return max === undefined ? { name, wire: WireType.LEN } : { name, wire: WireType.LEN, max };
  }
  if (field.read === 'Array(String)')
    return { name, wire: WireType.LEN, max: textMax(name), maxCount: MAX_LIST_ELEMENTS };
  if (field.read?.startsWith('Nested') || field.read?.startsWith('Map')) return undefined;
  if (field.type.startsWith('DateTime64')) return { name, wire: WireType.VARINT, time: true };
  return { name, wire: WireType.VARINT, max: maxOf(field.type) };
}

/** A ClickHouse type's name and top-level arguments: `Nested(a String, b UInt32)` → Nested, [a String, b UInt32]. */
export function splitType(type: string): { name: string; args: string[] } {
  const open = type.indexOf('(');
  if (open < 0 || !type.endsWith(')')) return { name: type.trim(), args: [] };
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = start; i < type.length - 1; i++) {
    const c = type[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      args.push(type.slice(start, i).trim());
      start = i + 1;
    }
  }
  args.push(type.slice(start, type.length - 1).trim());
  return { name: type.slice(0, open).trim(), args };
}

const signedMax: Record<string, number> = { Int8: 0x7f, Int16: 0x7fff, Int32: 0x7fffffff };

/**
 * The rule of a member of a nested message from the type ClickHouse reads it as (`label UInt32` of
 * a route's next hops, the `agg Int8` of a UVE aggregation): texts bounded, integers within the read
 * width (a signed read accepts no negative value: every one in the catalog reads an enum), messages
 * (Tuple) member by member.
 */
function memberRule(name: string, read: string, message: DescMessage | undefined): Rule | undefined {
  const { name: type, args } = splitType(read);
  if (type === 'String' || (type === 'LowCardinality' && args[0] === 'String'))
    return { name, wire: WireType.LEN, max: textMax(name.split('.').pop()!) };
  if (type === 'Tuple' && message)
    return { name, wire: WireType.LEN, nested: membersOf(name, args, message) };
  if (type in unsignedMax || type in signedMax)
    return { name, wire: WireType.VARINT, max: unsignedMax[type] ?? signedMax[type] };
  if (type === 'UInt64') return { name, wire: WireType.VARINT };
  return undefined;
}

/** The rules of a message's members (`name Type` each), by the message's field numbers. */
function membersOf(name: string, members: string[], message: DescMessage): (Rule | undefined)[] {
  const rules: (Rule | undefined)[] = [];
  for (const member of members) {
    const [memberName = '', ...type] = member.split(' ');
    const field = message.fields.find((f) => f.name === memberName);
    if (!field) throw new Error(`${message.name} has no field ${memberName} (read as ${member})`);
    rules[field.number] = memberRule(`${name}.${memberName}`, type.join(' '), field.message);
  }
  return rules;
}

/**
 * The rule of a field holding messages: a Nested read (a repeated message, member by member) or a
 * Map read (entries of key = 1, value = 2). Each element is walked like a record.
 */
function nestedRuleOf(field: Field, proto: DescField): Rule | undefined {
  const name = field.proto!;
  const { name: type, args } = splitType(field.read ?? '');
  if (type === 'Nested' && proto.fieldKind === 'list' && proto.listKind === 'message') {
    return {
      name,
      wire: WireType.LEN,
      maxCount: MAX_LIST_ELEMENTS,
      nested: membersOf(name, args, proto.message),
    };
  }
  if (type === 'Map' && proto.fieldKind === 'map' && args.length === 2) {
    const entry: (Rule | undefined)[] = [];
    entry[1] = memberRule(`${name}.key`, args[0]!, undefined);
    entry[2] = memberRule(`${name}.value`, args[1]!, proto.mapKind === 'message' ? proto.message : undefined);
    return { name, wire: WireType.LEN, maxCount: MAX_LIST_ELEMENTS, nested: entry };
  }
  return undefined;
}

const recordMessage = (name: string): DescMessage | undefined =>
  file_fabricscope_v1_records.messages.find((m) => m.name === name);

/** A record kind's fields by number, each with the check its column asks for. */
export function wireRules(
  catalog: RecordCatalog,
  numberOf: (name: string) => number = (name) => protoField(catalog.record, name)!.number,
): (Rule | undefined)[] {
  const rules: (Rule | undefined)[] = [];
  const message = recordMessage(catalog.record);
  for (const field of [catalog.time, ...catalog.fields]) {
    if (field.proto === undefined) continue;
    const proto = message?.fields.find((f) => f.name === field.proto);
    const rule = ruleOf(field) ?? (proto && nestedRuleOf(field, proto));
    if (!rule) continue;
    // The row's time is the table's partition key where it carries the TTL: older than the
    // retention, a record would be dropped anyway, and a batch spread over many days makes the
    // warehouse refuse the insert ("too many partitions").
    const days = field === catalog.time ? recordRetentionDays(catalog) : undefined;
    rules[numberOf(field.proto)] =
      days === undefined || rule.wire !== WireType.VARINT ? rule : { ...rule, retentionDays: days };
  }
  return rules.map(uniform);
}

/**
 * A rule with every property present, in one order: the checks read rules for every field of every
 * record, and rules of a dozen shapes made those reads megamorphic (the flow check's hottest cost).
 */
function uniform(rule: Rule | undefined): Rule | undefined {
  if (!rule) return undefined;
  const all = rule as Partial<
    Record<keyof Rule | 'lengths' | 'ip' | 'maxCount' | 'nested' | 'time' | 'retentionDays', unknown>
  >;
  const nested = (all.nested as (Rule | undefined)[] | undefined)?.map(uniform);
  const { name, wire } = rule;
  const { lengths, max, ip, maxCount, time, retentionDays } = all;
  return { name, wire, lengths, max, ip, maxCount, nested, time, retentionDays } as unknown as Rule;
}

/** Checks the length of a LEN field against its rule. */
export function checkBytes(rule: Extract<Rule, { wire: 2 }>, length: number): RecordProblem | undefined {
  if (rule.lengths && !rule.lengths.includes(length)) {
    const what = rule.ip ? '4 (IPv4) or 16 (IPv6)' : '16';
    return { field: rule.name, reason: `${length} bytes; must be ${what}` };
  }
  if (rule.max !== undefined && length > rule.max)
    return { field: rule.name, reason: `longer than ${rule.max} bytes` };
  return undefined;
}

/** Checks a varint field's value against its rule. */
export function checkNumber(
  rule: Extract<Rule, { wire: 0 }>,
  value: number,
  nowUs: number,
  maxClockSkewUs: number,
): RecordProblem | undefined {
  if (rule.max !== undefined && value > rule.max)
    return { field: rule.name, reason: `${value} is above ${rule.max}` };
  if (!rule.time) return undefined;
  return checkTime(rule.name, value, nowUs, { maxClockSkewUs, retentionDays: rule.retentionDays });
}

/**
 * The wire check of a decoded kind: every field its rule, no singular field twice (the warehouse's
 * reader refuses it where the decoder keeps the last), sound protobuf (varints of at most 64 bits,
 * field numbers in range), nested messages (next hops, map entries) member by member. Unknown fields
 * are skipped for forward compatibility.
 */
export function wireCheck(catalog: RecordCatalog): RecordCheck {
  const rules = wireRules(catalog);
  return (buf, start, end, nowUs, maxClockSkewUs = DEFAULT_MAX_CLOCK_SKEW_US) => {
    try {
      return checkMessage(new WireReader(buf, start, end), rules, nowUs, maxClockSkewUs);
    } catch (err) {
      if (err instanceof WireError) return malformed(err);
      throw err;
    }
  };
}

function checkMessage(
  reader: WireReader,
  rules: readonly (Rule | undefined)[],
  nowUs: number,
  maxClockSkewUs: number,
): RecordProblem | undefined {
  const seen = new Map<number, number>();
  while (!reader.done()) {
    const tag = reader.tag();
    const number = tag >>> 3;
    const wire = tag & 7;
    const rule = rules[number];
    if (!rule) {
      reader.skip(wire);
      continue;
    }
    if (wire !== rule.wire)
      return { field: rule.name, reason: `wire type ${wire} where ${rule.wire} is expected` };
    const count = (seen.get(number) ?? 0) + 1;
    seen.set(number, count);
    if (rule.wire === WireType.VARINT) {
      if (count > 1) return { field: rule.name, reason: 'given more than once' };
      const problem = checkNumber(rule, reader.varint(), nowUs, maxClockSkewUs);
      if (problem) return problem;
      continue;
    }
    if (rule.maxCount === undefined && count > 1) return { field: rule.name, reason: 'given more than once' };
    if (rule.maxCount !== undefined && count > rule.maxCount)
      return { field: rule.name, reason: `more than ${rule.maxCount} elements` };
    const [s, e] = reader.lengthDelimited();
    const problem = rule.nested
      ? checkMessage(new WireReader(reader.buf, s, e), rule.nested, nowUs, maxClockSkewUs)
      : checkBytes(rule, e - s);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The check of a decoded kind (UVEs, routes, interface stats): sound on the wire for the columns of
 * its catalog first, then decoded into its generated message and checked as such.
 */
export function decodedCheck<Desc extends DescMessage>(
  catalog: RecordCatalog,
  schema: Desc,
  check: (record: MessageShape<Desc>) => RecordProblem | undefined,
): RecordCheck {
  const onTheWire = wireCheck(catalog);
  return (buf, start, end, nowUs, maxClockSkewUs) => {
    const wrong = onTheWire(buf, start, end, nowUs, maxClockSkewUs);
    if (wrong) return wrong;
    const record = decodeRecord(schema, buf, start, end);
    return isProblem(record) ? record : check(record);
  };
}
