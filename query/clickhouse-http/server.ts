import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { ConfigOf } from '../../common/config.js';
import { FabricError } from '../../common/errors.js';
import { logger } from '../../common/log.js';
import { counter, histogram } from '../../common/metrics.js';
import { ChdbWarehouse } from '../../common/warehouse/chdb.js';
import { limitError, type Warehouse } from '../../common/warehouse/warehouse.js';
import type { queryOptions } from '../config.js';
import { readSettings } from '../shared/limits.js';
import { slots, type Slots } from '../shared/slots.js';
import { ClickHouseException, codes, exception, exceptionReply } from './exceptions.js';
import { execute, type EngineLimits } from './execute.js';
import { contentType } from './format.js';
import { nativeForClient } from './native.js';
import { parseRequest, type ClickHouseRequest } from './request.js';

/**
 * A read-only ClickHouse HTTP endpoint over the embedded warehouse, for ClickHouse clients (Grafana's
 * ClickHouse plugin through clickhouse-go, @clickhouse/client). Each query runs on a connection of
 * its own, set readonly=1 before anything the client sent runs: the engine refuses writes (Code 164),
 * not a reading of the SQL. Its queries run beside the writer's inserts (they do not queue behind
 * them, nor the inserts behind them), bounded by the engine limits below and by a count at once.
 */
const log = logger('clickhouse-http');

const requests = counter(
  'fabricscope_clickhouse_http_requests_total',
  'Requests to the ClickHouse HTTP endpoint, by HTTP status and output format (none when it failed)',
  ['status', 'format'],
);
const duration = histogram(
  'fabricscope_clickhouse_http_request_duration_seconds',
  'Time from a request to its answer sent, queueing included',
  [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60],
);
const bytesOut = counter(
  'fabricscope_clickhouse_http_response_bytes_total',
  'Bytes of results sent by the ClickHouse HTTP endpoint (after HTTP compression)',
);
const refusals = counter(
  'fabricscope_clickhouse_http_refusals_total',
  'Requests the endpoint or the engine refused: auth (credentials), readonly (a write or a setting change), limit (an engine limit), busy (no slot in time), unsupported (a ClickHouse feature the endpoint lacks)',
  ['reason'],
);

type EndpointConfig = Pick<
  ConfigOf<typeof queryOptions>,
  | 'clickhouseHttpHost'
  | 'clickhouseHttpUser'
  | 'clickhouseHttpPassword'
  | 'clickhouseHttpMaxExecutionTime'
  | 'clickhouseHttpMaxResultBytes'
  | 'clickhouseHttpMaxConcurrentQueries'
  | 'queryTimeout'
  | 'queryMaxRowsToRead'
  | 'queryMaxMemory'
  | 'queryMaxQuerySize'
  | 'queryMaxThreads'
>;

/** The engine limits of every query: the API's read limits, the endpoint's time and result size. */
export function endpointLimits(config: EndpointConfig): EngineLimits {
  const { max_rows_to_read, max_memory_usage, max_query_size, max_threads } = readSettings(config);
  return {
    max_execution_time: config.clickhouseHttpMaxExecutionTime / 1000,
    max_result_bytes: config.clickhouseHttpMaxResultBytes,
    max_rows_to_read: max_rows_to_read!,
    max_memory_usage: max_memory_usage!,
    max_query_size: max_query_size!,
    ...(max_threads !== undefined && { max_threads }),
  };
}

