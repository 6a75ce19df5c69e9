import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from './metrics.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface HttpOptions {
  host: string;
  port: number;
  /** Other handlers by path prefix, e.g. { '/graphql': yoga }. */
  routes?: Record<string, RequestListener>;
  /** Reports readiness for /healthz; throws or returns false when not ready. */
  health?: () => Promise<boolean>;
}

export interface HttpServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Every service's HTTP side: /metrics for Prometheus, /healthz, and whatever routes it serves. */
export async function startHttpServer(options: HttpOptions): Promise<HttpServer> {
  const routes = Object.entries(options.routes ?? {});
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/metrics') return void sendMetrics(res);
    if (path === '/healthz') return void sendHealth(res, options.health);
    const route = routes.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`));
    if (route) return route[1](req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route for ${path}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function sendMetrics(res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
}

async function sendHealth(res: ServerResponse, health?: () => Promise<boolean>): Promise<void> {
  const ok = await (health?.() ?? Promise.resolve(true)).catch(() => false);
  res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
}
