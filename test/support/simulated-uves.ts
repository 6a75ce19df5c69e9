import type { UveUpdate } from '../../common/proto.js';
import { aggregateUve, type AggregatedUve, type UvePart } from '../../common/model/uve-aggregate.js';
import { uvePartOf } from '../../common/model/uve-parts.js';

/** What generators published: the simulator's fabric state and event steps both have this shape. */
export interface Published {
  generator: string;
  uves: readonly UveUpdate[];
}

/**
 * The aggregated UVEs, keyed `type:name`, that these publications leave, in order (a later update of a
 * generator's struct replaces the earlier one, a deleted one removes it), combined as the query API
 * and the alarm engine combine them (common/model/uve-aggregate.ts).
 */
export function aggregatedUves(published: readonly Published[]): Map<string, AggregatedUve> {
  const latest = new Map<string, { key: string; part: UvePart }>();
  for (const { generator, uves } of published) {
    for (const u of uves) {
      const id = `${u.type}:${u.name}\n${generator}\n${u.structType}`;
      if (u.deleted) latest.delete(id);
      else latest.set(id, { key: `${u.type}:${u.name}`, part: uvePartOf(generator, u, Number(u.timestamp)) });
    }
  }
  const byKey = new Map<string, UvePart[]>();
  for (const { key, part } of latest.values()) byKey.set(key, [...(byKey.get(key) ?? []), part]);
  return new Map([...byKey].map(([key, parts]) => [key, aggregateUve(parts)]));
}
