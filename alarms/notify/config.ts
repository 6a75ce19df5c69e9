import { z } from 'zod';
import { duration, list, type OptionTable } from '../../common/config.js';
import { webhookReceivers, type WebhookReceiver } from './receivers.js';

/** Where the alarm engine sends its alarms: webhooks and Alertmanagers (README "Alarm delivery"). */
export const notifyOptions = {
  alarmWebhooks: {
    flag: 'alarm-webhooks',
    env: 'FABRICSCOPE_ALARM_WEBHOOKS',
    default: [],
    schema: webhookReceivers,
    redact: (receivers: WebhookReceiver[]) => receivers.map((r) => ({ ...r, secret: '(withheld)' })),
    help: 'Webhook receivers of alarm notifications: a JSON array of {name, url, secret, severities, types, uveTypes, names, concurrency, timeout, ca}, or the path of a file holding it',
  },
  alertmanagerUrls: {
    flag: 'alertmanager-urls',
    env: 'FABRICSCOPE_ALERTMANAGER_URLS',
    default: [] as string[],
    schema: list.pipe(z.array(z.url({ protocol: /^https?$/ }))),
    help: 'Comma-separated Alertmanager base URLs (an HA set: each gets every alert), e.g. http://alertmanager:9093',
  },
  alertmanagerResendInterval: {
    flag: 'alertmanager-resend-interval',
    env: 'FABRICSCOPE_ALERTMANAGER_RESEND_INTERVAL',
    default: '1m',
    schema: duration,
    help: 'How often active alarms are sent to Alertmanager again; each expires 4 intervals after it was last sent unless sent again',
  },
  alarmDeliveryDeadAfter: {
    flag: 'alarm-delivery-dead-after',
    env: 'FABRICSCOPE_ALARM_DELIVERY_DEAD_AFTER',
    default: '24h',
    schema: duration,
    help: 'How long a notification is retried before it is given up (dead, counted and logged)',
  },
  alarmLinkUrl: {
    flag: 'alarm-link-url',
    env: 'FABRICSCOPE_ALARM_LINK_URL',
    default: 'http://localhost:8081/graphql',
    schema: z.url(),
    help: "The GraphQL URL receivers can reach: notifications link to the alarm's query there",
  },
} as const satisfies OptionTable;
