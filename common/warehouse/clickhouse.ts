import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import pRetry, { AbortError } from 'p-retry';
import { FabricError, errorMessage } from '../errors.js';
import { logger } from '../log.js';
import { counter } from '../metrics.js';
import {
  limitError,
  protobufInsertSql,
  tableName,
  type ProtobufInsert,
  type QueryParams,
  type QuerySettings,
  type Warehouse,
} from './warehouse.js';

const log = logger('warehouse');
const retries = counter('fabricscope_warehouse_retries_total', 'Warehouse requests retried after a failure', [
  'operation',
]);

/** ClickHouse error codes that mean "who you are" is wrong: retrying cannot help. */
const authCodes = new Set(['192', '193', '194', '195', '516']);

export interface ClickHouseOptions {
  /** http(s)://[user[:password]@]host:port[/database] */
  url: string;
  /** Attempts after the first for connection failures and timeouts. */
  retries?: number;
}

/**
 * The warehouse on a ClickHouse server over HTTP. Protobuf rows are streamed as the request body of
 * `INSERT ... SELECT ... FROM input()`; the server resolves `format_schema` under its own
 * format_schema_path, so a deployment mounts proto/fabricscope/v1 there (see docker-compose.yml).
 */
export class ClickHouseWarehouse implements Warehouse {
  private readonly client: ClickHouseClient;
  private readonly where: string;
  private readonly user: string;
  private readonly database: string;

  constructor(private readonly options: ClickHouseOptions) {
    const url = new URL(options.url);
    this.user = decodeURIComponent(url.username) || 'default';
    this.where = `${url.protocol}//${url.host}`;
    const database = url.pathname.replace(/^\//, '') || 'default';
    this.database = database;
    this.client = createClient({
      url: `${url.protocol}//${url.host}`,
      username: this.user,
      password: decodeURIComponent(url.password),
      database,
      request_timeout: 60_000,
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
  }
  /** A dictionary on a server reads with our credentials: its default user may not exist, the tables may live in another database. */
  dictionarySource(): string {
    const quote = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    const password = decodeURIComponent(new URL(this.options.url).password);
    return ` USER ${quote(this.user)} PASSWORD ${quote(password)} DB ${quote(this.database)}`;
  }

  async query<T>(sql: string, params: QueryParams = {}, settings?: QuerySettings): Promise<T[]> {
    return this.retry('query', async () => {
      const result = await this.client.query({
        query: sql,
        query_params: params,
        format: 'JSONEachRow',
        ...(settings && { clickhouse_settings: settings }),
      });
      return result.json<T>();
    });
  }

  async exec(sql: string, params: QueryParams = {}): Promise<void> {
    await this.retry('exec', () => this.client.command({ query: sql, query_params: params }));
  }

  async insertProtobuf(insert: ProtobufInsert, chunks: readonly Buffer[]): Promise<void> {
    const query = `${protobufInsertSql(insert, `input('${insert.structure.replace(/'/g, "\\'")}')`)} FORMAT Protobuf`;
    await this.retry('insert', async () => {
      const { stream } = await this.client.exec({
        query,
        values: Readable.from(chunks),
        clickhouse_settings: { format_schema: insert.schema },
      });
      stream.resume();
      await new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject));
    });
  }

  async insertRows(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.retry('insert', () =>
      this.client.insert({ table: tableName(table), values: [...rows], format: 'JSONEachRow' }),
    );
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Retries what may pass next time (connection refused, timeouts); refusals and bad SQL fail at once. */
  private retry<T>(operation: string, attempt: () => Promise<T>): Promise<T> {
    return pRetry(
      async () => {
        try {
          return await attempt();
        } catch (err) {
          throw this.classify(err);
        }
      },
      {
        retries: this.options.retries ?? 4,
        minTimeout: 200,
        maxTimeout: 3000,
        onFailedAttempt: (err) => {
          retries.inc({ operation });
          log.warn(
            { operation, attempt: err.attemptNumber, err: err.message },
            'warehouse request failed; retrying',
          );
        },
      },
    );
  }

  private classify(err: unknown): Error {
    const serverCode = serverErrorCode(err);
    if (serverCode !== undefined) {
      const limited = limitError(serverCode, errorMessage(err));
      if (limited) return new AbortError(limited);
      const what = authCodes.has(serverCode)
        ? new FabricError(
            'UNAUTHENTICATED',
            `ClickHouse at ${this.where} refused user "${this.user}": ${errorMessage(err)}`,
            { cause: err },
          )
        : // The cause keeps the server's code for the writer's classification (./errors.ts).
          new FabricError('INTERNAL', `ClickHouse at ${this.where}: ${errorMessage(err)}`, { cause: err });
      return new AbortError(what);
    }
    return new FabricError(
      'UNAVAILABLE',
      `ClickHouse at ${this.where} is unreachable: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * The server's numeric error code, when the server answered at all. Checked by shape rather than by
 * class: the client's error class may come from another copy of @clickhouse/client-common (chdb has one).
 */
function serverErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return code;
  // Servers older than the client's error parser (e.g. 18.x: "Code: 62, e.displayText() = ...").
  return /^Code: (\d+)/.exec(errorMessage(err))?.[1];
}
