import assert from 'node:assert/strict';
import type { QueryApi } from '../query/index.js';

export interface GraphqlBody {
  data?: Record<string, unknown>;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Posts GraphQL to an in-process query API, as a client would over HTTP. */
export async function post(api: QueryApi, query: string): Promise<GraphqlBody> {
  const response = await api.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as GraphqlBody;
}

/** The data of a query that must succeed. */
export async function ask<T>(api: QueryApi, query: string): Promise<T> {
  const body = await post(api, query);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data as T;
}
