import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, as Stripe and GitHub sign theirs: HMAC-SHA256 of `<timestamp>.<body>` under the
 * receiver's secret, sent as `X-Fabricscope-Signature: t=<unix seconds>,v1=<hex>`. The timestamp is
 * inside the MAC, so a receiver that refuses timestamps outside its window refuses replays.
 */
export const SIGNATURE_HEADER = 'x-fabricscope-signature';
/** The same for every attempt of one delivery: a receiver drops what it has seen. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** How far a signed timestamp may be from the receiver's clock, by default. */
export const DEFAULT_TOLERANCE_S = 300;

const mac = (secret: string, timestamp: number, body: string): string =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

export function signatureHeader(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${mac(secret, timestamp, body)}`;
}

/** Why a signature was refused: a receiver answers 400 naming it. */
export class SignatureError extends Error {}

/**
 * Verifies a delivery as a receiver must: the header parsed, the timestamp within `toleranceS` of
 * `now` (seconds), the MAC compared in constant time. Returns the timestamp; throws SignatureError.
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  options: { now?: number; toleranceS?: number } = {},
): number {
  if (!header) throw new SignatureError(`no ${SIGNATURE_HEADER} header`);
  const parts = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const timestamp = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isInteger(timestamp) || !given) {
    throw new SignatureError(`malformed ${SIGNATURE_HEADER}: expected t=<seconds>,v1=<hex>`);
  }
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceS ?? DEFAULT_TOLERANCE_S;
  if (Math.abs(now - timestamp) > tolerance) {
    throw new SignatureError(`timestamp ${timestamp} is over ${tolerance}s from now (${now}): a replay?`);
  }
  const expected = Buffer.from(mac(secret, timestamp, body), 'hex');
  const actual = Buffer.from(given, 'hex');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new SignatureError('signature does not match the body');
  }
  return timestamp;
}
