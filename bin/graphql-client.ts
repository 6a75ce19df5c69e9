import { FabricError, invalid } from '../common/errors.js';

/**
 * What the CLI's client commands (`why`) send to a running query service: one GraphQL request to
 * --server, with errors that say what went wrong — the server unreachable, not answering, not a
 * GraphQL API, or refusing the request — rather than a stack trace.
 */

/** How long a command waits for its answer. */
const TIMEOUT_MS = 30_000;

/** The GraphQL endpoint of --server: a base URL (http://localhost:8081) or the endpoint itself. */
export function graphqlEndpoint(server: string): URL {
  let url: URL;
  try {
    url = new URL(server.includes('://') ? server : `http://${server}`);
  } catch {
    throw invalid(`--server: "${server}" is not a URL (e.g. http://localhost:8081)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(`--server: "${server}" is not an http(s) URL`);
  if (!url.pathname.endsWith('/graphql')) url.pathname = `${url.pathname.replace(/\/$/, '')}/graphql`;
  return url;
}

const unavailable = (message: string): FabricError => new FabricError('UNAVAILABLE', message);

/** The data of a query, or an error naming the server and what failed. */
export async function queryServer<T>(
  server: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const url = graphqlEndpoint(server);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if ((err as Error).name === 'TimeoutError')
      throw unavailable(`the GraphQL API at ${url.href} did not answer within ${TIMEOUT_MS / 1000} s`);
    throw unavailable(
      `cannot reach the GraphQL API at ${url.href}: ${cause?.code ?? cause?.message ?? (err as Error).message} (is \`fabricscope start\` running there? see --server)`,
    );
  }
  const text = await response.text();
  let body: { data?: T; errors?: { message: string }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw unavailable(
      `${url.href} answered HTTP ${response.status} without a GraphQL answer: ${text.slice(0, 200)}`,
    );
  }
  if (body.errors?.length) throw invalid(body.errors.map((e) => e.message).join('; '));
  if (!response.ok || body.data === undefined)
    throw unavailable(`${url.href} answered HTTP ${response.status}`);
  return body.data;
}
