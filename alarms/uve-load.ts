import { newestUveParts, uvePartOfRow, type UvePartRow } from '../common/schema/live-uves.js';
import { latestWithdrawals } from '../common/schema/views.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { uveKey, UveState, type StoredPart } from './uve-state.js';

interface PartRow extends UvePartRow {
  type: string;
  name: string;
  deleted: boolean | number;
}

/** What the warehouse holds of the UVEs, read once, for the UVEs an engine instance owns. */
export interface UveSnapshot {
  /**
   * The state of the UVEs `owned` says are this instance's, and with it the UVEs to evaluate first:
   * every one with a part not deleted, live or of a withdrawn generator (the latter evaluated as the
   * empty UVE, as a withdrawal is).
   */
  stateOf(owned: (key: string) => boolean): { state: UveState; keys: Set<string> };
}

/** The UVE state as the query API reads it: the newest part of each (UVE, struct, generator). */
export async function loadUves(warehouse: Warehouse): Promise<UveSnapshot> {
  const rows = await warehouse.query<PartRow>(
    `SELECT type, name, struct_type, generator, attributes, aggregation, deleted,
       toString(toUnixTimestamp64Micro(updated)) AS updated_us
     FROM (${newestUveParts('1')})`,
  );
  const withdrawals = await warehouse.query<{ generator: string; withdrawn_us: string }>(
    `SELECT generator, toString(toUnixTimestamp64Micro(withdrawn)) AS withdrawn_us FROM (${latestWithdrawals()})`,
  );
  const withdrawn = new Map(withdrawals.map((w) => [w.generator, Number(w.withdrawn_us)]));
  // Over every UVE, not only the owned ones: the warehouse holds each generator's records up to its
  // newest (they are stored in order), whichever instance evaluates them.
  const newest = new Map<string, number>();
  for (const row of rows) {
    newest.set(row.generator, Math.max(newest.get(row.generator) ?? 0, Number(row.updated_us)));
  }
  const live: StoredPart[] = rows
    .filter((row) => !row.deleted)
    .map((row) => ({ type: row.type, name: row.name, part: uvePartOfRow(row) }));
  return {
    stateOf(owned) {
      const parts = live.filter((p) => owned(uveKey(p.type, p.name)));
      return {
        state: UveState.of(parts, withdrawn, newest),
        keys: new Set(parts.map((p) => uveKey(p.type, p.name))),
      };
    },
  };
}
