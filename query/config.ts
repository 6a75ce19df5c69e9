import { z } from 'zod';
import { duration, port, positive, type OptionTable } from '../common/config.js';

const count = z.coerce.number().int().min(0);
/** A port, or '' for off. */
const optionalPort = z.preprocess((v) => (v === '' ? undefined : v), port.optional());

/**
 * The query service's section of the configuration: how much one GraphQL request may ask for, and
 * how much one warehouse read it makes may cost. Embedded, every read shares the engine with the
 * writer's inserts, so an unbounded request would stall ingest (issue 9).
 */
export const queryOptions = {
  queryMaxAliases: {
    flag: 'query-max-aliases',
    env: 'FABRICSCOPE_QUERY_MAX_ALIASES',
    default: 10,
    schema: positive,
    help: 'Aliased fields one GraphQL request may hold',
  },
  queryMaxDepth: {
    flag: 'query-max-depth',
    env: 'FABRICSCOPE_QUERY_MAX_DEPTH',
    default: 8,
    schema: positive,
    help: 'Nesting depth of a GraphQL request, fragments followed',
  },
  queryMaxTokens: {
    flag: 'query-max-tokens',
    env: 'FABRICSCOPE_QUERY_MAX_TOKENS',
    default: 5000,
    schema: positive,
    help: 'Tokens of a GraphQL document; longer ones are not parsed',
  },
  queryMaxCost: {
    flag: 'query-max-cost',
    env: 'FABRICSCOPE_QUERY_MAX_COST',
    default: 500,
    schema: positive,
    help: 'Cost of a GraphQL request: 100 for each field that reads the warehouse (each root field, Flow.alarms, Uve.alarms), 1 for any other',
  },
  queryMaxListValues: {
    flag: 'query-max-list-values',
    env: 'FABRICSCOPE_QUERY_MAX_LIST_VALUES',
    default: 100,
    schema: positive,
    help: 'Values in one list argument (e.g. a filter field), variables included',
  },
  queryMaxFilters: {
    flag: 'query-max-filters',
    env: 'FABRICSCOPE_QUERY_MAX_FILTERS',
    default: 20,
    schema: positive,
    help: 'Filters in one filter or exclude list (any list of input objects)',
  },
  queryMaxArgumentValues: {
    flag: 'query-max-argument-values',
    env: 'FABRICSCOPE_QUERY_MAX_ARGUMENT_VALUES',
    default: 1000,
    schema: positive,
    help: 'Values in all the arguments of one GraphQL request together',
  },
  queryMaxConcurrentReads: {
    flag: 'query-max-concurrent-reads',
    env: 'FABRICSCOPE_QUERY_MAX_CONCURRENT_READS',
    default: 1,
    schema: positive,
    help: 'Warehouse reads of the API in flight at once; more wait (embedded, each takes cores from the inserts beside it)',
  },
  queryTimeout: {
    flag: 'query-timeout',
    env: 'FABRICSCOPE_QUERY_TIMEOUT',
    default: '10s',
    schema: duration,
    help: "Longest warehouse read of the API (ClickHouse's max_execution_time)",
  },
  queryMaxRowsToRead: {
    flag: 'query-max-rows-to-read',
    env: 'FABRICSCOPE_QUERY_MAX_ROWS_TO_READ',
    default: 1_000_000_000,
    schema: count,
    help: 'Rows one warehouse read of the API may scan (max_rows_to_read; 0: no limit)',
  },
  queryMaxMemory: {
    flag: 'query-max-memory',
    env: 'FABRICSCOPE_QUERY_MAX_MEMORY',
    default: 2 * 1024 * 1024 * 1024,
    schema: count,
    help: 'Bytes of memory one warehouse read of the API may use (max_memory_usage; 0: no limit)',
  },
  queryMaxQuerySize: {
    flag: 'query-max-query-size',
    env: 'FABRICSCOPE_QUERY_MAX_QUERY_SIZE',
    default: 1024 * 1024,
    schema: positive,
    help: 'Bytes of SQL one warehouse read of the API may have (max_query_size)',
  },
  queryMaxThreads: {
    flag: 'query-max-threads',
    env: 'FABRICSCOPE_QUERY_MAX_THREADS',
    default: 0,
    schema: count,
    help: 'Threads one warehouse read of the API may use (max_threads; 0: the engine default, its cores); embedded, fewer than the cores leaves the rest to ingest',
  },
  queryMaxSubscriptions: {
    flag: 'query-max-subscriptions',
    env: 'FABRICSCOPE_QUERY_MAX_SUBSCRIPTIONS',
    default: 100,
    schema: positive,
    help: 'GraphQL subscriptions (SSE and WebSocket) open at once; more are refused',
  },
  querySubscriptionQueue: {
    flag: 'query-subscription-queue',
    env: 'FABRICSCOPE_QUERY_SUBSCRIPTION_QUEUE',
    default: 10_000,
    schema: positive,
    help: 'Events a subscription still behind may have waiting for its client; a delivery beyond that cuts it off (counted, logged)',
  },
  clickhouseHttpPort: {
    flag: 'clickhouse-http-port',
    env: 'FABRICSCOPE_CLICKHOUSE_HTTP_PORT',
    default: '',
    schema: optionalPort,
    help: "Serve the embedded warehouse read-only over ClickHouse's HTTP interface on this port, for ClickHouse clients (Grafana's ClickHouse plugin, clickhouse-go, @clickhouse/client); empty: off. Embedded mode only: with --clickhouse-url, point clients at that server",
  },
  clickhouseHttpHost: {
    flag: 'clickhouse-http-host',
    env: 'FABRICSCOPE_CLICKHOUSE_HTTP_HOST',
    default: '0.0.0.0',
    schema: z.string().min(1),
    help: 'Address the ClickHouse HTTP endpoint listens on',
  },
  clickhouseHttpUser: {
    flag: 'clickhouse-http-user',
    env: 'FABRICSCOPE_CLICKHOUSE_HTTP_USER',
    default: 'default',
    schema: z.string().min(1),
    help: 'The user ClickHouse clients of the endpoint log in as',
  },
  clickhouseHttpPassword: {
    flag: 'clickhouse-http-password',
    env: 'FABRICSCOPE_CLICKHOUSE_HTTP_PASSWORD',
    default: '',
    schema: z.string(),
    help: 'Its password; required when --clickhouse-http-port is set',
    redact: (value: string) => (value === '' ? '' : '(withheld)'),
  },
  clickhouseHttpMaxExecutionTime: {
    flag: 'clickhouse-http-max-execution-time',
    env: 'FABRICSCOPE_CLICKHOUSE_HTTP_MAX_EXECUTION_TIME',
    default: '60s',
    schema: duration,
    help: "Longest query of the endpoint (ClickHouse's max_execution_time; a client may ask for less). Its other limits are the API's: --query-max-threads, --query-max-memory, --query-max-rows-to-read, --query-max-query-size",
  },
  clickhouseHttpMaxResultBytes: {
    flag: 'clickhouse-http-max-result-bytes',
    env: 'FABRICSCOPE_CLICKHOUSE_HTTP_MAX_RESULT_BYTES',
    default: 100 * 1024 * 1024,
    schema: count,
    help: 'Bytes (uncompressed, in memory) of one result of the endpoint (max_result_bytes, result_overflow_mode=throw; 0: no limit)',
  },
  clickhouseHttpMaxConcurrentQueries: {
    flag: 'clickhouse-http-max-concurrent-queries',
    env: 'FABRICSCOPE_CLICKHOUSE_HTTP_MAX_CONCURRENT_QUERIES',
    default: 2,
    schema: positive,
    help: 'Queries of the endpoint running at once; more wait, and one that cannot start within --clickhouse-http-max-execution-time is refused (TOO_MANY_SIMULTANEOUS_QUERIES)',
  },
} as const satisfies OptionTable;
