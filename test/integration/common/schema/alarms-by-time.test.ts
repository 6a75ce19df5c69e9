import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ALARMS_BY_TIME } from '../../../../common/schema/alarms.js';
import { migrate } from '../../../../common/schema/migrate.js';
import { migrations } from '../../../../common/schema/migrations.js';
import { ChdbWarehouse } from '../../../../common/warehouse/chdb.js';
import { historyQuery } from '../../../../query/alarms/sql.js';

/**
 * Migration 15 gives `alarms` a projection in time order: a warehouse deployed before it keeps every
 * transition and each alarm's state, its view still fills alarm_state, the migration run again (a
 * crash before it was recorded) ends the same, and history reads of the last hour, the API's own
 * SQL, read through the projection rather than the whole day.
 */
describe('alarms in time order too (migration 15)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-alarms-by-time-'));
  // Today's first 20 hours: one day's partition, so that only the projection tells the hours apart.
  const dayStartMs = Math.floor(Date.now() / 86400e3) * 86400e3;
  const hours = 20;
  const perHour = 20_000;
  let warehouse: ChdbWarehouse;

  /** `perHour` transitions an hour of 200 vRouters' process-status alarms, each `at` a distinct ms. */
  const insertTransitions = (fromHour: number, toHour: number) =>
    warehouse.exec(
      `INSERT INTO alarms (at, version, uve_type, uve_name, alarm_type, severity, state, token, status, kind, from_state)
       SELECT fromUnixTimestamp64Milli(toInt64(${dayStartMs} + number * ${3600e3 / perHour})), ${dayStartMs * 1000} + number * 1000,
         'ObjectVRouter', concat('compute-', toString(number % 200)), 'default-global-system-config:system-defined-process-status',
         1, if(number % 2 = 0, 'Active', 'Idle'), toString(number), '{}', 'state', if(number % 2 = 0, 'Idle', 'Active')
       FROM numbers(${fromHour * perHour}, ${(toHour - fromHour) * perHour})`,
    );
  const query = <T>(sql: string) => warehouse.query<T>(sql);
  /** Every transition, as one checksum per column, and how many. */
  const transitions = () =>
    query(`SELECT count() AS n, toString(sum(cityHash64(at, version, uve_type, uve_name, alarm_type, severity,
      state, token, acknowledged, flapping, status, description, kind, from_state))) AS sum FROM alarms`);
  /** Each alarm's newest state, as alarm_state keeps it. */
  const states = () =>
    query(`SELECT uve_name, toString(argMax(state, version)) AS state, toString(max(version)) AS newest
      FROM alarm_state GROUP BY uve_name ORDER BY uve_name`);
  /** The projections of each active part of `alarms`. */
  const projections = async () =>
    (
      await query<{ projections: string[] }>(
        `SELECT projections FROM system.parts WHERE database = currentDatabase() AND table = 'alarms' AND active`,
      )
    ).map((p) => p.projections.join(','));
  const upTo15 = migrations.filter((m) => m.id <= 15);
  /** Records migration 15 as not applied, so that the next migrate runs it again. */
  const forget15 = () => warehouse.exec('DELETE FROM schema_migrations WHERE id = 15');

  before(async () => {
    warehouse = new ChdbWarehouse(dir);
    await migrate(
      warehouse,
      migrations.filter((m) => m.id < 15),
    );
    await insertTransitions(0, hours);
  });
  after(async () => {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every transition and every state, and the view still fills alarm_state', async () => {
    const [before, beforeStates] = [await transitions(), await states()];
    assert.ok((await projections()).every((p) => p === ''));
    assert.deepEqual(await migrate(warehouse, upTo15), [15]);
    const parts = await projections();
    assert.ok(parts.length > 0 && parts.every((p) => p === ALARMS_BY_TIME), `parts' projections: ${parts}`);
    assert.deepEqual(await transitions(), before);
    assert.deepEqual(await states(), beforeStates);

    // A transition stored now reaches alarm_state through the view created again.
    const version = dayStartMs * 1000 + hours * perHour * 1000;
    await warehouse.exec(
      `INSERT INTO alarms (at, version, uve_type, uve_name, alarm_type, state, kind)
       VALUES (fromUnixTimestamp64Milli(${dayStartMs + hours * 3600e3}), ${version}, 'ObjectVRouter', 'compute-7',
         'default-global-system-config:system-defined-process-status', 'Soak_Idle', 'state')`,
    );
    const seven = (await states()).find((s) => (s as { uve_name: string }).uve_name === 'compute-7');
    assert.deepEqual(seven, { uve_name: 'compute-7', state: 'Soak_Idle', newest: String(version) });
  });

  it('ends the same when run again, as after a crash before it was recorded', async () => {
    const before = await transitions();
    await forget15();
    assert.deepEqual(await migrate(warehouse, upTo15), [15]);
    assert.deepEqual(await transitions(), before);
    assert.ok((await projections()).every((p) => p === ALARMS_BY_TIME));
  });

  it("reads the last hour of the API's history through the projection, not the whole day", async () => {
    const nowUs = (dayStartMs + hours * 3600e3) * 1000;
    const recent = historyQuery({ fromUs: nowUs - 3600e6, toUs: nowUs }, {}, 100);
    await warehouse.exec('OPTIMIZE TABLE alarms FINAL');
    const plan = await warehouse.query<Record<string, string>>(`EXPLAIN ${recent.sql}`, recent.params);
    const read = /ReadFromMergeTree \((\w+)\)[\s\S]*?Granules: (\d+)/.exec(
      plan.map((line) => Object.values(line)[0]).join('\n'),
    );
    assert.equal(read?.[1], ALARMS_BY_TIME);
    // The hour's 20,000 of the day's 400,000 (49 granules of 8192 rows): three granules or four.
    assert.ok(Number(read[2]) <= 4, `granules read: ${read[2]}`);
    const rows = await warehouse.query<{ at_ms: string }>(recent.sql, recent.params);
    assert.equal(rows.length, 100);
    assert.ok(rows.every((r) => Number(r.at_ms) >= nowUs / 1000 - 3600e3));
  });
});
