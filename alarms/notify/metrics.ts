import { counter, gauge, histogram } from '../../common/metrics.js';
import { receiverErrors } from '../../common/notify/metrics.js';

/** Per receiver (a webhook's name, or `alertmanager:<url>`). */
export const notifyMetrics = {
  delivered: counter(
    'fabricscope_alarm_notifications_delivered_total',
    'Alarm notifications a receiver accepted',
    ['receiver'],
  ),
  failed: counter(
    'fabricscope_alarm_notification_failed_attempts_total',
    'Attempts a receiver refused or did not answer in time (each is retried until the delivery is dead)',
    ['receiver'],
  ),
  dead: counter(
    'fabricscope_alarm_notifications_dead_total',
    'Alarm notifications given up (logged), by reason: expired (failing past --alarm-delivery-dead-after) or disabled (the receiver disabled or deleted)',
    ['receiver', 'reason'],
  ),
  retrying: gauge(
    'fabricscope_alarm_notifications_retrying',
    'Alarm notifications waiting for a retry after a failed attempt',
    ['receiver'],
  ),
  queued: gauge(
    'fabricscope_alarm_notifications_queued',
    'Alarm notifications pending for a receiver (in flight, waiting for a slot or for a retry)',
    ['receiver'],
  ),
  attemptSeconds: histogram(
    'fabricscope_alarm_notification_attempt_duration_seconds',
    'Time of one attempt, answered or not',
    [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
    ['receiver'],
  ),
  delaySeconds: histogram(
    'fabricscope_alarm_notification_delay_seconds',
    'From the alarm transition to its delivery accepted, retries included',
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600],
    ['receiver'],
  ),
  resent: counter(
    'fabricscope_alertmanager_resends_total',
    'Active alarms sent again to an Alertmanager, by outcome (a failure is logged; the next interval sends again)',
    ['receiver', 'outcome'],
  ),
  receiverErrors,
  unrouted: counter(
    'fabricscope_alarm_notifications_unrouted_total',
    'Pending notifications found for a receiver not known (left pending, logged)',
    ['receiver'],
  ),
};
