import { latestAlarms } from '../../common/schema/alarms.js';
import { afterPosition } from '../../common/sql/keyset.js';
import { Params, type BuiltQuery } from '../../common/sql/params.js';
import type { TimeRange } from '../../common/sql/time-range.js';
import { globToLike } from '../uves/sql.js';

/** What `alarms` narrows to; each list matches when any of its values does. */
export interface AlarmSelection {
  severities?: readonly number[];
  /** Rule fq names (TF's alarm types) or their last component. */
  types?: readonly string[];
  uveTypes?: readonly string[];
  /** A glob over the UVE name. */
  name?: string;
  /** Stored state names (Idle, Soak_Active, Active, Soak_Idle). */
  states: readonly string[];
  acknowledged?: boolean;
}

/** Where an alarm listing stopped: the alarm's key. */
export type AlarmPosition = [uveType: string, uveName: string, alarmType: string];

/** The columns an alarm is read with, newest row of each (common/schema/alarms.ts). */
const ALARM_COLUMNS = `uve_type, uve_name, alarm_type, severity, state, token, acknowledged, flapping, status,
  toUnixTimestamp64Milli(at) AS at_ms`;

const alarmKey = [
  ['uve_type', 'String'],
  ['uve_name', 'String'],
  ['alarm_type', 'String'],
] as const;

/** `limit` alarms by (UVE type, UVE name, alarm type) after `after`. */
export function alarmsQuery(selection: AlarmSelection, limit: number, after?: AlarmPosition): BuiltQuery {
  const params = new Params();
  // Key columns narrow the rows read; the others are tested on each alarm's newest row.
  const keys = ['1'];
  if (selection.uveTypes) keys.push(`uve_type IN ${params.add('Array(String)', selection.uveTypes)}`);
  if (selection.name !== undefined)
    keys.push(`uve_name LIKE ${params.add('String', globToLike(selection.name))}`);
  if (selection.types) {
    const types = params.add('Array(String)', selection.types);
    keys.push(`(alarm_type IN ${types} OR splitByChar(':', alarm_type)[-1] IN ${types})`);
  }
  if (after) keys.push(afterPosition(alarmKey, after, 'ascending', params));
  const latest = [`state IN ${params.add('Array(String)', selection.states)}`];
  if (selection.severities) latest.push(`severity IN ${params.add('Array(UInt8)', selection.severities)}`);
  if (selection.acknowledged !== undefined)
    latest.push(`acknowledged = ${params.add('UInt8', Number(selection.acknowledged))}`);
  return {
    sql: `SELECT ${ALARM_COLUMNS} FROM (${latestAlarms(keys.join(' AND '))})
      WHERE ${latest.join(' AND ')}
      ORDER BY uve_type, uve_name, alarm_type LIMIT ${params.add('UInt32', limit)}`,
    params: params.values,
  };
}

/** The alarms of one UVE in the given states, by alarm type. */
export function uveAlarmsQuery(uveType: string, uveName: string, states: readonly string[]): BuiltQuery {
  const params = new Params();
  const where = `uve_type = ${params.add('String', uveType)} AND uve_name = ${params.add('String', uveName)}`;
  return {
    sql: `SELECT ${ALARM_COLUMNS} FROM (${latestAlarms(where)})
      WHERE state IN ${params.add('Array(String)', states)} ORDER BY alarm_type`,
    params: params.values,
  };
}

export interface HistorySelection {
  uveType?: string;
  uveName?: string;
  type?: string;
}

/** Where a history page stopped: its last row's version and alarm. */
export type TransitionPosition = [version: string, uveType: string, uveName: string, alarmType: string];

// Qualified: the SELECT aliases version and alarm_type as strings, and an alias shadows its column.
const transitionKey = [
  ['alarms.version', 'UInt64'],
  ['alarms.uve_type', 'String'],
  ['alarms.uve_name', 'String'],
  ['alarms.alarm_type', 'String'],
] as const;

/** `limit` transitions of [from, to), newest first, after `after`. */
export function historyQuery(
  range: TimeRange,
  selection: HistorySelection,
  limit: number,
  after?: TransitionPosition,
): BuiltQuery {
  const params = new Params();
  const at = (us: number) => `fromUnixTimestamp64Micro(${params.add('Int64', us)}, 'UTC')`;
  const conditions = [`at >= ${at(range.fromUs)}`, `at < ${at(range.toUs)}`];
  if (selection.uveType) conditions.push(`uve_type = ${params.add('String', selection.uveType)}`);
  if (selection.uveName) conditions.push(`uve_name = ${params.add('String', selection.uveName)}`);
  if (selection.type) {
    const type = params.add('String', selection.type);
    conditions.push(`(alarm_type = ${type} OR splitByChar(':', alarm_type)[-1] = ${type})`);
  }
  if (after) conditions.push(afterPosition(transitionKey, after, 'descending', params));
  return {
    sql: `SELECT toString(version) AS version, toUnixTimestamp64Milli(at) AS at_ms, uve_type, uve_name,
        toString(alarm_type) AS alarm_type, severity, toString(kind) AS kind,
        toString(from_state) AS from_state, toString(state) AS state, token, acknowledged, flapping
      FROM alarms WHERE ${conditions.join(' AND ')}
      ORDER BY ${transitionKey.map(([column]) => `${column} DESC`).join(', ')}
      LIMIT ${params.add('UInt32', limit)}`,
    params: params.values,
  };
}
