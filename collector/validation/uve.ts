import { messages } from '../../common/proto.js';
import {
  checkName,
  checkTime,
  decodeRecord,
  firstProblem,
  isProblem,
  type RecordCheck,
  type RecordProblem,
} from './record.js';

interface UveFields {
  type: string;
  name: string;
  struct_type: string;
  attributes_json: string;
  aggregation: Record<string, { agg: number; list_key: string }>;
  deleted: boolean;
  timestamp: number;
}

const AGG_APPEND = 3;
const typeName = /^[a-z][a-z0-9-]*$/;

/** Checks UveUpdate records; a struct larger than maxBytes is refused rather than stored. */
export function uveCheck(maxBytes: number): RecordCheck {
  return (buf, start, end, nowUs) => {
    if (end - start > maxBytes) {
      return { field: 'record', reason: `UVE struct of ${end - start} bytes; at most ${maxBytes}` };
    }
    const uve = decodeRecord<UveFields>(messages.UveUpdate, buf, start, end);
    if (isProblem(uve)) return uve;
    return firstProblem(
      () => checkName('type', uve.type, true),
      () => (typeName.test(uve.type) ? undefined : { field: 'type', reason: 'not lower-case-with-dashes' }),
      () => checkName('name', uve.name, true),
      () => checkName('struct_type', uve.struct_type, true),
      () => checkAttributes(uve),
      () => checkAggregation(uve.aggregation),
      () => checkTime('timestamp', uve.timestamp, nowUs),
    );
  };
}

/** A struct carries a JSON object; a deletion may carry none. */
function checkAttributes(uve: UveFields): RecordProblem | undefined {
  if (uve.deleted && uve.attributes_json === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(uve.attributes_json);
  } catch (err) {
    return { field: 'attributes_json', reason: `not JSON: ${(err as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { field: 'attributes_json', reason: 'must be a JSON object' };
  }
  return undefined;
}

function checkAggregation(aggregation: UveFields['aggregation']): RecordProblem | undefined {
  for (const [attribute, { agg, list_key }] of Object.entries(aggregation)) {
    const field = `aggregation[${attribute}]`;
    if (agg < 0 || agg > AGG_APPEND) return { field, reason: `unknown aggtype ${agg}` };
    if (list_key !== '' && agg !== AGG_APPEND) return { field, reason: 'list_key needs AGG_APPEND' };
  }
  return undefined;
}