export interface ClickHouseHttp {
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the endpoint on `port` (0: a free one). Refused (CONFIG) with a ClickHouse server as the
 * warehouse, whose own HTTP interface clients should use, and without a password.
 */
export async function startClickHouseHttp(
  warehouse: Warehouse,
  port: number,
  config: EndpointConfig,
): Promise<ClickHouseHttp> {
  if (!(warehouse instanceof ChdbWarehouse))
    throw new FabricError(
      'CONFIG',
      '--clickhouse-http-port serves the embedded warehouse (chdb); with --clickhouse-url set, point ClickHouse clients (Grafana) at that server directly',
    );
  if (config.clickhouseHttpPassword === '')
    throw new FabricError(
      'CONFIG',
      '--clickhouse-http-port needs --clickhouse-http-password (the endpoint has no open access)',
    );
  const limits = endpointLimits(config);
  await checkReadOnly(warehouse, limits);
  const waitMs = config.clickhouseHttpMaxExecutionTime;
  const endpoint: Endpoint = {
    warehouse,
    limits,
    user: config.clickhouseHttpUser,
    password: Buffer.from(config.clickhouseHttpPassword),
    maxQuerySize: limits.max_query_size!,
    queries: slots(config.clickhouseHttpMaxConcurrentQueries, waitMs, () =>
      exception(
        'TOO_MANY_SIMULTANEOUS_QUERIES',
        `Too many simultaneous queries. Maximum: ${config.clickhouseHttpMaxConcurrentQueries}, none ended within ${waitMs} ms (clickhouse-http-max-concurrent-queries)`,
      ),
    ),
  };
  const server = createServer((req, res) => void handle(endpoint, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.clickhouseHttpHost, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  log.info({ host: config.clickhouseHttpHost, port: bound }, 'ClickHouse HTTP endpoint listening');
  return { port: bound, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Found at start rather than at the first request: a connection of the endpoint reads, and only reads. */
async function checkReadOnly(warehouse: ChdbWarehouse, limits: EngineLimits): Promise<void> {
  const connection = warehouse.connect();
  try {
    const probe = parseRequest(
      new URLSearchParams({ query: "SELECT value FROM system.settings WHERE name = 'readonly'" }),
      {},
      '',
    );
    const { bytes } = await execute(connection, probe, limits);
    if (bytes.toString().trim() !== '1')
      throw new FabricError(
        'INTERNAL',
        `the ClickHouse HTTP endpoint's connection is not readonly=1: ${bytes.toString()}`,
      );
  } finally {
    connection.close();
  }
}

interface Endpoint {
  warehouse: ChdbWarehouse;
  limits: EngineLimits;
  user: string;
  password: Buffer;
  maxQuerySize: number;
  queries: Slots;
}

async function handle(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = process.hrtime.bigint();
  res.setHeader('X-ClickHouse-Server-Display-Name', 'fabricscope');
  let format = 'none';
  try {
    const url = new URL(req.url ?? '/', 'http://endpoint');
    res.setHeader('X-ClickHouse-Query-Id', queryId(req, url));
    if (url.pathname === '/ping' || (url.pathname === '/' && isBareGet(req, url)))
      return void res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8' }).end('Ok.\n');
    if (url.pathname !== '/' || !['GET', 'POST', 'HEAD'].includes(req.method ?? ''))
      return void res
        .writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' })
        .end(
          `There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\nSend queries with POST or GET /?query=...\n`,
        );
    const { params, body } = await readRequest(req, url, endpoint.maxQuerySize);
    const request = parseRequest(params, req.headers, body);
    authenticate(endpoint, request);
    const output = await run(endpoint, request);
    format = request.format;
    await send(req, res, request, output);
  } catch (err) {
    fail(res, err);
  } finally {
    requests.inc({ status: String(res.statusCode), format });
    duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }
}

/** The client's query id (X-ClickHouse-Query-Id or query_id), else a new one; it names the query in every answer. */
function queryId(req: IncomingMessage, url: URL): string {
  const given = req.headers['x-clickhouse-query-id']?.toString() || url.searchParams.get('query_id');
  if (!given) return randomUUID();
  if (!/^[\x20-\x7e]{1,256}$/.test(given))
    throw exception('BAD_ARGUMENTS', 'query_id must be printable ASCII, at most 256 characters');
  return given;
}

/** GET / with no query at all is ClickHouse's health check. */
const isBareGet = (req: IncomingMessage, url: URL): boolean =>
  req.method === 'GET' && !url.searchParams.has('query') && Number(req.headers['content-length'] ?? 0) === 0;

function authenticate(endpoint: Endpoint, request: ClickHouseRequest): void {
  const password = Buffer.from(request.password);
  const matches =
    request.user === endpoint.user &&
    password.length === endpoint.password.length &&
    timingSafeEqual(password, endpoint.password);
  if (!matches)
    throw exception(
      'AUTHENTICATION_FAILED',
      `${request.user}: Authentication failed: password is incorrect, or there is no user with such name`,
    );
}

/** The query on a connection of its own, once a slot is free; the result as the client reads it. */
async function run(
  endpoint: Endpoint,
  request: ClickHouseRequest,
): Promise<{ data: Buffer; rows: number; bytes: number; seconds: number }> {
  await endpoint.queries.take();
  try {
    const connection = endpoint.warehouse.connect();
    try {
      const result = await execute(connection, request, endpoint.limits);
      const native = request.format.toLowerCase() === 'native';
      return {
        data: native ? nativeForClient(result.bytes, request.clientProtocolVersion) : result.bytes,
        rows: result.resultRows,
        bytes: result.resultBytes,
        seconds: result.elapsedSeconds,
      };
    } finally {
      connection.close();
    }
  } finally {
    endpoint.queries.release();
  }
}

const REQUEST_DECODERS: Record<string, (data: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  'x-gzip': promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

/**
 * The URL's parameters and the body, decompressed per Content-Encoding; a multipart/form-data body's
 * fields join the parameters (clickhouse-js sends long query parameters so). Longer than the
 * engine's max_query_size, the body is not read on.
 */
async function readRequest(
  req: IncomingMessage,
  url: URL,
  maxBytes: number,
): Promise<{ params: URLSearchParams; body: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes)
      throw exception(
        'QUERY_IS_TOO_LARGE',
        `the request body is longer than max_query_size (${maxBytes} bytes)`,
      );
    chunks.push(chunk);
  }
  let body: Buffer = Buffer.concat(chunks);
  const encoding = req.headers['content-encoding']?.toLowerCase();
  if (encoding && encoding !== 'identity') {
    const decode = REQUEST_DECODERS[encoding];
    if (!decode)
      throw exception(
        'UNKNOWN_COMPRESSION_METHOD',
        `Content-Encoding ${encoding} is not supported by this endpoint: send gzip, deflate or br`,
      );
    body = await decode(body);
  }
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data'))
    return { params: url.searchParams, body: body.toString('utf8') };
  const form = await new Request('http://endpoint/', {
    method: 'POST',
    headers: { 'content-type': type },
    body: new Uint8Array(body),
  }).formData();
  const params = new URLSearchParams(url.searchParams);
  for (const [name, value] of form) {
    if (typeof value !== 'string')
      throw exception(
        'NOT_IMPLEMENTED',
        `external data (the file ${name} of the form) is not supported by this endpoint`,
      );
    params.append(name, value);
  }
  return { params, body: '' };
}

/** HTTP compression as ClickHouse does it: when the client enabled it and accepts a method we have. */
function responseEncoding(
  req: IncomingMessage,
  request: ClickHouseRequest,
): 'gzip' | 'deflate' | 'br' | undefined {
  const enabled = request.settings.get('enable_http_compression');
  if (enabled === undefined || ['0', 'false', ''].includes(enabled.toLowerCase())) return undefined;
  const accepted = (req.headers['accept-encoding'] ?? '').toLowerCase();
  return (['gzip', 'deflate', 'br'] as const).find((method) => new RegExp(`\\b${method}\\b`).test(accepted));
}

const RESPONSE_ENCODERS = {
  gzip: promisify(zlib.gzip),
  deflate: promisify(zlib.deflate),
  br: promisify(zlib.brotliCompress),
};

async function send(
  req: IncomingMessage,
  res: ServerResponse,
  request: ClickHouseRequest,
  output: { data: Buffer; rows: number; bytes: number; seconds: number },
): Promise<void> {
  const encoding = responseEncoding(req, request);
  const data = encoding ? await RESPONSE_ENCODERS[encoding](output.data) : output.data;
  res.writeHead(200, {
    'Content-Type': contentType(request.format),
    'X-ClickHouse-Format': request.format,
    'X-ClickHouse-Summary': JSON.stringify({
      written_rows: '0',
      written_bytes: '0',
      result_rows: String(output.rows),
      result_bytes: String(output.bytes),
      elapsed_ns: String(Math.round(output.seconds * 1e9)),
    }),
    'Content-Length': data.length,
    ...(encoding && { 'Content-Encoding': encoding }),
  });
  res.end(req.method === 'HEAD' ? undefined : data);
  bytesOut.inc(data.length);
}

/** Why a failure is a refusal, for the metric; undefined for the failures of a query itself. */
function refusalReason(code: number, body: string): string | undefined {
  if (code === codes.AUTHENTICATION_FAILED) return 'auth';
  if (code === codes.READONLY) return 'readonly';
  if (code === codes.TOO_MANY_SIMULTANEOUS_QUERIES) return 'busy';
  if (code === codes.NOT_IMPLEMENTED || code === codes.UNKNOWN_COMPRESSION_METHOD) return 'unsupported';
  if (code === codes.QUERY_IS_TOO_LARGE || limitError(String(code), body)) return 'limit';
  return undefined;
}

function fail(res: ServerResponse, err: unknown): void {
  const queryId = res.getHeader('X-ClickHouse-Query-Id');
  const reply = exceptionReply(err);
  const reason = refusalReason(reply.code, reply.body);
  if (reason) refusals.inc({ reason });
  const ours = !(err instanceof ClickHouseException) && reply.name === 'UNKNOWN_EXCEPTION';
  if (ours) log.error({ err, queryId }, 'ClickHouse HTTP endpoint: request failed');
  else
    log.info(
      { queryId, code: reply.code, name: reply.name, reason },
      'ClickHouse HTTP endpoint: query refused or failed',
    );
  if (res.headersSent) return void res.destroy();
  res
    .writeHead(reply.status, {
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Exception-Code': String(reply.code),
      'X-ClickHouse-Exception-Name': reply.name,
    })
    .end(reply.body);
}
