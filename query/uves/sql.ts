import { liveUveParts as liveParts } from '../../common/schema/live-uves.js';
import type { TimeRange } from '../../common/sql/time-range.js';
import { Params, type BuiltQuery } from '../../common/sql/params.js';

/** UVE types with how many live UVEs each has. */
export function typesQuery(): BuiltQuery {
  return {
    sql: `SELECT type, uniqExact(name) AS count FROM (${liveParts('1')}) GROUP BY type ORDER BY type`,
    params: {},
  };
}

/** A glob (`*` any run, `?` one character) as a LIKE pattern; LIKE's own wildcards are escaped. */
export function globToLike(glob: string): string {
  return glob
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');
}

/** Live UVEs of one type whose names match a glob, with their structs and sources. */
export function listQuery(type: string, match: string, limit: number): BuiltQuery {
  const params = new Params();
  const where = `type = ${params.add('String', type)} AND name LIKE ${params.add('String', globToLike(match))}`;
  return {
    sql: `SELECT name, groupUniqArray(struct_type) AS structs, groupUniqArray(generator) AS sources,
        toString(max(updated)) AS updated_at
      FROM (${liveParts(where)})
      GROUP BY name ORDER BY name LIMIT ${params.add('UInt32', limit)}`,
    params: params.values,
  };
}

/** The live parts of one UVE, optionally only some structs. */
export function partsQuery(type: string, name: string, structs: readonly string[]): BuiltQuery {
  const params = new Params();
  let where = `type = ${params.add('String', type)} AND name = ${params.add('String', name)}`;
  if (structs.length > 0) where += ` AND struct_type IN ${params.add('Array(String)', structs)}`;
  return {
    sql: `SELECT struct_type, generator, attributes, aggregation,
        toString(updated) AS updated_at, toUnixTimestamp64Micro(updated) AS updated_us
      FROM (${liveParts(where)}) ORDER BY struct_type, generator`,
    params: params.values,
  };
}

/**
 * `limit` generators by name after `after`, each with its latest session event, optionally only those
 * in one status. Restatements (schema/snapshots.ts) keep each generator's latest event of each kind
 * past the events' TTL, so the latest of all is still there.
 */
export function generatorsQuery(status: string | undefined, limit: number, after?: string): BuiltQuery {
  const params = new Params();
  const where = after === undefined ? '1' : `generator > ${params.add('String', after)}`;
  const having = status ? `HAVING status = ${params.add('String', status)}` : '';
  return {
    sql: `SELECT generator, toString(argMax(event, time)) AS status, toString(max(time)) AS since,
        toString(argMax(epoch, time)) AS epoch, argMax(peer, time) AS peer,
        toString(maxIf(time, event = 'connected')) AS connected_at
      FROM generator_events WHERE ${where} GROUP BY generator ${having}
      ORDER BY generator LIMIT ${params.add('UInt32', limit)}`,
    params: params.values,
  };
}

/** The updates of one UVE in [from, to) on the collector's clock, oldest first, optionally of one struct. */
export function historyQuery(
  type: string,
  name: string,
  struct: string | undefined,
  range: TimeRange,
  first: number,
): BuiltQuery {
  const params = new Params();
  const conditions = [
    `type = ${params.add('String', type)}`,
    `name = ${params.add('String', name)}`,
    `received_at >= fromUnixTimestamp64Micro(${params.add('Int64', range.fromUs)}, 'UTC')`,
    `received_at < fromUnixTimestamp64Micro(${params.add('Int64', range.toUs)}, 'UTC')`,
  ];
  if (struct) conditions.push(`struct_type = ${params.add('String', struct)}`);
  return {
    sql: `SELECT toString(time) AS event_time, toString(received_at) AS received, generator, struct_type,
        deleted, attributes
      FROM uve_updates WHERE ${conditions.join(' AND ')}
      ORDER BY received_at, generator, struct_type LIMIT ${params.add('UInt32', first)}`,
    params: params.values,
  };
}
