/**
 * Alarm rules in Tungsten Fabric's format (the vnc `alarm` object: `alarm_rules.or_list[].and_list[]`
 * of conditions) and what an evaluation reports, with TF's field names (sandesh `AlarmRules`,
 * `AlarmAndList`, `AlarmConditionMatch`, `AlarmMatch`) so that a TF user reads them unchanged.
 */

export const OPERATIONS = [
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'in',
  'not in',
  'range',
  'size==',
  'size!=',
] as const;
export type Operation = (typeof OPERATIONS)[number];

/** TF's alarm_severity: 0 critical, 1 major, 2 minor. */
export type Severity = 0 | 1 | 2;

/** One condition as the rule writes it and as a match echoes it (TF `AlarmCondition`). */
export interface AlarmCondition {
  operation: Operation;
  operand1: string;
  /** Exactly one of the two. */
  operand2: { uve_attribute?: string; json_value?: string };
  variables: string[];
}

/** A condition ready to evaluate: its paths split once, its JSON operand parsed once. */
export interface CompiledCondition {
  condition: AlarmCondition;
  operand1: string[];
  operand2: { path: string[] } | { value: unknown };
  variables: { name: string; path: string[] }[];
}

/** Where a rule applies: every UVE of a type (`vrouter`), or one UVE (`vrouter:compute-1`). */
export interface UveKeyScope {
  type: string;
  name?: string;
}

/**
 * The soak timers and the flap check of a rule, in seconds, with the names of TF's `UVEAlarmConfig`
 * (ActiveTimer, IdleTimer, FreqCheck_Times, FreqCheck_Seconds); 0 means none.
 */
export interface AlarmTimers {
  activeTimer: number;
  idleTimer: number;
  /** More than `times` raises within `seconds` is a flapping alarm. */
  freqCheck?: { times: number; seconds: number };
}

export interface AlarmRule {
  /** The last element of the fq name, e.g. `system-defined-bgp-connectivity`. */
  name: string;
  /** The fq name joined by ':', which TF reports as the alarm's `type`. */
  fqName: string;
  /** For a rule defined under a project (parent_type `project`): the project's fq name. */
  project?: string;
  description: string;
  enabled: boolean;
  severity: Severity;
  uveKeys: UveKeyScope[];
  /** Any and_list whose conditions all hold raises the alarm. */
  orList: CompiledCondition[][];
  timers: AlarmTimers;
}

/** One pair of values that satisfied a condition, with the rule's variables beside them (TF `AlarmMatch`). */
export interface AlarmMatch {
  json_operand1_value: string;
  /** null when operand2 is a json_value. */
  json_operand2_value: string | null;
  json_variables: Record<string, string>;
}

export interface AlarmConditionMatch {
  condition: AlarmCondition;
  match: AlarmMatch[];
}

export interface AlarmAndList {
  and_list: AlarmConditionMatch[];
}

/** What a raised alarm reports: each and_list that held, with its matches (TF `AlarmRules`). */
export interface AlarmRules {
  or_list: AlarmAndList[];
}

/** The aggregated UVE a rule is evaluated over: struct name → attributes. */
export type Uve = Readonly<Record<string, unknown>>;
