import type { GraphQLSchema } from 'graphql';
import { createSchema, createYoga, type GraphiQLOptions } from 'graphql-yoga';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { Bus } from '../common/bus/bus.js';
import type { ConfigOf } from '../common/config.js';
import type { RequestListener, UpgradeListener } from '../common/http.js';
import { FabricError } from '../common/errors.js';
import { logger } from '../common/log.js';
import type { SecretBox } from '../common/notify/secret-box.js';
import type { QuerySettings, Warehouse } from '../common/warehouse/warehouse.js';
import { queryOptions } from './config.js';
import { startClickHouseHttp } from './clickhouse-http/server.js';
import { ALARM_LINK_FIELDS, alarmLinkResolvers, alarmLinks, type AlarmLinks } from './alarms/links.js';
import { alarmReceiverMutations, alarmReceiverResolvers } from './alarms/receivers.js';
import { alarmReceiversTypeDefs } from './alarms/receivers-schema.js';
import { alarmMutations, alarmResolvers } from './alarms/resolvers.js';
import { alarmsTypeDefs } from './alarms/schema.js';
import { deadLetterResolvers } from './deadletters/resolvers.js';
import { deadLettersTypeDefs } from './deadletters/schema.js';
import { flowResolvers } from './flows/resolvers.js';
import { flowRuleResolvers, RULE_FIELDS, ruleNames, type RuleNames } from './flows/rules.js';
import { interfaceStatsResolvers } from './interfaces/resolvers.js';
import { routeResolvers } from './routes/resolvers.js';
import { flowsTypeDefs } from './flows/schema.js';
import type {
  MutationResolvers,
  QueryResolvers,
  Resolvers,
  SubscriptionResolvers,
} from './generated/graphql.js';
import { interfaceStatsTypeDefs } from './interfaces/schema.js';
import { routesTypeDefs } from './routes/schema.js';
import { readSettings, requestLimits } from './shared/limits.js';
import { pagingTypeDefs } from './shared/paging.js';
import { slots } from './shared/slots.js';
import { scalarsTypeDefs } from './shared/scalars.js';
import { uvesTypeDefs } from './uves/schema.js';
import { uveResolvers } from './uves/resolvers.js';
import { alarmSource, alarmSubscriptions } from './alarms/stream.js';
import { busSources } from './streams/bus-sources.js';
import { Streams, type Source, type StreamName } from './streams/hub.js';
import { Identities } from './streams/identities.js';
import { streamResolvers } from './streams/resolvers.js';
import { streamsTypeDefs } from './streams/schema.js';
import { graphqlWebSocket } from './streams/ws.js';
import { workloadResolvers } from './workloads/resolvers.js';
import { workloadsTypeDefs } from './workloads/schema.js';
import {
  REACHABILITY_READS,
  reachabilityResolvers,
  reachabilityTypeResolvers,
} from './reachability/resolvers.js';
import { reachabilityTypeDefs } from './reachability/schema.js';

/**
 * What the mutations reach: the bus to the alarm engine, when this process has one to it, how long
 * a mutation waits for the engine (the query timeout), and the key of receivers' secrets if any.
 */
export interface MutationDeps {
  bus?: Bus;
  waitMs: number;
  secrets?: SecretBox;
  /** The live streams the subscriptions follow (none: every subscription is refused, named). */
  streams?: Streams;
}

/**
 * What the resolvers of one request share: the loaders through which fields below the root read the
 * warehouse, each read gathering the keys of all the field's parents.
 */
export interface QueryContext {
  alarmLinks: AlarmLinks;
  ruleNames: RuleNames;
}

const requestContext = (warehouse: Warehouse): QueryContext => ({
  alarmLinks: alarmLinks(warehouse),
  ruleNames: ruleNames(warehouse),
});

/**
 * Each domain brings its SDL, its root resolvers and its mutations if any; the resolvers of fields
 * below the root, if any, and which of those read the warehouse (Type.field): the cost of a request
 * charges them as root fields.
 */
interface Domain {
  typeDefs: string;
  resolvers?: (warehouse: Warehouse) => QueryResolvers;
  mutations?: (warehouse: Warehouse, deps: MutationDeps) => MutationResolvers;
  subscriptions?: (streams: Streams) => SubscriptionResolvers;
  types?: Omit<Resolvers, 'Query' | 'Mutation' | 'Subscription'>;
  reads?: readonly string[];
}

