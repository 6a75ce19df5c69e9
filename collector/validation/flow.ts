import { protoField } from '../../common/proto.js';
import { flowCatalog } from '../../common/schema/catalog/index.js';
import type { RecordCatalog } from '../../common/schema/catalog/types.js';
import { WireError, WireReader, WireType } from '../../common/wire/reader.js';
import { DEFAULT_MAX_CLOCK_SKEW_US, type RecordProblem, malformed } from './record.js';
import {
  checkBytes as bytesProblem,
  checkNumber as numberProblem,
  wireRules as rulesOf,
  type Rule,
} from './wire-rules.js';

const MAX_RECORD_BYTES = 4096;

const number = (name: string): number => protoField('FlowRecord', name)!.number;

/** FlowRecord's fields by number, each with the check its column asks for (./wire-rules.ts). */
export const wireRules = (
  catalog: RecordCatalog = flowCatalog,
  numberOf: (name: string) => number = number,
): (Rule | undefined)[] => rulesOf(catalog, numberOf);

/** Unknown fields are skipped for forward compatibility. */
const rules = wireRules();

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
  maxClockSkewUs = DEFAULT_MAX_CLOCK_SKEW_US,
): RecordProblem | undefined {
  if (end - start > MAX_RECORD_BYTES)
    return { field: 'record', reason: `larger than ${MAX_RECORD_BYTES} bytes` };
  seen.fields.fill(0);
  seen.values.fill(0);
  const reader = new WireReader(buf, start, end);
  try {
    while (!reader.done()) {
      const problem = checkField(reader, nowUs, maxClockSkewUs);
      if (problem) return problem;
    }
  } catch (err) {
    if (err instanceof WireError) return malformed(err);
    throw err;
  }
  return checkRecord();
}

function checkField(reader: WireReader, nowUs: number, skewUs: number): RecordProblem | undefined {
  const tag = reader.tag();
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
    : checkNumber(reader, field, rule, nowUs, skewUs);
}

function checkBytes(
  reader: WireReader,
  field: number,
  rule: Extract<Rule, { wire: 2 }>,
): RecordProblem | undefined {
  const length = reader.lengthPrefixed();
  seen.values[field] = length;
  return bytesProblem(rule, length);
}

function checkNumber(
  reader: WireReader,
  field: number,
  rule: Extract<Rule, { wire: 0 }>,
  nowUs: number,
  skewUs: number,
): RecordProblem | undefined {
  const value = reader.varint();
  seen.values[field] = value;
  return numberProblem(rule, value, nowUs, skewUs);
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
