/**
 * Alarm history benchmark, run by hand (`npm run build && node dist/bench/alarm-history.js
 * [transitions] [runs]`, defaults 5M and 21): writes `transitions` over the first 20 hours of today
 * (one day's partition; 1,000 vRouters × 20 rules) into a copy of `alarms` as migrated and one
 * without the time-ordered projection of migration 15, neither feeding alarm_state, and times,
 * in turns over the same rows, the reads the API makes (query/alarms/sql.ts historyQuery): the
 * alarms stream's (the last 2 minutes, every second while one is open), alarmHistory's first page of
 * the last hour, and one vRouter's history as alarmHistory reaches by default (30 days); then the
 * alarm store's insert (15 rows, as the engine writes a step) into each. Prints p50/p95 ms, the ratio
 * of the two, and each table's size on disk. The latest figures are in bench/README.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALARMS_BY_TIME } from '../common/schema/alarms.js';
import { migrate } from '../common/schema/migrate.js';
import { ChdbWarehouse } from '../common/warehouse/chdb.js';
import { historyQuery } from '../query/alarms/sql.js';
import { machine, p50p95, percentile, turns } from './timing.js';

const transitions = Number(process.argv[2] ?? 5_000_000);
const runs = Number(process.argv[3] ?? 21);
const dayStartMs = Math.floor(Date.now() / 86400e3) * 86400e3;
const endMs = dayStartMs + 20 * 3600e3;

/** `count` transitions from the `offset`th, spread evenly over the 20 hours. */
const transitionRows = (offset: number, count: number): string =>
  `SELECT fromUnixTimestamp64Milli(toInt64(${dayStartMs} + number * ${(20 * 3600e3) / transitions})),
     ${dayStartMs * 1000} + number * 1000, 'ObjectVRouter', concat('compute-', toString(number % 1000)),
     concat('default-global-system-config:system-defined-rule-', toString(intDiv(number, 1000) % 20)), 1,
     if(number % 2 = 0, 'Active', 'Idle'), toString(number), '{"matches": [{"operand1": "NodeStatus.process_info"}]}',
     'state', if(number % 2 = 0, 'Idle', 'Active')
   FROM numbers(${offset}, ${count})`;
const tables = ['alarms_projected', 'alarms_unprojected'];
const columns =
  'at, version, uve_type, uve_name, alarm_type, severity, state, token, status, kind, from_state';

const dir = mkdtempSync(join(tmpdir(), 'fs-bench-alarm-history-'));
const warehouse = new ChdbWarehouse(dir);
try {
  console.log(machine());
  await migrate(warehouse);
  // Two copies of `alarms`, neither feeding alarm_state: the one as migrated, and the one as before.
  for (const table of tables) await warehouse.exec(`CREATE TABLE ${table} AS alarms`);
  await warehouse.exec(`ALTER TABLE alarms_unprojected DROP PROJECTION ${ALARMS_BY_TIME}`);
  for (const table of tables) {
    await warehouse.exec(`INSERT INTO ${table} (${columns}) ${transitionRows(0, transitions)}`);
    await warehouse.exec(`OPTIMIZE TABLE ${table} FINAL`);
  }
  console.log(
    `${transitions.toLocaleString('en-US')} transitions over 20 h; ${runs} runs each after one warm-up, ms`,
  );
  console.log(
    `${'read'.padEnd(36)} ${'with projection'.padStart(17)} ${'without'.padStart(17)}  with/without`,
  );

  const nowUs = endMs * 1000;
  const reads = [
    ['alarms stream: last 2 minutes', historyQuery({ fromUs: nowUs - 120e6, toUs: nowUs }, {}, 1000)],
    ['alarmHistory: last hour, first 100', historyQuery({ fromUs: nowUs - 3600e6, toUs: nowUs }, {}, 100)],
    [
      'alarmHistory of one vRouter, 30 days',
      historyQuery(
        { fromUs: nowUs - 30 * 86400e6, toUs: nowUs },
        { uveType: 'ObjectVRouter', uveName: 'compute-7' },
        1000,
      ),
    ],
  ] as const;
  const on = (sql: string, table: string): string => sql.replaceAll(/\balarms\b/g, table);
  for (const [label, query] of reads) {
    const [projected, unprojected] = await turns(
      runs,
      tables.map((table) => () => warehouse.query(on(query.sql, table), query.params)),
    );
    print(label, projected!, unprojected!);
  }

  let offset = transitions;
  const step = (table: string) => () =>
    warehouse.exec(`INSERT INTO ${table} (${columns}) ${transitionRows((offset += 15), 15)}`);
  const [projected, unprojected] = await turns(runs * 5, tables.map(step));
  print('store: a step of 15 transitions', projected!, unprojected!);
  const sizes = await warehouse.query<{ table: string; size: string }>(
    `SELECT table, formatReadableSize(sum(bytes_on_disk)) AS size FROM system.parts
     WHERE active AND database = currentDatabase() AND table IN ('${tables.join("', '")}') GROUP BY table ORDER BY table`,
  );
  console.log(`on disk: ${sizes.map((s) => `${s.table} ${s.size}`).join(', ')}`);
} finally {
  await warehouse.close();
  rmSync(dir, { recursive: true, force: true });
}

function print(label: string, projected: number[], unprojected: number[]): void {
  const ratio = percentile(projected, 0.5) / percentile(unprojected, 0.5);
  console.log(
    `${label.padEnd(36)} ${p50p95(projected)} ${p50p95(unprojected)}  ${ratio.toFixed(2).padStart(10)}`,
  );
}
