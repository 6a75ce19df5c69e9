import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { errorMessage, FabricError } from '../errors.js';
import { post, PostError } from './post.js';
import type { WebhookReceiver } from './receivers.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';

/** A receiver's CA file, read; CONFIG naming the receiver and the file (never its secret) when unreadable. */
export function receiverCa(receiver: WebhookReceiver): Buffer | undefined {
  if (receiver.ca === undefined) return undefined;
  try {
    return readFileSync(receiver.ca);
  } catch (err) {
    throw new FabricError('CONFIG', `webhook ${receiver.name}: ca ${receiver.ca}: ${errorMessage(err)}`);
  }
}

/**
 * One signed attempt: `body` POSTed to the receiver with its signature (under its secret, the
 * timestamp this attempt's) and `id` as the idempotency key. Resolves with the 2xx status; rejects
 * with a PostError naming the receiver's origin only.
 */
export function sendSigned(
  receiver: WebhookReceiver,
  body: string,
  id: string,
  options: { signal?: AbortSignal; ca?: Buffer } = {},
): Promise<number> {
  const timestamp = Math.floor(Date.now() / 1000);
  return post(
    receiver.url,
    body,
    {
      [SIGNATURE_HEADER]: signatureHeader(receiver.secret, body, timestamp),
      [IDEMPOTENCY_HEADER]: id,
      'user-agent': 'fabricscope',
    },
    {
      timeoutMs: receiver.timeout,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
    },
  );
}

/** A test delivery's body: signed and sent as a notification is, and saying it is none. */
export interface TestEvent {
  id: string;
  event: 'test';
  at: string;
  receiver: string;
  message: string;
}

/** What a test delivery met: the receiver's status (when it answered), the time to it, the refusal. */
export interface TestOutcome {
  id: string;
  delivered: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/**
 * Sends one test delivery to the receiver (no retry: the caller sees what happened). Its error names
 * the receiver's origin and what it answered, never the secret nor the body.
 */
export async function sendTest(receiver: WebhookReceiver): Promise<TestOutcome> {
  const id = randomUUID();
  const event: TestEvent = {
    id,
    event: 'test',
    at: new Date().toISOString(),
    receiver: receiver.name,
    message: 'a test delivery from fabricscope: no alarm',
  };
  const started = performance.now();
  const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
  try {
    const ca = receiverCa(receiver);
    const status = await sendSigned(receiver, JSON.stringify(event), id, ca ? { ca } : {});
    return { id, delivered: true, statusCode: status, latencyMs: elapsed(), error: null };
  } catch (err) {
    const status = err instanceof PostError ? (err.status ?? null) : null;
    return { id, delivered: false, statusCode: status, latencyMs: elapsed(), error: errorMessage(err) };
  }
}
