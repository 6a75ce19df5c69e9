import { builtinDescription } from '../../common/model/alarm-rules/builtin/index.js';
import type { AlarmSeverity, AlarmState, AlarmTransitionKind } from '../generated/graphql.js';
import { microsToRfc3339 } from '../shared/time.js';

/** How the alarms domain reads the alarm tables' rows (common/schema/alarms.ts) and shows them. */

const SEVERITIES: readonly AlarmSeverity[] = ['CRITICAL', 'MAJOR', 'MINOR'];

/** The stored state names (common/schema/alarms.ts) and the API's. */
export const STATES = {
  Idle: 'IDLE',
  Soak_Active: 'SOAK_ACTIVE',
  Active: 'ACTIVE',
  Soak_Idle: 'SOAK_IDLE',
} as const satisfies Record<string, AlarmState>;
export type StoredState = keyof typeof STATES;
export const storedState = (state: AlarmState): StoredState =>
  (Object.keys(STATES) as StoredState[]).find((stored) => STATES[stored] === state)!;
/** The states of an alarm shown (raised). */
export const SHOWN: readonly StoredState[] = ['Active', 'Soak_Idle'];

export const severityOf = (severity: number): AlarmSeverity => SEVERITIES[severity] ?? 'CRITICAL';
export const severityNumber = (severity: AlarmSeverity): number => SEVERITIES.indexOf(severity);
export const msToRfc3339 = (ms: number): string => microsToRfc3339(ms * 1000);

/** An alarm's newest row, as the alarm queries (sql.ts) select it. */
export interface AlarmRow {
  uve_type: string;
  uve_name: string;
  alarm_type: string;
  severity: number;
  state: StoredState;
  token: string;
  acknowledged: boolean;
  flapping: boolean;
  status: string;
  description: string;
  at_ms: string;
}

/** An alarm as the API shows it (type Alarm). */
export function toAlarm(row: AlarmRow) {
  // The engine's status (alarms/lifecycle.ts AlarmStatus): what the rule matched, and since when.
  const status = JSON.parse(row.status) as { rules: unknown; since: number };
  return {
    uveType: row.uve_type,
    name: row.uve_name,
    type: row.alarm_type,
    severity: severityOf(Number(row.severity)),
    description: row.description || builtinDescription(row.alarm_type) || null,
    state: STATES[row.state],
    acknowledged: Boolean(row.acknowledged),
    flapping: Boolean(row.flapping),
    token: row.token,
    since: status.since > 0 ? msToRfc3339(status.since) : null,
    updatedAt: msToRfc3339(Number(row.at_ms)),
    alarmRules: status.rules,
  };
}

export type Alarm = ReturnType<typeof toAlarm>;

/** A transition as historyQuery (sql.ts) reads it. */
export interface TransitionRow {
  version: string;
  at_ms: string;
  uve_type: string;
  uve_name: string;
  alarm_type: string;
  severity: number;
  kind: Lowercase<AlarmTransitionKind>;
  from_state: StoredState;
  state: StoredState;
  token: string;
  acknowledged: boolean;
  flapping: boolean;
}

/** A transition as the API shows it (AlarmTransition). */
export const toTransition = (row: TransitionRow) => ({
  time: msToRfc3339(Number(row.at_ms)),
  uveType: row.uve_type,
  name: row.uve_name,
  type: row.alarm_type,
  severity: severityOf(Number(row.severity)),
  kind: row.kind.toUpperCase() as AlarmTransitionKind,
  from: STATES[row.from_state],
  to: STATES[row.state],
  token: row.token,
  acknowledged: Boolean(row.acknowledged),
  flapping: Boolean(row.flapping),
});
export type AlarmTransitionNode = ReturnType<typeof toTransition>;
