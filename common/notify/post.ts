import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * A POST refused or unanswered: retried, and its message logged. It names the receiver's origin only:
 * a webhook's path or query may hold a token (as chat webhooks' do), and the body is not logged.
 */
export class PostError extends Error {
  constructor(
    message: string,
    /** The receiver's answer, when it gave one (not 2xx). */
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * POSTs `body` and resolves on a 2xx; rejects on anything else, and when no answer is complete within
 * `timeoutMs` (the socket is destroyed: a receiver that hangs holds one slot of its own queue, no
 * longer). `ca` (PEM) is trusted beside the system's CAs for https.
 */
export function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; ca?: string | Buffer; signal?: AbortSignal },
): Promise<number> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const signal = AbortSignal.any([
    AbortSignal.timeout(options.timeoutMs),
    ...(options.signal ? [options.signal] : []),
  ]);
  const init: RequestOptions & { ca?: string | Buffer } = {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
    signal,
    ...(options.ca ? { ca: options.ca } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = request(target, init, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.length < 16 && chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(status);
        const answer = Buffer.concat(chunks).toString('utf8').slice(0, 200).trim();
        reject(new PostError(`${target.origin} answered ${status}${answer && `: ${answer}`}`, status));
      });
    });
    req.on('error', (err) =>
      reject(
        new PostError(
          signal.aborted && !options.signal?.aborted
            ? `${target.origin}: no answer within ${options.timeoutMs} ms`
            : `${target.origin}: ${err.message}`,
        ),
      ),
    );
    req.end(body);
  });
}
