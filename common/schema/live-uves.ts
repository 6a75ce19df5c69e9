import type { AggType, AttributeAggregation, UvePart } from '../model/uve-aggregate.js';
import { latestWithdrawals } from './views.js';

/**
 * The newest part of each (UVE, struct, generator) in `uve_latest`, deletions included (`deleted`),
 * with when it was received (`updated`).
 */
export const newestUveParts = (where: string): string => `
  SELECT type, name, struct_type, generator,
    argMax(attributes, received_at) AS attributes, argMax(aggregation, received_at) AS aggregation,
    argMax(deleted, received_at) AS deleted, max(received_at) AS updated
  FROM uve_latest
  WHERE ${where}
  GROUP BY type, name, struct_type, generator`;

/**
 * The live parts of UVEs as the warehouse holds them: the newest part per (UVE, struct, generator),
 * unless that part is a deletion or its generator was withdrawn after sending it (Tungsten Fabric's
 * semantics: a deleted struct removes one generator's part; a generator gone for good takes all its
 * parts along). The query API answers from them; the alarm engine keeps the same state.
 */
export const liveUveParts = (where: string): string => `
  SELECT part.*
  FROM (${newestUveParts(where)}) AS part
  LEFT JOIN (${latestWithdrawals()}) AS gone USING generator
  WHERE NOT part.deleted AND part.updated > gone.withdrawn`;

/** A part as read from those: `struct_type, generator, attributes, aggregation` and `updated` in µs. */
export interface UvePartRow {
  struct_type: string;
  generator: string;
  attributes: string;
  aggregation: Record<string, { agg: AggType; list_key: string }>;
  updated_us: string;
}

/** A stored part as the aggregation takes it: its time is when the collector received it (µs). */
export function uvePartOfRow(row: UvePartRow): UvePart {
  const aggregation: Record<string, AttributeAggregation> = {};
  for (const [attribute, { agg, list_key }] of Object.entries(row.aggregation)) {
    aggregation[attribute] = list_key ? { agg, listKey: list_key } : { agg };
  }
  // A deletion may carry no attributes; a live part always has a JSON object (the collector checks).
  const attributes = row.attributes === '' ? {} : (JSON.parse(row.attributes) as Record<string, unknown>);
  return {
    generator: row.generator,
    struct: row.struct_type,
    attributes,
    aggregation,
    time: Number(row.updated_us),
  };
}
