import { createHash } from 'node:crypto';
import type { AlarmRules } from '../../common/model/alarm-rules/types.js';
import type { AlarmState, AlarmStatus, Transition } from '../lifecycle.js';
import { severityName } from '../metrics.js';

/** What a receiver is told: an alarm raised, its content changed, acknowledged, or cleared. */
export type NotificationKind = 'raised' | 'changed' | 'acknowledged' | 'cleared';

const raised = (state: AlarmState): boolean => state === 'Active' || state === 'Soak_Idle';

/**
 * The transitions receivers hear of. Soaks are the engine's own business: an alarm is raised when it
 * becomes Active (shown), cleared when it stops being shown; content and acknowledgement only of a
 * shown alarm. Flapping marks are in the status each notification carries.
 */
export function notificationOf(transition: Transition): NotificationKind | undefined {
  const { kind, from, to } = transition;
  if (kind === 'state') {
    if (!raised(from) && raised(to)) return 'raised';
    if (raised(from) && !raised(to)) return 'cleared';
    return undefined;
  }
  if (kind === 'updated' && raised(to)) return 'changed';
  if (kind === 'acknowledged' && raised(to)) return 'acknowledged';
  return undefined;
}

/** One alarm as the engine holds it, with what describes it. */
export interface AlarmFacts {
  uveType: string;
  uveName: string;
  /** The rule's fq name. */
  alarmType: string;
  severity: number;
  /** The rule's description as the row carries it ('' in rows written before rows carried it). */
  description: string;
  status: AlarmStatus;
}

/** A notification's body (the webhook's JSON; Alertmanager's alert is made from it). */
export interface AlarmEvent {
  /** The delivery's idempotency key, also in the Idempotency-Key header. */
  id: string;
  event: NotificationKind;
  /** When the transition happened (ISO 8601). */
  at: string;
  alarm: {
    type: string;
    name: string;
    severity: string;
    description: string;
    state: AlarmState;
    uveType: string;
    uveName: string;
    acknowledged: boolean;
    flapping: boolean;
    token: string;
    /** When its content last changed: TF's alarm timestamp; null once cleared. */
    since: string | null;
    /** The rule's matches with their values (TF's alarm_rules); null once cleared. */
    matches: AlarmRules | null;
  };
  /** The GraphQL query that shows the alarm now. */
  link: string;
}

/**
 * A delivery's id: the same for the same transition to the same receiver, so a step stored twice
 * (retried) writes one delivery, and every attempt carries one key.
 */
export function deliveryId(receiver: string, facts: AlarmFacts, transition: Transition): string {
  const { uveType, uveName, alarmType } = facts;
  const { at, kind, from, to, token } = transition;
  return createHash('sha256')
    .update(JSON.stringify([receiver, uveType, uveName, alarmType, at, kind, from, to, token]))
    .digest('hex')
    .slice(0, 32);
}

/** The GraphQL GET that shows an alarm's UVE's alarms. */
function alarmLink(graphqlUrl: string, uveType: string, uveName: string): string {
  const query = `{ alarm(uveType: ${JSON.stringify(uveType)}, name: ${JSON.stringify(uveName)}) { type severity state acknowledged token alarmRules } }`;
  return `${graphqlUrl}?query=${encodeURIComponent(query)}`;
}

export function alarmEvent(
  id: string,
  kind: NotificationKind,
  at: number,
  facts: AlarmFacts,
  context: { description: string; graphqlUrl: string },
): AlarmEvent {
  const { status } = facts;
  const shown = kind !== 'cleared';
  return {
    id,
    event: kind,
    at: new Date(at).toISOString(),
    alarm: {
      type: facts.alarmType,
      name: shortName(facts.alarmType),
      severity: severityName(facts.severity),
      description: context.description,
      state: status.state,
      uveType: facts.uveType,
      uveName: facts.uveName,
      acknowledged: status.acknowledged,
      flapping: status.flapping,
      token: status.token,
      since: shown && status.since > 0 ? new Date(status.since).toISOString() : null,
      matches: shown ? status.rules : null,
    },
    link: alarmLink(context.graphqlUrl, facts.uveType, facts.uveName),
  };
}

/** `default-global-system-config:system-defined-bgp-connectivity` → `system-defined-bgp-connectivity`. */
const shortName = (alarmType: string): string => alarmType.split(':').at(-1) ?? alarmType;