const domains: Domain[] = [
  { typeDefs: flowsTypeDefs, resolvers: flowResolvers, types: flowRuleResolvers, reads: RULE_FIELDS },
  { typeDefs: interfaceStatsTypeDefs, resolvers: interfaceStatsResolvers },
  { typeDefs: uvesTypeDefs, resolvers: uveResolvers },
  { typeDefs: routesTypeDefs, resolvers: routeResolvers },
  { typeDefs: deadLettersTypeDefs, resolvers: deadLetterResolvers },
  {
    typeDefs: alarmsTypeDefs,
    resolvers: alarmResolvers,
    mutations: alarmMutations,
    subscriptions: alarmSubscriptions,
    types: alarmLinkResolvers,
    reads: ALARM_LINK_FIELDS,
  },
  { typeDefs: streamsTypeDefs, subscriptions: streamResolvers },
  { typeDefs: alarmReceiversTypeDefs, resolvers: alarmReceiverResolvers, mutations: alarmReceiverMutations },
  { typeDefs: workloadsTypeDefs, resolvers: workloadResolvers },
  {
    typeDefs: reachabilityTypeDefs,
    resolvers: reachabilityResolvers,
    types: reachabilityTypeResolvers,
    reads: REACHABILITY_READS,
  },
];

/** The domains' resolvers of fields below the root, merged per type (two domains may add fields to Flow). */
function typeResolvers(): Omit<Resolvers, 'Query' | 'Mutation'> {
  const merged: Record<string, object> = {};
  for (const d of domains) {
    for (const [type, fields] of Object.entries(d.types ?? {})) merged[type] = { ...merged[type], ...fields };
  }
  return merged;
}

/** The fields below the root that read the warehouse, as Type.field. */
export const nestedReads: ReadonlySet<string> = new Set(domains.flatMap((d) => d.reads ?? []));

const log = logger('query');

export interface QueryApi {
  handler: RequestListener;
  /** GraphQL over WebSocket (graphql-ws) on /graphql. */
  upgrade: UpgradeListener;
  /** Ends the subscriptions (each told why) and the WebSocket connections. */
  close(): Promise<void>;
  /** For tests and embedding: answers a Fetch API request. */
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
}

/** The API's schema: the shared SDL and every domain's, with their resolvers over the warehouse. */
export function querySchema(
  warehouse: Warehouse,
  deps: MutationDeps = { waitMs: defaultQueryConfig.queryTimeout },
): GraphQLSchema {
  return createSchema({
    typeDefs: [scalarsTypeDefs, pagingTypeDefs, ...domains.map((d) => d.typeDefs)],
    resolvers: {
      ...typeResolvers(),
      Query: domains.reduce<QueryResolvers>((all, d) => ({ ...all, ...d.resolvers?.(warehouse) }), {}),
      Mutation: domains.reduce<MutationResolvers>(
        (all, d) => ({ ...all, ...d.mutations?.(warehouse, deps) }),
        {},
      ),
      Subscription: domains.reduce<SubscriptionResolvers>(
        (all, d) => ({ ...all, ...d.subscriptions?.(deps.streams ?? noStreams) }),
        {},
      ),
    },
  });
}

/** Where no live stream is fed (printing the schema): every subscription is refused. */
const noStreams = new Streams({}, { maxSubscriptions: 1, maxQueued: 1 });

/** The query service's options: the limits of a request and of each warehouse read it makes. */
export const options = queryOptions;
export type QueryConfig = ConfigOf<typeof options>;

/** The options' defaults, as parsed: what the API applies when not told otherwise. */
export const defaultQueryConfig = Object.fromEntries(
  Object.entries(options).map(([name, spec]) => [name, spec.schema.parse(spec.default)]),
) as QueryConfig;

/**
 * Every read of the API carries the limits' settings; the warehouse's other users (the writer) do
 * not. At most `concurrent` reads are in flight: embedded, each runs beside the inserts and takes
 * cores from them (the engine's, as many as max_threads). A read that cannot start within the
 * timeout is refused.
 */
function limitedReads(
  warehouse: Warehouse,
  settings: QuerySettings,
  concurrent: number,
  waitMs: number,
): Warehouse {
  const reads = slots(
    concurrent,
    waitMs,
    () =>
      new FabricError(
        'RESOURCE_EXHAUSTED',
        `the warehouse is busy: no read of this request could start within ${waitMs} ms (query-timeout, query-max-concurrent-reads)`,
      ),
  );
  return {
    dictionarySource: () => warehouse.dictionarySource(),
    query: async (sql, params, more) => {
      await reads.take();
      try {
        return await warehouse.query(sql, params, { ...settings, ...more });
      } finally {
        reads.release();
      }
    },
    exec: () => Promise.reject(new Error('the query API does not write')),
    insertProtobuf: () => Promise.reject(new Error('the query API does not write')),
    insertRows: () => Promise.reject(new Error('the query API does not write')),
    close: async () => undefined,
  };
}

let graphiqlPage: string | undefined;

/**
 * GraphiQL with its scripts, styles and editor workers inlined (yoga's default loads them from a
 * CDN): it works where the pipeline runs without the Internet. Rendered once: it is about 9 MB.
 */
function offlineGraphiQL(options?: GraphiQLOptions): string {
  graphiqlPage ??= renderGraphiQL(options);
  return graphiqlPage;
}

/**
 * The GraphQL API over the warehouse, served at /graphql with GraphiQL for people (subscriptions over
 * SSE there too, and over WebSocket through `upgrade`). A request over the limits of `config` is
 * refused before it runs; each read it makes is bounded in the engine. `feed`, the bus the live
 * streams follow; without one, subscriptions are refused, named.
 */
