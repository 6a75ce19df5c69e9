import { counter, gauge, histogram } from '../common/metrics.js';

/** TF's alarm_severity as the `severity` label reads it. */
export const severityName = (severity: number): string =>
  ['critical', 'major', 'minor'][severity] ?? String(severity);

export const alarmMetrics = {
  active: gauge(
    'fabricscope_alarms_active',
    'Alarms raised (Active or Soak_Idle) by severity and type (the rule fq name)',
    ['severity', 'type'],
  ),
  evaluations: counter('fabricscope_alarms_evaluations_total', 'Evaluations of one rule over one UVE'),
  ruleErrors: counter(
    'fabricscope_alarms_rule_errors_total',
    'Evaluations that failed: the alarm keeps its status',
    ['type'],
  ),
  evaluationSeconds: histogram(
    'fabricscope_alarms_evaluation_duration_seconds',
    'Time to evaluate every rule over one UVE that changed',
    [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
  ),
  storeSeconds: histogram(
    'fabricscope_alarms_store_duration_seconds',
    "Time to store one group of steps' transitions: the notifications' outbox, then the alarms table",
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  ),
  latencySeconds: histogram(
    'fabricscope_alarms_latency_seconds',
    "From the collector's receipt of a UVE change to the transitions it caused stored, per alarm changed (on the collector's and the engine's clocks; a soak timer's transitions are not counted)",
    [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5],
  ),
  transitions: counter('fabricscope_alarms_transitions_total', 'Alarm transitions stored, by kind', ['kind']),
  commands: counter(
    'fabricscope_alarms_commands_total',
    'Commands from the alarms topic (acknowledge, rule changes, receiver-<operation>): applied, refused (changed since the API checked it) or unchanged',
    ['command', 'outcome'],
  ),
  thresholdGroupsCut: counter(
    'fabricscope_alarms_threshold_groups_cut_total',
    'Threshold evaluations that read as many groups as they may: groups beyond were not evaluated (logged)',
    ['type'],
  ),
  skipped: counter(
    'fabricscope_alarms_skipped_messages_total',
    'Bus messages the engine could not read (logged), skipped so that the topic moves on',
    ['topic'],
  ),
};
