import { post } from '../../common/notify/post.js';
import type { WebhookReceiver } from '../../common/notify/receivers.js';
import { receiverCa, sendSigned } from '../../common/notify/send.js';
import { alertOf } from './alertmanager.js';
import type { Channel } from './dispatcher.js';
import type { AlarmEvent } from './events.js';

/**
 * A webhook: the stored body, signed at each attempt (the timestamp is the attempt's). Its CA file is
 * read here: one that cannot be read throws CONFIG, naming the receiver and the file.
 */
export function webhookChannel(receiver: WebhookReceiver): Channel {
  const ca = receiverCa(receiver);
  return {
    name: receiver.name,
    concurrency: receiver.concurrency,
    send: async (delivery, signal) => {
      await sendSigned(receiver, delivery.body, delivery.id, { signal, ...(ca ? { ca } : {}) });
    },
  };
}

/** The outbox's name of an Alertmanager: its host, never its credentials. */
export const alertmanagerName = (url: string): string => `alertmanager:${new URL(url).host}`;

const ALERTMANAGER_TIMEOUT_MS = 10_000;

/**
 * An Alertmanager: one slot, so its alerts arrive in the order of their transitions (a clear never
 * overtakes its raise) and resends queue behind them. A body is one event or an array (a resend).
 */
export function alertmanagerChannel(url: string, ttlMs: number): Channel {
  const endpoint = new URL('api/v2/alerts', url.endsWith('/') ? url : `${url}/`).href;
  return {
    name: alertmanagerName(url),
    concurrency: 1,
    send: async (delivery, signal) => {
      const parsed = JSON.parse(delivery.body) as AlarmEvent | AlarmEvent[];
      const now = Date.now();
      const alerts = (Array.isArray(parsed) ? parsed : [parsed]).map((e) => alertOf(e, now, ttlMs));
      await post(endpoint, JSON.stringify(alerts), {}, { timeoutMs: ALERTMANAGER_TIMEOUT_MS, signal });
    },
  };
}
