import { AggType, AggTypeSchema, UveUpdateSchema, type UveUpdate } from '../../common/proto.js';
import { uveCatalog } from '../../common/schema/catalog/index.js';
import { checkName, firstProblem, type RecordCheck, jsonDepth, type RecordProblem } from './record.js';
import { decodedCheck } from './wire-rules.js';

/** How deeply attributes may nest: TF's UVE structs nest a few levels; reading a deeper one fails. */
export const MAX_ATTRIBUTES_DEPTH = 32;

const typeName = /^[a-z][a-z0-9-]*$/;

/** Checks UveUpdate records; a struct larger than maxBytes is refused rather than stored. */
export function uveCheck(maxBytes: number): RecordCheck {
  return (buf, start, end, nowUs, maxClockSkewUs) => {
    if (end - start > maxBytes) {
      return { field: 'record', reason: `UVE struct of ${end - start} bytes; at most ${maxBytes}` };
    }
    return checkDecoded(buf, start, end, nowUs, maxClockSkewUs);
  };
}

const checkDecoded = decodedCheck(uveCatalog, UveUpdateSchema, (uve) =>
  firstProblem(
    () => checkName('type', uve.type, true),
    () => (typeName.test(uve.type) ? undefined : { field: 'type', reason: 'not lower-case-with-dashes' }),
    () => checkName('name', uve.name, true),
    () => checkName('struct_type', uve.structType, true),
    () => checkAttributes(uve),
    () => checkAggregation(uve.aggregation),
  ),
);

/** A struct carries a JSON object; a deletion may carry none. */
function checkAttributes(uve: UveUpdate): RecordProblem | undefined {
  if (uve.deleted && uve.attributesJson === '') return undefined;
  const depth = jsonDepth(uve.attributesJson);
  if (depth > MAX_ATTRIBUTES_DEPTH) {
    return { field: 'attributes_json', reason: `nested ${depth} deep; at most ${MAX_ATTRIBUTES_DEPTH}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(uve.attributesJson);
  } catch (err) {
    return { field: 'attributes_json', reason: `not JSON: ${(err as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { field: 'attributes_json', reason: 'must be a JSON object' };
  }
  return undefined;
}

function checkAggregation(aggregation: UveUpdate['aggregation']): RecordProblem | undefined {
  for (const [attribute, { agg, listKey }] of Object.entries(aggregation)) {
    const field = `aggregation[${attribute}]`;
    if (!AggTypeSchema.value[agg]) return { field, reason: `unknown aggtype ${agg}` };
    if (listKey !== '' && agg !== AggType.AGG_APPEND) return { field, reason: 'list_key needs AGG_APPEND' };
  }
  return undefined;
}
