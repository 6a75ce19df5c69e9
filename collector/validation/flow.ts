import { protoField } from '../../common/proto.js';
import { flowCatalog } from '../../common/schema/catalog/index.js';
import type { Field } from '../../common/schema/catalog/types.js';
import { WireError, WireReader, WireType } from '../../common/wire/reader.js';
import { checkTime, MAX_NAME_BYTES, type RecordProblem } from './record.js';

const MAX_RECORD_BYTES = 4096;

type Rule =
  | { name: string; wire: typeof WireType.LEN; lengths?: readonly number[]; max?: number; ip?: boolean }
  | { name: string; wire: typeof WireType.VARINT; max?: number; time?: boolean };

const unsignedMax: Record<string, number> = { UInt8: 0xff, UInt16: 0xffff, UInt32: 0xffffffff };

/** The largest value an integer column stores: its width, or an enum's largest value. */
function maxOf(type: string): number | undefined {
  if (type in unsignedMax) return unsignedMax[type];
  const values = /^Enum8\((.*)\)$/.exec(type)?.[1]?.match(/= -?\d+/g);
  return values ? Math.max(...values.map((v) => Number(v.slice(2)))) : undefined;
}

/**
 * A field's check, from the column that stores it (common/schema/catalog/flows.ts): accept only what
 * storage accepts. Bytes become a UUID (16 or none), an address (4, 16 or none) or text (names are
 * bounded); integers fit their column's width or enum; times are microseconds since the epoch.
 */
function ruleOf(field: Field): Rule {
  const name = field.proto!;
  if (field.read === 'String') {
    if (field.type === 'UUID') return { name, wire: WireType.LEN, lengths: [0, 16] };
    if (field.type === 'IPv6') return { name, wire: WireType.LEN, lengths: [0, 4, 16], ip: true };
    return { name, wire: WireType.LEN, max: MAX_NAME_BYTES };
  }
  if (field.type.startsWith('DateTime64')) return { name, wire: WireType.VARINT, time: true };
  return { name, wire: WireType.VARINT, max: maxOf(field.type) };
}

const number = (name: string): number => protoField('FlowRecord', name)!.number;

/** FlowRecord's fields by number (records.proto); unknown fields are skipped for forward compatibility. */
const rules: (Rule | undefined)[] = [];
for (const field of [flowCatalog.time, ...flowCatalog.fields]) {
  if (field.proto !== undefined) rules[number(field.proto)] = ruleOf(field);
}

/** The fields the cross-field checks read, by number. */
const crossChecked = [
  'flow_uuid',
  'source_ip',
  'dest_ip',
  'setup_time',
  'teardown_time',
  'bytes',
  'packets',
  'diff_bytes',
  'diff_packets',
] as const;
const F = Object.fromEntries(crossChecked.map((name) => [name, number(name)])) as Record<
  (typeof crossChecked)[number],
  number
>;

/** The values the cross-field checks need, gathered while walking one record. */
interface Seen {
  fields: Uint8Array;
  values: Float64Array;
}

const seen: Seen = { fields: new Uint8Array(rules.length), values: new Float64Array(rules.length) };

/**
 * Checks one FlowRecord on the wire (bytes [start, end) of buf). Returns undefined when it can be
 * stored as it is, else the first problem found. Not re-entrant: it reuses one scratch area.
 */
export function checkFlowRecord(
  buf: Buffer,
  start: number,
  end: number,
  nowUs: number,
): RecordProblem | undefined {
  if (end - start > MAX_RECORD_BYTES)
    return { field: 'record', reason: `larger than ${MAX_RECORD_BYTES} bytes` };
  seen.fields.fill(0);
  seen.values.fill(0);
  const reader = new WireReader(buf, start, end);
  try {
    while (!reader.done()) {
      const problem = checkField(reader, nowUs);
      if (problem) return problem;
    }
  } catch (err) {
    if (err instanceof WireError) return { field: 'record', reason: `malformed protobuf: ${err.message}` };
    throw err;
  }
  return checkRecord();
}

function checkField(reader: WireReader, nowUs: number): RecordProblem | undefined {
  const tag = reader.varint();
  const field = Math.floor(tag / 8);
  const wire = tag & 7;
  const rule = rules[field];
  if (!rule) {
    reader.skip(wire);
    return undefined;
  }
  if (wire !== rule.wire)
    return { field: rule.name, reason: `wire type ${wire} where ${rule.wire} is expected` };
  // A repeated singular field would be "last one wins" in protobuf, but the warehouse reader refuses it.
  if (seen.fields[field]) return { field: rule.name, reason: 'given more than once' };
  seen.fields[field] = 1;
  return rule.wire === WireType.LEN
    ? checkBytes(reader, field, rule)
    : checkNumber(reader, field, rule, nowUs);
}

function checkBytes(
  reader: WireReader,
  field: number,
  rule: Extract<Rule, { wire: 2 }>,
): RecordProblem | undefined {
  const [start, end] = reader.lengthDelimited();
  const length = end - start;
  seen.values[field] = length;
  if (rule.lengths && !rule.lengths.includes(length)) {
    const what = rule.ip ? '4 (IPv4) or 16 (IPv6)' : '16';
    return { field: rule.name, reason: `${length} bytes; must be ${what}` };
  }
  if (rule.max !== undefined && length > rule.max)
    return { field: rule.name, reason: `longer than ${rule.max} bytes` };
  return undefined;
}

function checkNumber(
  reader: WireReader,
  field: number,
  rule: Extract<Rule, { wire: 0 }>,
  nowUs: number,
): RecordProblem | undefined {
  const value = reader.varint();
  seen.values[field] = value;
  if (rule.max !== undefined && value > rule.max)
    return { field: rule.name, reason: `${value} is above ${rule.max}` };
  return rule.time ? checkTime(rule.name, value, nowUs) : undefined;
}

function checkRecord(): RecordProblem | undefined {
  const { fields, values } = seen;
  if (!fields[F.flow_uuid]) return { field: 'flow_uuid', reason: 'missing' };
  if (!fields[F.source_ip] || values[F.source_ip] === 0) return { field: 'source_ip', reason: 'missing' };
  if (!fields[F.dest_ip] || values[F.dest_ip] === 0) return { field: 'dest_ip', reason: 'missing' };
  if (values[F.source_ip] !== values[F.dest_ip])
    return { field: 'dest_ip', reason: 'address family differs from source_ip' };
  if (values[F.teardown_time]! !== 0 && values[F.teardown_time]! < values[F.setup_time]!)
    return { field: 'teardown_time', reason: 'before setup_time' };
  if (values[F.bytes]! !== 0 && values[F.diff_bytes]! > values[F.bytes]!)
    return { field: 'diff_bytes', reason: 'above the cumulative bytes' };
  if (values[F.packets]! !== 0 && values[F.diff_packets]! > values[F.packets]!) {
    return { field: 'diff_packets', reason: 'above the cumulative packets' };
  }
  return undefined;
}