export function createQueryApi(
  warehouse: Warehouse,
  config: Partial<QueryConfig> = {},
  bus?: Bus,
  secrets?: SecretBox,
  feed?: Bus,
): QueryApi {
  const limits = { ...defaultQueryConfig, ...config };
  const reads = limitedReads(
    warehouse,
    readSettings(limits),
    limits.queryMaxConcurrentReads,
    limits.queryTimeout,
  );
  const streams = liveStreams(reads, limits, feed);
  const yoga = createYoga<object, QueryContext>({
    schema: querySchema(reads, { bus, waitMs: limits.queryTimeout, secrets, streams }),
    context: () => requestContext(reads),
    graphqlEndpoint: '/graphql',
    graphiql: { title: 'fabricscope', subscriptionsProtocol: 'WS' },
    renderGraphiQL: offlineGraphiQL,
    landingPage: false,
    plugins: [
      requestLimits(
        {
          maxAliases: limits.queryMaxAliases,
          maxDepth: limits.queryMaxDepth,
          maxTokens: limits.queryMaxTokens,
          maxCost: limits.queryMaxCost,
          maxListValues: limits.queryMaxListValues,
          maxFilters: limits.queryMaxFilters,
          maxArgumentValues: limits.queryMaxArgumentValues,
        },
        nestedReads,
      ),
    ],
    logging: {
      debug: (...args) => log.debug(args.map(String).join(' ')),
      info: (...args) => log.info(args.map(String).join(' ')),
      warn: (...args) => log.warn(args.map(String).join(' ')),
      error: (...args) => log.error(args.map(String).join(' ')),
    },
  });
  const ws = graphqlWebSocket(yoga);
  return {
    handler: yoga,
    upgrade: ws.upgrade,
    fetch: async (url, init) => yoga.fetch(new Request(url, init)),
    close: async () => {
      await streams.close();
      await ws.close();
    },
  };
}

/** The live streams: flows, UVE changes and generator events from the bus, alarms from the warehouse. */
function liveStreams(warehouse: Warehouse, limits: QueryConfig, feed?: Bus): Streams {
  const sources: Partial<Record<StreamName, Source<unknown>>> = feed
    ? { ...busSources(feed, new Identities(warehouse)), alarms: alarmSource(warehouse) }
    : {};
  return new Streams(
    sources,
    { maxSubscriptions: limits.queryMaxSubscriptions, maxQueued: limits.querySubscriptionQueue },
    'this query service follows no bus: run it with the collector (embedded) or with --kafka-brokers',
  );
}

/**
 * Every read of the API sets its limits per query (max_execution_time, …), which a ClickHouse user
 * with readonly=1 refuses (Code 164) whatever the query: found at start rather than at every request.
 * system.settings, not getSetting(), which servers before 20.x lack.
 */
async function checkReadSettingsAllowed(warehouse: Warehouse): Promise<void> {
  const rows = await warehouse.query<{ value: string }>(
    "SELECT value FROM system.settings WHERE name = 'readonly'",
  );
  if (rows[0]?.value !== '1') return;
  throw new FabricError(
    'CONFIG',
    'the warehouse user has readonly=1, which refuses the limits the query API sets on every read ' +
      '(max_execution_time, max_rows_to_read, max_memory_usage, max_query_size): give the query service ' +
      'a ClickHouse user whose profile has readonly=2 (reads only, settings allowed) in --clickhouse-url',
  );
}

/**
 * The query service: mounts the GraphQL API at /graphql on the routes of the process's HTTP server
 * (WebSocket upgrades on `upgrades`), and, when --clickhouse-http-port is set, serves the embedded
 * warehouse over ClickHouse's HTTP interface on that port (query/clickhouse-http/).
 * `bus`, where the process reaches the alarm engine through one, carries acknowledgements;
 * `secrets` seals receivers' secrets and opens them to test-send; `feed`, where the process can
 * follow the bus (Kafka, or the collector's log in this process), feeds the live streams.
 */
export async function start(
  config: QueryConfig,
  deps: {
    warehouse: Warehouse;
    routes: Record<string, RequestListener>;
    upgrades?: Record<string, UpgradeListener>;
    bus?: Bus;
    secrets?: SecretBox;
    feed?: Bus;
  },
): Promise<{ close(): Promise<void> }> {
  await checkReadSettingsAllowed(deps.warehouse);
  const clickhouseHttp =
    config.clickhouseHttpPort === undefined
      ? undefined
      : await startClickHouseHttp(deps.warehouse, config.clickhouseHttpPort, config);
  const api = createQueryApi(deps.warehouse, config, deps.bus, deps.secrets, deps.feed);
  deps.routes['/graphql'] = api.handler;
  if (deps.upgrades) deps.upgrades['/graphql'] = api.upgrade;
  return {
    close: async () => {
      await api.close();
      await clickhouseHttp?.close();
    },
  };
}
