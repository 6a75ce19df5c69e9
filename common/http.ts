import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { registry } from './metrics.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
/** Takes an HTTP upgrade (a WebSocket) on its path. */
export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface HttpOptions {
  host: string;
  port: number;
  /** Other handlers by path prefix, e.g. { '/graphql': yoga }. */
  routes?: Record<string, RequestListener>;
  /** Upgrade handlers by exact path, e.g. { '/graphql': WebSocket server }; others are refused. */
  upgrades?: Record<string, UpgradeListener>;
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
    if (path === '/metrics') return void sendMetrics(req, res);
    if (path === '/healthz') return void sendHealth(res, options.health);
    const route = routes.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`));
    if (route) return route[1](req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route for ${path}\n`);
  });
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    const upgrade = options.upgrades?.[(req.url ?? '/').split('?')[0] ?? '/'];
    if (upgrade) return upgrade(req, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
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

/**
 * Every metric, or only those named by `?name=` (repeatable): a client polling one counter often (a
 * benchmark's clock, a health probe) then costs the process that counter, not a walk of every series.
 */
async function sendMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const names = new URL(req.url ?? '/', 'http://local').searchParams.getAll('name');
  if (names.length === 0) {
    return void res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
  }
  const unknown = names.filter((name) => !registry.getSingleMetric(name));
  if (unknown.length > 0) {
    return void res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end(`no metric named ${unknown.join(', ')}\n`);
  }
  const texts = await Promise.all(names.map((name) => registry.getSingleMetricAsString(name)));
  res.writeHead(200, { 'content-type': registry.contentType }).end(`${texts.join('\n')}\n`);
}

async function sendHealth(res: ServerResponse, health?: () => Promise<boolean>): Promise<void> {
  const ok = await (health?.() ?? Promise.resolve(true)).catch(() => false);
  res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
}
