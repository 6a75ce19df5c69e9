import type { GraphQLSchema } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import type { ConfigOf, OptionTable } from '../common/config.js';
import type { RequestListener } from '../common/http.js';
import { logger } from '../common/log.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { deadLetterResolvers } from './deadletters/resolvers.js';
import { deadLettersTypeDefs } from './deadletters/schema.js';
import { flowResolvers } from './flows/resolvers.js';
import { interfaceStatsResolvers } from './interfaces/resolvers.js';
import { routeResolvers } from './routes/resolvers.js';
import { flowsTypeDefs } from './flows/schema.js';
import type { QueryResolvers } from './generated/graphql.js';
import { interfaceStatsTypeDefs } from './interfaces/schema.js';
import { routesTypeDefs } from './routes/schema.js';
import { pagingTypeDefs } from './shared/paging.js';
import { scalarsTypeDefs } from './shared/scalars.js';
import { uvesTypeDefs } from './uves/schema.js';
import { uveResolvers } from './uves/resolvers.js';

/** Each domain brings its SDL and its root resolvers. */
const domains: { typeDefs: string; resolvers: (warehouse: Warehouse) => QueryResolvers }[] = [
  { typeDefs: flowsTypeDefs, resolvers: flowResolvers },
  { typeDefs: interfaceStatsTypeDefs, resolvers: interfaceStatsResolvers },
  { typeDefs: uvesTypeDefs, resolvers: uveResolvers },
  { typeDefs: routesTypeDefs, resolvers: routeResolvers },
  { typeDefs: deadLettersTypeDefs, resolvers: deadLetterResolvers },
];

const log = logger('query');

export interface QueryApi {
  handler: RequestListener;
  /** For tests and embedding: answers a Fetch API request. */
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
}

/** The API's schema: the shared SDL and every domain's, with their resolvers over the warehouse. */
export function querySchema(warehouse: Warehouse): GraphQLSchema {
  return createSchema({
    typeDefs: [scalarsTypeDefs, pagingTypeDefs, ...domains.map((d) => d.typeDefs)],
    resolvers: {
      Query: domains.reduce<QueryResolvers>((all, d) => ({ ...all, ...d.resolvers(warehouse) }), {}),
    },
  });
}

/** The GraphQL API over the warehouse, served at /graphql with GraphiQL for people. */
export function createQueryApi(warehouse: Warehouse): QueryApi {
  const yoga = createYoga({
    schema: querySchema(warehouse),
    graphqlEndpoint: '/graphql',
    graphiql: { title: 'fabricscope' },
    landingPage: false,
    logging: {
      debug: (...args) => log.debug(args.map(String).join(' ')),
      info: (...args) => log.info(args.map(String).join(' ')),
      warn: (...args) => log.warn(args.map(String).join(' ')),
      error: (...args) => log.error(args.map(String).join(' ')),
    },
  });
  return { handler: yoga, fetch: async (url, init) => yoga.fetch(new Request(url, init)) };
}

/** The query service has no options of its own yet: it serves on the process's HTTP server. */
export const options = {} as const satisfies OptionTable;
export type QueryConfig = ConfigOf<typeof options>;

/** The query service: mounts the GraphQL API at /graphql on the routes of the process's HTTP server. */
export async function start(
  _config: QueryConfig,
  deps: { warehouse: Warehouse; routes: Record<string, RequestListener> },
): Promise<{ close(): Promise<void> }> {
  deps.routes['/graphql'] = createQueryApi(deps.warehouse).handler;
  return { close: async () => undefined };
}
