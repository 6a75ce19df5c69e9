import { checkTime, MAX_NAME_BYTES, type RecordProblem } from './record.js';
import { WireError, WireReader, WireType } from '../../common/wire/reader.js';

const MAX_RECORD_BYTES = 4096;

type Rule =
  | { name: string; wire: typeof WireType.LEN; lengths?: readonly number[]; max?: number; ip?: boolean }
  | { name: string; wire: typeof WireType.VARINT; max?: number; time?: boolean };

const uuid = [0, 16] as const;
const address = [0, 4, 16] as const;
const text = (name: string): Rule => ({ name, wire: WireType.LEN, max: MAX_NAME_BYTES });
const count = (name: string, max?: number): Rule => ({ name, wire: WireType.VARINT, max });
const time = (name: string): Rule => ({ name, wire: WireType.VARINT, time: true });

/** FlowRecord's fields by number (records.proto); unknown fields are skipped for forward compatibility. */
const rules: (Rule | undefined)[] = [];
const define = (n: number, rule: Rule): void => void (rules[n] = rule);
define(1, { name: 'flow_uuid', wire: WireType.LEN, lengths: uuid });
define(2, { name: 'reverse_uuid', wire: WireType.LEN, lengths: uuid });
define(3, text('vrouter'));
define(4, { name: 'vrouter_ip', wire: WireType.LEN, lengths: address, ip: true });
define(5, { name: 'other_vrouter_ip', wire: WireType.LEN, lengths: address, ip: true });
define(6, count('direction', 2));
define(7, text('source_vn'));
define(8, text('dest_vn'));
define(9, { name: 'source_ip', wire: WireType.LEN, lengths: address, ip: true });
define(10, { name: 'dest_ip', wire: WireType.LEN, lengths: address, ip: true });
define(11, count('protocol', 255));
define(12, count('sport', 65535));
define(13, count('dport', 65535));
define(14, count('action', 5));
define(15, text('drop_reason'));
define(16, text('sg_rule_uuid'));
define(17, text('nw_ace_uuid'));
define(18, { name: 'vmi_uuid', wire: WireType.LEN, lengths: uuid });
define(19, time('setup_time'));
define(20, time('teardown_time'));
for (const [n, name] of [
  [21, 'bytes'],
  [22, 'packets'],
  [23, 'diff_bytes'],
  [24, 'diff_packets'],
] as const) {
  define(n, count(name));
}
define(25, count('tcp_flags', 0xffff));
define(26, text('underlay_proto'));
define(27, count('underlay_source_port', 65535));
define(28, count('sampling', 0xffffffff));
define(29, time('timestamp'));
for (const [n, name] of [
  [30, 'source_workload'],
  [31, 'dest_workload'],
  [32, 'source_namespace'],
  [33, 'dest_namespace'],
] as const) {
  define(n, text(name));
}

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
  if (!fields[1]) return { field: 'flow_uuid', reason: 'missing' };
  if (!fields[9] || values[9] === 0) return { field: 'source_ip', reason: 'missing' };
  if (!fields[10] || values[10] === 0) return { field: 'dest_ip', reason: 'missing' };
  if (values[9] !== values[10]) return { field: 'dest_ip', reason: 'address family differs from source_ip' };
  if (values[20]! !== 0 && values[20]! < values[19]!)
    return { field: 'teardown_time', reason: 'before setup_time' };
  if (values[21]! !== 0 && values[23]! > values[21]!)
    return { field: 'diff_bytes', reason: 'above the cumulative bytes' };
  if (values[22]! !== 0 && values[24]! > values[22]!) {
    return { field: 'diff_packets', reason: 'above the cumulative packets' };
  }
  return undefined;
}
