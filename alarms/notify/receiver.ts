import type { IncomingMessage, ServerResponse } from 'node:http';
import { startHttpServer, type HttpServer } from '../../common/http.js';
import type { TestEvent } from '../../common/notify/send.js';
import {
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  SignatureError,
  verifySignature,
} from '../../common/notify/signature.js';
import type { AlarmEvent } from './events.js';

/** A delivery the receiver verified. */
export interface ReceivedNotification {
  idempotencyKey: string;
  /** The key was seen before: a repeat of a delivery already handled. */
  duplicate: boolean;
  /** The signed timestamp (unix seconds). */
  timestamp: number;
  event: AlarmEvent;
}

export interface WebhookReceiverOptions {
  secret: string;
  host?: string;
  port?: number;
  /** Seconds a signed timestamp may be off the receiver's clock (replay window). */
  toleranceS?: number;
  /**
   * Called with each verified delivery; when it throws, the receiver answers 503 and the sender
   * retries (the delivery then counts as not seen).
   */
  onNotification(notification: ReceivedNotification): void | Promise<void>;
  /** Called with each verified test delivery (the API's testAlarmReceiver); accepted when absent. */
  onTest?(test: TestEvent): void;
  /** Called with each refused request's reason (bad signature, replay, not JSON). */
  onRefused?(reason: string): void;
}

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The example receiver, as `fabricscope webhook-receiver` runs it: POST / (any path) verified as a
 * receiver must (signature over timestamp + body, replay window), repeats recognised by their key.
 * A real receiver keeps its seen keys durably and for longer than the sender's dead-letter age.
 */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<HttpServer> {
  const seen = new Set<string>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refuse = (status: number, reason: string): void => {
      options.onRefused?.(reason);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`${reason}\n`);
    };
    if (req.method !== 'POST') return refuse(405, 'POST alarm notifications here');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return refuse(413, `body over ${MAX_BODY_BYTES} bytes`);
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks).toString('utf8');
    let timestamp: number;
    try {
      timestamp = verifySignature(options.secret, req.headers[SIGNATURE_HEADER] as string | undefined, body, {
        ...(options.toleranceS !== undefined ? { toleranceS: options.toleranceS } : {}),
      });
    } catch (err) {
      if (err instanceof SignatureError) return refuse(401, err.message);
      throw err;
    }
    const key = req.headers[IDEMPOTENCY_HEADER];
    if (typeof key !== 'string' || key === '') return refuse(400, `no ${IDEMPOTENCY_HEADER} header`);
    let event: AlarmEvent | TestEvent;
    try {
      event = JSON.parse(body) as AlarmEvent | TestEvent;
    } catch {
      return refuse(400, 'body is not JSON');
    }
    if (event.event === 'test') {
      options.onTest?.(event);
      return void res.writeHead(204).end();
    }
    try {
      await options.onNotification({ idempotencyKey: key, duplicate: seen.has(key), timestamp, event });
    } catch (err) {
      return refuse(503, `not handled: ${(err as Error).message}`);
    }
    seen.add(key);
    res.writeHead(204).end();
  };
  return startHttpServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    routes: {
      '/': (req, res) =>
        void handle(req, res).catch((err: unknown) => {
          if (!res.headersSent) res.writeHead(500).end();
          options.onRefused?.(`failed: ${(err as Error).message}`);
        }),
    },
  });
}
