import type { RecordCatalog } from './types.js';

/**
 * How many days the warehouse keeps a record by its own time: the table's TTL when it counts from the
 * row's time column (`toDateTime(time) + INTERVAL 7 DAY`), undefined when it counts from something
 * else (UVEs: when they were received) or there is none (routes, generator events). Derived from the
 * declared TTL, so it adds nothing to what the migrations produce.
 */
export function recordRetentionDays(catalog: RecordCatalog): number | undefined {
  const ttl = catalog.table.ttl;
  if (!ttl) return undefined;
  const match = /^toDateTime\((\w+)\) \+ INTERVAL (\d+) DAY$/.exec(ttl.trim());
  if (!match) throw new Error(`${catalog.table.name}: TTL "${ttl}" is not <column> + INTERVAL <n> DAY`);
  return match[1] === catalog.time.column ? Number(match[2]) : undefined;
}
