import { invalid } from '../common/errors.js';
import {
  aggregateUve,
  type AggType,
  type AttributeAggregation,
  type UvePart,
} from '../common/model/uve-aggregate.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { resolver } from './resolve.js';
import { generatorsQuery, listQuery, partsQuery, typesQuery, type Query } from './sql/uve-queries.js';
import { toRfc3339 } from './time.js';

interface PartRow {
  struct_type: string;
  generator: string;
  attributes: string;
  aggregation: Record<string, { agg: AggType; list_key: string }>;
  updated_at: string;
  updated_us: string;
}

interface GeneratorRow {
  generator: string;
  status: string;
  since: string;
  epoch: string;
  peer: string;
  connected_at: string;
}

const MAX_LIST = 10_000;
const NEVER = '1970-01-01 00:00:00.000000';

function toPart(row: PartRow): UvePart {
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

/** The UVE as the API shows it: aggregated per struct, each struct with its sources. */
function toUve(type: string, name: string, rows: PartRow[]) {
  const value = aggregateUve(rows.map(toPart));
  const structs = Object.entries(value).map(([struct, aggregated]) => ({
    struct,
    value: aggregated,
    sources: rows
      .filter((r) => r.struct_type === struct)
      .map((r) => ({
        generator: r.generator,
        updatedAt: toRfc3339(r.updated_at),
        attributes: toPart(r).attributes,
      })),
  }));
  return { type, name, value, structs };
}

function toGenerator(row: GeneratorRow) {
  const [source = '', nodeType = '', module = '', instanceId = ''] = row.generator.split(':');
  return {
    name: row.generator,
    source,
    nodeType,
    module,
    instanceId,
    status: row.status.toUpperCase(),
    since: toRfc3339(row.since),
    connectedAt: row.connected_at === NEVER ? null : toRfc3339(row.connected_at),
    epoch: row.epoch,
    peer: row.peer,
  };
}

export function uveResolvers(warehouse: Warehouse) {
  const run = <T>(q: Query) => warehouse.query<T>(q.sql, q.params);
  return {
    uveTypes: resolver('uveTypes', async () => {
      const rows = await run<{ type: string; count: string }>(typesQuery());
      return rows.map((r) => ({ type: r.type, count: Number(r.count) }));
    }),
    uves: resolver('uves', async (args: { type: string; match: string; first: number }) => {
      if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_LIST)
        throw invalid(`first: ${args.first} is not between 1 and ${MAX_LIST}`);
      const rows = await run<{ name: string; structs: string[]; sources: string[]; updated_at: string }>(
        listQuery(args.type, args.match, args.first),
      );
      return rows.map((r) => ({
        type: args.type,
        name: r.name,
        structs: [...r.structs].sort(),
        sources: [...r.sources].sort(),
        updatedAt: toRfc3339(r.updated_at),
      }));
    }),
    uve: resolver('uve', async (args: { type: string; name: string; structs?: string[] | null }) => {
      const rows = await run<PartRow>(partsQuery(args.type, args.name, args.structs ?? []));
      return rows.length === 0 ? null : toUve(args.type, args.name, rows);
    }),
    generators: resolver('generators', async (args: { status?: string | null }) => {
      const rows = await run<GeneratorRow>(generatorsQuery(args.status?.toLowerCase()));
      return rows.map(toGenerator);
    }),
  };
}
