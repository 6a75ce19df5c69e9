import type { RecordCatalog } from './types.js';

/** A TTL `toDateTime(<expression>) + INTERVAL <n> DAY`, taken apart; undefined when there is none. */
function ttlDays(catalog: RecordCatalog): { from: string; days: number } | undefined {
  const ttl = catalog.table.ttl;
  if (!ttl) return undefined;
  const match = /^toDateTime\((.+)\) \+ INTERVAL (\d+) DAY$/.exec(ttl.trim());
  if (!match)
    throw new Error(`${catalog.table.name}: TTL "${ttl}" is not toDateTime(<time>) + INTERVAL <n> DAY`);
  return { from: match[1]!, days: Number(match[2]) };
}

/**
 * How many days the warehouse keeps a record by its own time: the table's TTL when it counts from the
 * row's time column (`toDateTime(time) + INTERVAL 7 DAY`), undefined when it counts from something
 * else (UVEs: when they were received; routes and generator events: when they were received or
 * stored) or there is none. Derived from the declared TTL, so it adds nothing to what the
 * migrations produce.
 */
export function recordRetentionDays(catalog: RecordCatalog): number | undefined {
  const ttl = ttlDays(catalog);
  return ttl?.from === catalog.time.column ? ttl.days : undefined;
}

/** How many days a table keeps its rows, whatever its TTL counts from (throws when it has none). */
export function keptDays(catalog: RecordCatalog): number {
  const ttl = ttlDays(catalog);
  if (!ttl) throw new Error(`${catalog.table.name} has no TTL`);
  return ttl.days;
}

/**
 * How far back state stays answerable: the table of routes at any instant, and each generator's
 * session events. Past it, what is still live is kept by snapshots (schema/snapshots.ts).
 */
export const STATE_RETENTION_DAYS = 30;

/** The longest time between two snapshots: the writer's --snapshot-interval is at most this. */
export const MAX_SNAPSHOT_INTERVAL_DAYS = 1;

/**
 * How long snapshots and the rows they are taken from (route and generator events) are kept: the
 * retention plus the longest interval, so that the snapshot an instant within the retention reads,
 * and the events after it, are never expired first.
 */
export const SNAPSHOT_TTL_DAYS = STATE_RETENTION_DAYS + MAX_SNAPSHOT_INTERVAL_DAYS;

/**
 * The TTL of route and generator events: counted from when a row was received or stored, whichever
 * is later, so a row stored late, or restated by a snapshot, is kept from then.
 */
export const SNAPSHOT_SOURCE_TTL = `toDateTime(greatest(received_at, stored_at)) + INTERVAL ${SNAPSHOT_TTL_DAYS} DAY`;
