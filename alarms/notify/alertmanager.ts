import type { AlarmEvent } from './events.js';

/**
 * Alertmanager's API v2 alert (POST /api/v2/alerts takes an array of them). Alertmanager identifies
 * an alert by its labels, so every notification of one alarm has the same labels: the alarm's type
 * (its rule), severity and UVE. An active alert carries an endsAt `ttlMs` ahead, as Prometheus does
 * (4 resend intervals): resent every interval it stays firing, and it resolves by itself if
 * fabricscope stops sending (rather than Alertmanager's resolve_timeout, which applies only to alerts
 * without endsAt). A cleared alarm is sent with endsAt = the clear: resolved at once.
 */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

export function alertOf(event: AlarmEvent, now: number, ttlMs: number): AlertmanagerAlert {
  const { alarm } = event;
  const cleared = event.event === 'cleared';
  return {
    labels: {
      alertname: alarm.name,
      severity: alarm.severity,
      uve_type: alarm.uveType,
      uve_name: alarm.uveName,
      alarm_type: alarm.type,
    },
    annotations: {
      summary: `${alarm.name} on ${alarm.uveType} ${alarm.uveName}`,
      description: alarm.description,
      ...(alarm.matches ? { matches: JSON.stringify(alarm.matches) } : {}),
      acknowledged: String(alarm.acknowledged),
      flapping: String(alarm.flapping),
    },
    // A cleared alarm no longer knows its raise; Alertmanager keeps the start it has for the labels.
    startsAt: cleared ? event.at : (alarm.since ?? event.at),
    endsAt: cleared ? event.at : new Date(now + ttlMs).toISOString(),
    generatorURL: event.link,
  };
}
