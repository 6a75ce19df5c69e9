import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** One event of a subscription: its data, or the errors that ended it. */
export interface SubscriptionEvent {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** A subscription the test holds: its events so far, and how it ended once it has. */
export interface HeldSubscription {
  events: SubscriptionEvent[];
  /** Resolves when the server completes the stream (or the connection ends). */
  ended: Promise<void>;
  close(): void;
}

/** A subscription over SSE (graphql-yoga's protocol), read as it comes. */
export function sseSubscribe(url: string, query: string): HeldSubscription {
  const held = pausedSse(url, query);
  void held.response.then((res) => res.resume());
  return held;
}

/**
 * A subscription over SSE that reads nothing once the answer's headers are in (a client that cannot
 * keep up): the server's writes back up in the socket. `resume` reads on.
 */
export function pausedSse(
  url: string,
  query: string,
): HeldSubscription & { response: Promise<IncomingMessage>; resume(): void } {
  const events: SubscriptionEvent[] = [];
  let req: ClientRequest;
  let res: IncomingMessage | undefined;
  let finish: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (finish = resolve));
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' } },
      (answer) => {
        res = answer;
        answer.pause();
        let buffered = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => {
          buffered += chunk;
          let end: number;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            const event = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const data = /^event: next\ndata: (.*)$/m.exec(event)?.[1];
            if (data) events.push(JSON.parse(data) as SubscriptionEvent);
            if (/^event: complete$/m.test(event)) finish();
          }
        });
        answer.on('close', finish);
        resolve(answer);
      },
    );
    req.on('error', (err) => {
      finish();
      reject(err);
    });
    req.end(JSON.stringify({ query }));
  });
  response.catch(() => undefined);
  return {
    events,
    ended,
    response,
    resume: () => res?.resume(),
    close: () => req.destroy(),
  };
}

/** A subscription over WebSocket (graphql-ws). */
export function wsSubscribe(url: string, query: string): HeldSubscription {
  const events: SubscriptionEvent[] = [];
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
  });
  let finish: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (finish = resolve));
  const stop = client.subscribe(
    { query },
    {
      next: (event) => void events.push(event as SubscriptionEvent),
      error: (err) => {
        events.push({ errors: [{ message: err instanceof Error ? err.message : JSON.stringify(err) }] });
        finish();
      },
      complete: finish,
    },
  );
  return {
    events,
    ended,
    close: () => {
      stop();
      void client.dispose();
    },
  };
}
