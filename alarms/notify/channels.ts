import { readFileSync } from 'node:fs';
import { FabricError } from '../../common/errors.js';
import { alertOf } from './alertmanager.js';
import type { Channel } from './dispatcher.js';
import type { AlarmEvent } from './events.js';
import { post } from './post.js';
import type { WebhookReceiver } from './receivers.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';

/** A webhook: the stored body, signed at each attempt (the timestamp is the attempt's). */
export function webhookChannel(receiver: WebhookReceiver): Channel {
  let ca: Buffer | undefined;
  try {
    ca = receiver.ca === undefined ? undefined : readFileSync(receiver.ca);
  } catch (err) {
    throw new FabricError('CONFIG', `webhook ${receiver.name}: ca ${receiver.ca}: ${(err as Error).message}`);
  }
  return {
    name: receiver.name,
    concurrency: receiver.concurrency,
    send: async (delivery, signal) => {
      const timestamp = Math.floor(Date.now() / 1000);
      await post(
        receiver.url,
        delivery.body,
        {
          [SIGNATURE_HEADER]: signatureHeader(receiver.secret, delivery.body, timestamp),
          [IDEMPOTENCY_HEADER]: delivery.id,
          'user-agent': 'fabricscope',
        },
        { timeoutMs: receiver.timeout, signal, ...(ca ? { ca } : {}) },
      );
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
