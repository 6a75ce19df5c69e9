import { createLatestView, type LatestView } from './views.js';

/**
 * The alarm tables (migration 6). `alarms` holds every transition of every alarm (one rule over one
 * UVE) as the engine stored it, kept 30 days; `alarm_state` the newest row of each alarm, fed by a
 * view and never expired, so an alarm raised longer ago than the history reaches is still known
 * after a restart. Each row carries the alarm's whole status after the step that made it (the
 * engine's JSON, matches included): what a restart restores and the API shows.
 */

/** The lifecycle states (alarms/lifecycle.ts AlarmState), as stored. */
export const alarmStates = ['Idle', 'Soak_Active', 'Active', 'Soak_Idle'] as const;
/** The transition kinds (alarms/lifecycle.ts TransitionKind), as stored. */
export const transitionKinds = ['state', 'updated', 'acknowledged', 'flapping', 'steady'] as const;

const enumOf = (values: readonly string[]): string =>
  `Enum8(${values.map((v, i) => `'${v}' = ${i}`).join(', ')})`;

/** The columns `alarms` and `alarm_state` share, in order. */
const columns = `
      at DateTime64(3, 'UTC'),
      version UInt64,
      uve_type LowCardinality(String),
      uve_name String,
      alarm_type LowCardinality(String),
      severity UInt8,
      state ${enumOf(alarmStates)},
      token String,
      acknowledged Bool,
      flapping Bool,
      status String CODEC(ZSTD(3))`;

/**
 * `at`: when the transition happened (engine clock, ms). `version`: orders an alarm's rows, strictly
 * increasing (µs), also between rows of one step. `alarm_type`: the rule's fq name, TF's alarm type.
 * `state`: the state after the transition; `from_state` the one before.
 */
export const alarmTableStatements: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS alarms (${columns},
      kind ${enumOf(transitionKinds)},
      from_state ${enumOf(alarmStates)}
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMMDD(at)
    ORDER BY (uve_type, uve_name, alarm_type, version)
    TTL toDateTime(at) + INTERVAL 30 DAY
    SETTINGS ttl_only_drop_parts = 1`,
  `CREATE TABLE IF NOT EXISTS alarm_state (${columns}
    ) ENGINE = ReplacingMergeTree(version)
    ORDER BY (uve_type, uve_name, alarm_type)`,
];

/** The latest row of each alarm, as migration 6 created its view. */
export const alarmStateViewOf6: LatestView = {
  target: 'alarm_state',
  key: ['uve_type', 'uve_name', 'alarm_type'],
  source: 'alarms',
  select: `SELECT at, version, uve_type, uve_name, alarm_type, severity, state, token, acknowledged,
      flapping, status FROM alarms`,
};

/** The latest row of each alarm: a repair writes recent rows again (idempotent, see alarms/store.ts). */
export const alarmStateView: LatestView = {
  ...alarmStateViewOf6,
  select: `SELECT at, version, uve_type, uve_name, alarm_type, severity, state, token, acknowledged,
      flapping, status, description FROM alarms`,
};

/**
 * Migration 13: each row carries its rule's description as it stood when the row was written (as
 * TF's UVEAlarmInfo does), so an alarm of a custom or threshold rule is described wherever it is read
 * (the API, a notification), its rule gone or not. Rows written before hold ''. The view is replaced
 * at start, before the engine writes.
 */
export const alarmDescriptionStatements: readonly string[] = [
  ...['alarms', 'alarm_state'].map(
    (table) => `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS description String DEFAULT '' AFTER status`,
  ),
  `DROP VIEW IF EXISTS ${alarmStateView.target}_mv`,
  createLatestView(alarmStateView),
];

/**
 * The newest row of each alarm in `alarm_state`, by version (ReplacingMergeTree merges in its own
 * time). `where` may name the key columns only (uve_type, uve_name, alarm_type): a condition on any
 * other column must be applied outside, to the newest rows, or it would pick an older one.
 */
export const latestAlarms = (where = '1'): string => `
  SELECT uve_type, uve_name, toString(alarm_type) AS alarm_type, max(version) AS newest,
    argMax(at, version) AS at, argMax(severity, version) AS severity,
    toString(argMax(state, version)) AS state, argMax(token, version) AS token,
    argMax(acknowledged, version) AS acknowledged, argMax(flapping, version) AS flapping,
    argMax(status, version) AS status, argMax(description, version) AS description
  FROM alarm_state
  WHERE ${where}
  GROUP BY uve_type, uve_name, alarm_type`;

/** The projection of `alarms` in time order (migration 15), and the columns it keeps. */
export const ALARMS_BY_TIME = 'by_time';
const byTimeColumns =
  'at, version, uve_type, uve_name, alarm_type, severity, kind, from_state, state, token, acknowledged, flapping';

/**
 * Migration 15: `alarms` keeps a copy of its transitions in time order, with every column but the
 * statuses and descriptions (a projection, kept by the engine with each part). Sorted by alarm
 * alone, a read of the last minutes (alarmHistory; the alarms stream, every second while one is open)
 * read the day's every transition: over 5M in a day, the last 2 minutes took 99 ms, and 10.5 through
 * the projection (bench/alarm-history.ts); one alarm's history, read in the table's own order, is
 * unchanged. Sorting the table by hour first instead made that one 1.75× slower over a day, and a
 * month's would read a range per hour. The price: each insert writes the projection's part too (the
 * store's step of 15 transitions p50 ~1.4 ms more) and the disk the statuses leave (72 → 138 MiB
 * there, with short statuses). query/alarms/sql.ts's historyQuery reads only these columns, or the
 * projection would not serve it (tested).
 */
export const alarmsByTimeStatements: readonly string[] = [
  `ALTER TABLE alarms ADD PROJECTION IF NOT EXISTS ${ALARMS_BY_TIME} (SELECT ${byTimeColumns} ORDER BY at)`,
  // The parts written before: a mutation, waited for (a restart after a crash here runs it again).
  `ALTER TABLE alarms MATERIALIZE PROJECTION ${ALARMS_BY_TIME} SETTINGS mutations_sync = 2`,
];
