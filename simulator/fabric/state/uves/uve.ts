import { create } from '@bufbuild/protobuf';
import {
  AttributeAggregationSchema,
  UveUpdateSchema,
  type AggType,
  type AttributeAggregation,
  type UveUpdate,
} from '../../../../common/proto.js';

/**
 * The UVE structs Tungsten Fabric generators send about the fabric, with TF's struct and attribute
 * names and aggregation types. A vRouter agent reports itself, the networks and machines it hosts
 * and their interfaces (with the workload identity flows are enriched with); a control node reports
 * its BGP and XMPP peers. Pure: the same topology and time give the same records.
 */

/** Per attribute: its aggregation type, or the type and the key of its list items. */
type AggSpec = Record<string, AggType | [AggType, string]>;

/** One UVE struct, its attributes as JSON and its aggregation spelled out. */
export function uve(
  type: string,
  name: string,
  struct: string,
  attributes: Record<string, unknown>,
  nowUs: number,
  agg: AggSpec = {},
): UveUpdate {
  const aggregation: Record<string, AttributeAggregation> = {};
  for (const [attr, spec] of Object.entries(agg)) {
    const [value, listKey] = Array.isArray(spec) ? spec : [spec, ''];
    aggregation[attr] = create(AttributeAggregationSchema, { agg: value, listKey });
  }
  return create(UveUpdateSchema, {
    type,
    name,
    structType: struct,
    attributesJson: JSON.stringify(attributes),
    aggregation,
    deleted: false,
    timestamp: BigInt(nowUs),
  });
}
