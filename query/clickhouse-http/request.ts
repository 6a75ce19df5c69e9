import { exception } from './exceptions.js';
import { formatClause } from './format.js';

/**
 * One request to the endpoint as ClickHouse's HTTP handler reads it (src/Server/HTTPHandler.cpp):
 * credentials from the X-ClickHouse-User/-Key headers, HTTP basic auth or the user/password
 * parameters (never two of them); the query from the `query` parameter, a line break, and the body;
 * `database` and `default_format` (or the X-ClickHouse-Database/-Format headers); `param_<name>`
 * query parameters; every other parameter a setting, left to the engine to check.
 */
export interface ClickHouseRequest {
  user: string;
  password: string;
  query: string;
  /** The format the result is written in: the query's FORMAT clause, else default_format. */
  format: string;
  /** The format given to the engine when the query names none. */
  defaultFormat: string;
  database?: string;
  settings: Map<string, string>;
  /** Query parameters as the client wrote them (ClickHouse's escaped text form). */
  params: Map<string, string>;
  /** The client's native protocol revision (clickhouse-go sends it), 0 when not sent. */
  clientProtocolVersion: number;
}

/** Parameters with a meaning of their own, which are not settings. */
const ACCEPTED = new Set([
  'query',
  'database',
  'default_format',
  'user',
  'password',
  // The server reads it before the request is parsed, to name the query in every answer.
  'query_id',
  'client_protocol_version',
  // No effect here: a result is always sent complete, there are no quotas, no stack traces.
  'wait_end_of_query',
  'buffer_size',
  'quota_key',
  'stacktrace',
]);

/** Parameters whose feature the endpoint lacks: refused rather than ignored. */
const UNSUPPORTED: Record<string, string> = {
  compress:
    "ClickHouse's native block compression (compress=1) is not supported by this endpoint: use HTTP compression (enable_http_compression=1 with Accept-Encoding: gzip)",
  decompress:
    "ClickHouse's native block compression of the request (decompress=1) is not supported by this endpoint",
  session_id: 'sessions (session_id) are not supported by this endpoint: every request stands alone',
  session_timeout: 'sessions (session_timeout) are not supported by this endpoint',
  session_check: 'sessions (session_check) are not supported by this endpoint',
  close_session: 'sessions (close_session) are not supported by this endpoint',
  role: 'roles are not supported by this endpoint: it has one read-only user',
};

const DEFAULT_FORMAT = 'TabSeparated';
const truthy = (value: string): boolean => value !== '' && value !== '0' && value.toLowerCase() !== 'false';

/**
 * `params` holds the URL's parameters and, for a multipart/form-data body, its fields; `body` is the
 * rest of the query (empty for a form). Throws a ClickHouseException for what ClickHouse would refuse.
 */
export function parseRequest(
  params: URLSearchParams,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: string,
): ClickHouseRequest {
  const header = (name: string): string | undefined => {
    const value = headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  const settings = new Map<string, string>();
  const queryParams = new Map<string, string>();
  for (const [key, value] of params) {
    if (key === '' || ACCEPTED.has(key)) continue;
    const why = UNSUPPORTED[key];
    if (why !== undefined) {
      if (key === 'compress' || key === 'decompress' ? truthy(value) : true)
        throw exception('NOT_IMPLEMENTED', why);
    } else if (key.startsWith('param_')) queryParams.set(key.slice('param_'.length), value);
    else settings.set(key, value);
  }
  const queryParam = params.get('query') ?? '';
  const query = queryParam === '' ? body : `${queryParam}\n${body}`;
  const defaultFormat = header('X-ClickHouse-Format') || params.get('default_format') || DEFAULT_FORMAT;
  const version = params.get('client_protocol_version') ?? '0';
  if (!/^\d+$/.test(version))
    throw exception('BAD_ARGUMENTS', `client_protocol_version must be a number, not '${version}'`);
  return {
    ...credentials(params, header),
    query,
    format: formatClause(query) ?? defaultFormat,
    defaultFormat,
    database: header('X-ClickHouse-Database') || params.get('database') || undefined,
    settings,
    params: queryParams,
    clientProtocolVersion: Number(version),
  };
}

function credentials(
  params: URLSearchParams,
  header: (name: string) => string | undefined,
): { user: string; password: string } {
  const headerUser = header('X-ClickHouse-User');
  const headerKey = header('X-ClickHouse-Key');
  const authorization = header('Authorization');
  const inParams = params.has('user') || params.has('password');
  const mixed = (a: string, b: string) =>
    exception(
      'AUTHENTICATION_FAILED',
      `Invalid authentication: it is not allowed to use ${a} and ${b} simultaneously`,
    );
  if (headerUser !== undefined || headerKey !== undefined) {
    if (authorization !== undefined) throw mixed('X-ClickHouse HTTP headers', 'Authorization HTTP header');
    if (inParams) throw mixed('X-ClickHouse HTTP headers', 'authentication via parameters');
    return { user: headerUser || 'default', password: headerKey ?? '' };
  }
  if (authorization !== undefined) {
    if (inParams) throw mixed('Authorization HTTP header', 'authentication via parameters');
    const [scheme = '', encoded = ''] = authorization.trim().split(/\s+/, 2);
    if (scheme.toLowerCase() !== 'basic')
      throw exception(
        'AUTHENTICATION_FAILED',
        `Invalid authentication: '${scheme}' HTTP Authorization scheme is not supported`,
      );
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0
      ? { user: decoded, password: '' }
      : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return { user: params.get('user') ?? 'default', password: params.get('password') ?? '' };
}
