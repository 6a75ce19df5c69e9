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
  description, toUnixTimestamp64Milli(at) AS at_ms`;

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
  return linkedAlarmsQuery({ types: [uveType], names: [uveName], vmiUuids: [] }, states);
}

/**
 * The UVEs whose alarms are read at once: every (type, name) of `types` × `names`, of which the
 * caller keeps the pairs it asked for, and the VMIs whose UVE name (TF's project:uuid) ends in one
 * of `vmiUuids`.
 */
export interface LinkedUves {
  types: readonly string[];
  names: readonly string[];
  vmiUuids: readonly string[];
}

/** TF's UVE type of a virtual machine interface. */
export const VMI_UVE_TYPE = 'virtual-machine-interface';

/** The alarms of some UVEs in the given states, by UVE and alarm type. */
export function linkedAlarmsQuery(uves: LinkedUves, states: readonly string[]): BuiltQuery {
  const params = new Params();
  const any: string[] = [];
  if (uves.types.length > 0 && uves.names.length > 0)
    any.push(`uve_type IN ${params.add('Array(String)', uves.types)}
      AND uve_name IN ${params.add('Array(String)', uves.names)}`);
  if (uves.vmiUuids.length > 0)
    any.push(`uve_type = ${params.add('String', VMI_UVE_TYPE)}
      AND splitByChar(':', uve_name)[-1] IN ${params.add('Array(String)', uves.vmiUuids)}`);
  const keys = any.length === 0 ? '0' : any.map((condition) => `(${condition})`).join(' OR ');
  return {
    sql: `SELECT ${ALARM_COLUMNS} FROM (${latestAlarms(keys)})
      WHERE state IN ${params.add('Array(String)', states)} ORDER BY uve_type, uve_name, alarm_type`,
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

/**
 * `limit` transitions of [from, to), newest first, after `after`. It reads only the columns of the
 * projection in time order (common/schema/alarms.ts, migration 15), which then serves a recent range.
 */
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
