import { z } from 'zod';
import { aggregateUve } from '../../common/model/uve-aggregate.js';
import { uvePartOfRow, type UvePartRow } from '../../common/schema/live-uves.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type { GeneratorStatus, QueryResolvers } from '../generated/graphql.js';
import { checkFirst } from '../shared/arguments.js';
import { cursorCodec } from '../shared/cursor.js';
import { keysetPage } from '../shared/paging.js';
import { resolver } from '../shared/resolve.js';
import type { BuiltQuery } from '../../common/sql/params.js';
import { generatorsQuery, historyQuery, listQuery, partsQuery, typesQuery } from './sql.js';
import { parseRange, toRfc3339 } from '../shared/time.js';

interface PartRow extends UvePartRow {
  updated_at: string;
}

/** A generator's latest session event as stored (generator_events.event) and as the API names it. */
const statuses = {
  connected: 'CONNECTED',
  disconnected: 'DISCONNECTED',
  withdrawn: 'WITHDRAWN',
} as const satisfies Record<string, GeneratorStatus>;

interface GeneratorRow {
  generator: string;
  status: keyof typeof statuses;
  since: string;
  epoch: string;
  peer: string;
  connected_at: string;
}

interface UpdateRow {
  event_time: string;
  received: string;
  generator: string;
  struct_type: string;
  deleted: boolean;
  attributes: string;
}

const MAX_LIST = 10_000;
const NEVER = '1970-01-01 00:00:00.000000';

/** The UVE as the API shows it: aggregated per struct, each struct with its sources. */
function toUve(type: string, name: string, rows: PartRow[]) {
  const parts = rows.map((row) => ({ ...uvePartOfRow(row), updatedAt: toRfc3339(row.updated_at) }));
  const value = aggregateUve(parts);
  const structs = Object.entries(value).map(([struct, aggregated]) => ({
    struct,
    value: aggregated,
    sources: parts
      .filter((p) => p.struct === struct)
      .map(({ generator, updatedAt, attributes }) => ({ generator, updatedAt, attributes })),
  }));
  return { type, name, value, structs };
}

/**
 * A UVE and a UVE of a listing as the resolvers build them: codegen maps Uve and UveSummary to these
 * (query/codegen.yml), whose alarms their own resolvers read (alarms/links.ts).
 */
export type UveNode = ReturnType<typeof toUve>;
export interface UveSummaryNode {
  type: string;
  name: string;
  structs: string[];
  sources: string[];
  updatedAt: string;
}

function toGenerator(row: GeneratorRow) {
  const [source = '', nodeType = '', module = '', instanceId = ''] = row.generator.split(':');
  return {
    name: row.generator,
    source,
    nodeType,
    module,
    instanceId,
    status: statuses[row.status],
    since: toRfc3339(row.since),
    connectedAt: row.connected_at === NEVER ? null : toRfc3339(row.connected_at),
    epoch: row.epoch,
    peer: row.peer,
  };
}

/** Where a listing of generators stopped: the last one's name. */
const generatorCursor = cursorCodec<{ generator: string }>(z.object({ generator: z.string() }));

export function uveResolvers(warehouse: Warehouse): QueryResolvers {
  const run = <T>(q: BuiltQuery) => warehouse.query<T>(q.sql, q.params);
  return {
    uveTypes: resolver('uveTypes', async () => {
      const rows = await run<{ type: string; count: string }>(typesQuery());
      return rows.map((r) => ({ type: r.type, count: Number(r.count) }));
    }),
    uves: resolver('uves', async (args) => {
      checkFirst(args.first, MAX_LIST);
      const rows = await run<{ name: string; structs: string[]; sources: string[]; updated_at: string }>(
        listQuery(args.type, args.match, args.first),
      );
      return rows.map((r): UveSummaryNode => ({
        type: args.type,
        name: r.name,
        structs: [...r.structs].sort(),
        sources: [...r.sources].sort(),
        updatedAt: toRfc3339(r.updated_at),
      }));
    }),
    uve: resolver('uve', async (args) => {
      const rows = await run<PartRow>(partsQuery(args.type, args.name, args.structs ?? []));
      return rows.length === 0 ? null : toUve(args.type, args.name, rows);
    }),
    uveHistory: resolver('uveHistory', async (args) => {
      const range = parseRange(args.from, args.to);
      const query = historyQuery(
        args.type,
        args.name,
        args.struct ?? undefined,
        range,
        checkFirst(args.first, MAX_LIST),
      );
      const rows = await run<UpdateRow>(query);
      return rows.map((r) => ({
        time: toRfc3339(r.event_time),
        receivedAt: toRfc3339(r.received),
        generator: r.generator,
        struct: r.struct_type,
        deleted: Boolean(r.deleted),
        attributes: r.attributes === '' ? null : (JSON.parse(r.attributes) as unknown),
      }));
    }),
    generators: resolver('generators', async (args) => {
      checkFirst(args.first);
      const after = args.after ? generatorCursor.decode(args.after, 'after').generator : undefined;
      return keysetPage(
        args.first,
        (limit) => run<GeneratorRow>(generatorsQuery(args.status?.toLowerCase(), limit, after)),
        (row) => generatorCursor.encode({ generator: row.generator }),
        toGenerator,
      );
    }),
  };
}
