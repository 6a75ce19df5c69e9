import { newestUveParts, uvePartOfRow, type UvePartRow } from '../common/schema/live-uves.js';
import { latestWithdrawals } from '../common/schema/views.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { uveKey, UveState } from './uve-state.js';

interface PartRow extends UvePartRow {
  type: string;
  name: string;
  deleted: boolean | number;
}

/**
 * The UVE state the engine starts from: what the warehouse holds, as the query API reads it. With it
 * the UVEs to evaluate first: every UVE with a part not deleted, live or of a withdrawn generator
 * (the latter evaluated as the empty UVE, as a withdrawal is).
 */
export async function loadUveState(warehouse: Warehouse): Promise<{ state: UveState; keys: Set<string> }> {
  const rows = await warehouse.query<PartRow>(
    `SELECT type, name, struct_type, generator, attributes, aggregation, deleted,
       toString(toUnixTimestamp64Micro(updated)) AS updated_us
     FROM (${newestUveParts('1')})`,
  );
  const withdrawals = await warehouse.query<{ generator: string; withdrawn_us: string }>(
    `SELECT generator, toString(toUnixTimestamp64Micro(withdrawn)) AS withdrawn_us FROM (${latestWithdrawals()})`,
  );
  const newest = new Map<string, number>();
  for (const row of rows) {
    newest.set(row.generator, Math.max(newest.get(row.generator) ?? 0, Number(row.updated_us)));
  }
  const live = rows.filter((row) => !row.deleted);
  const state = UveState.of(
    live.map((row) => ({ type: row.type, name: row.name, part: uvePartOfRow(row) })),
    new Map(withdrawals.map((w) => [w.generator, Number(w.withdrawn_us)])),
    newest,
  );
  return { state, keys: new Set(live.map((row) => uveKey(row.type, row.name))) };
}
