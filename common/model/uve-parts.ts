import { AggType } from '../proto.js';
import type { UveRecord } from '../wire/uve-update.js';
import type { AttributeAggregation, UvePart } from './uve-aggregate.js';

const AGG: Record<AggType, AttributeAggregation['agg']> = {
  [AggType.AGG_NONE]: 'none',
  [AggType.AGG_SUM]: 'sum',
  [AggType.AGG_UNION]: 'union',
  [AggType.AGG_APPEND]: 'append',
};

/**
 * A UVE record of the contract (records.proto UveUpdate, decoded or read on the wire) as the part of its UVE that `generator`
 * holds, at `timeUs`: where a consumer reads UVEs from the bus rather than from the warehouse. A
 * deletion may carry no attributes (they are then empty); a live record always has a JSON object,
 * which the collector checked.
 */
export function uvePartOf(
  generator: string,
  record: Pick<UveRecord, 'structType' | 'attributesJson' | 'aggregation'>,
  timeUs: number,
): UvePart {
  return {
    generator,
    struct: record.structType,
    attributes:
      record.attributesJson === '' ? {} : (JSON.parse(record.attributesJson) as Record<string, unknown>),
    aggregation: Object.fromEntries(
      Object.entries(record.aggregation).map(([attribute, { agg, listKey }]) => [
        attribute,
        listKey ? { agg: AGG[agg] ?? 'none', listKey } : { agg: AGG[agg] ?? 'none' },
      ]),
    ),
    time: timeUs,
  };
}
