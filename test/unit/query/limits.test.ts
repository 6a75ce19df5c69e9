import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getIntrospectionQuery, isObjectType } from 'graphql';
import {
  limitError,
  type QueryParams,
  type QuerySettings,
  type Warehouse,
} from '../../../common/warehouse/warehouse.js';
import {
  createQueryApi,
  defaultQueryConfig,
  nestedReads,
  querySchema,
  type QueryConfig,
} from '../../../query/index.js';

/** A warehouse that answers every read with no rows and keeps what it was asked. */
function fakeWarehouse() {
  const reads: { sql: string; params?: QueryParams; settings?: QuerySettings }[] = [];
  const warehouse: Warehouse = {
    dictionarySource: () => '',
    query: async <T>(sql: string, params?: QueryParams, settings?: QuerySettings) => {
      reads.push({ sql, params, settings });
      return [] as T[];
    },
    exec: async () => undefined,
    insertProtobuf: async () => undefined,
    insertRows: async () => undefined,
    close: async () => undefined,
  };
  return { warehouse, reads };
}

interface Answer {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function ask(
  query: string,
  variables: Record<string, unknown> = {},
  config: Partial<QueryConfig> = {},
): Promise<Answer & { reads: number }> {
  const { warehouse, reads } = fakeWarehouse();
  const api = createQueryApi(warehouse, config);
  const response = await api.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { ...((await response.json()) as Answer), reads: reads.length };
}

/** The answer is refused with `code`, a message matching `message`, and nothing was read. */
function refused(answer: Answer & { reads: number }, code: string, message: RegExp): void {
  assert.ok(answer.errors?.length, `expected an error, got ${JSON.stringify(answer)}`);
  const [error] = answer.errors;
  assert.equal(error!.extensions?.code, code, JSON.stringify(error));
  assert.match(error!.message, message);
  assert.equal(answer.reads, 0, 'nothing reaches the warehouse');
}

const groups = (alias: string) => `${alias}: flowGroups(by: [VROUTER]) { groups { keys bytes } }`;

describe('GraphQL request limits', () => {
  it('runs a plain query, each read carrying the engine limits', async () => {
    const { warehouse, reads } = fakeWarehouse();
    const api = createQueryApi(warehouse, { queryTimeout: 2500, queryMaxRowsToRead: 1234 });
    const response = await api.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: `{ ${groups('a')} }` }),
    });
    const answer = (await response.json()) as Answer;
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    assert.ok(reads.length > 0);
    for (const read of reads)
      assert.deepEqual(read.settings, {
        max_execution_time: 2.5,
        max_rows_to_read: 1234,
        max_memory_usage: defaultQueryConfig.queryMaxMemory,
        max_query_size: defaultQueryConfig.queryMaxQuerySize,
        max_ast_elements: 1_000_000,
        max_expanded_ast_elements: 1_000_000,
      });
  });

  it('runs one warehouse read at a time, and refuses a read that cannot start in time', async () => {
    let running = 0;
    let most = 0;
    const { warehouse } = fakeWarehouse();
    const slow: Warehouse = {
      ...warehouse,
      query: async <T>() => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 50));
        running--;
        return [] as T[];
      },
    };
    const post = (api: ReturnType<typeof createQueryApi>) =>
      api
        .fetch('http://localhost/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ query: `{ ${groups('a')} }` }),
        })
        .then(async (r) => (await r.json()) as Answer);
    const api = createQueryApi(slow);
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(api)));
    assert.deepEqual(
      answers.map((a) => a.errors),
      [undefined, undefined, undefined, undefined],
    );
    assert.equal(most, 1);
    const impatient = createQueryApi(slow, { queryTimeout: 20 });
    const [, second] = await Promise.all([post(impatient), post(impatient)]);
    assert.equal(second.errors?.[0]?.extensions?.code, 'QUERY_TOO_EXPENSIVE');
    assert.match(second.errors[0]!.message, /the warehouse is busy: no read .* within 20 ms/);
  });

  it('refuses 20 aliased flowGroups', async () => {
    const query = `{ ${Array.from({ length: 20 }, (_, i) => groups(`g${i}`)).join(' ')} }`;
    refused(await ask(query), 'QUERY_TOO_EXPENSIVE', /20 aliases, more than 10 \(query-max-aliases\)/);
  });

  it('refuses a request over the cost limit, even without aliases', async () => {
    const query = `{ ${groups('a')} ${groups('b')} ${groups('c')} ${groups('d')} ${groups('e')} }`;
    refused(await ask(query), 'QUERY_TOO_EXPENSIVE', /costs more than 500 \(query-max-cost/);
    // The limit comes from the configuration.
    const cheap = await ask(`{ ${groups('a')} }`, {}, { queryMaxCost: 50 });
    refused(cheap, 'QUERY_TOO_EXPENSIVE', /costs more than 50 /);
  });

  it('charges a nested field that reads the warehouse as a root field, fragments followed', async () => {
    // flows 100 + edges 1 + node 1 + alarms 100 + type 1.
    const nested = '{ flows { edges { node { alarms { type } } } } }';
    assert.equal((await ask(nested, {}, { queryMaxCost: 203 })).errors, undefined);
    refused(
      await ask(nested, {}, { queryMaxCost: 202 }),
      'QUERY_TOO_EXPENSIVE',
      /costs more than 202 \(query-max-cost; 100 a field that reads the warehouse: a root field, .*Flow\.alarms/,
    );
    const spread = `{ flows { edges { ... on FlowEdge { node { ...f } } } } } fragment f on Flow { alarms { type } }`;
    refused(await ask(spread, {}, { queryMaxCost: 202 }), 'QUERY_TOO_EXPENSIVE', /costs more than 202 /);
    // uve 100 + name 1 + alarms 100 + type 1; the listing's UVEs link too.
    const uve = '{ uve(type: "vrouter", name: "compute-1") { name alarms { type } } }';
    assert.equal((await ask(uve, {}, { queryMaxCost: 202 })).errors, undefined);
    refused(await ask(uve, {}, { queryMaxCost: 201 }), 'QUERY_TOO_EXPENSIVE', /costs more than 201 /);
    const listing = '{ uves(type: "vrouter") { alarms { type } } }';
    refused(await ask(listing, {}, { queryMaxCost: 200 }), 'QUERY_TOO_EXPENSIVE', /costs more than 200 /);
  });

  it('names only fields of the schema as nested reads', () => {
    const schema = querySchema(fakeWarehouse().warehouse);
    assert.ok(nestedReads.size > 0);
    for (const coordinate of nestedReads) {
      const [type = '', field = ''] = coordinate.split('.');
      const parent = schema.getType(type);
      assert.ok(isObjectType(parent) && parent.getFields()[field], `${coordinate} is not in the schema`);
    }
  });

  it('refuses a deep query, fragments followed', async () => {
    const query = `{ flows { ...e } } fragment e on FlowConnection { edges { node { __typename } } pageInfo { hasNextPage } }`;
    assert.equal((await ask(query)).errors, undefined);
    refused(
      await ask(query, {}, { queryMaxDepth: 3 }),
      'QUERY_TOO_EXPENSIVE',
      /4 levels deep, more than 3 \(query-max-depth\)/,
    );
  });

  it('answers the introspection query GraphiQL sends', async () => {
    const answer = await ask(getIntrospectionQuery());
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
  });

  it('refuses a document of too many tokens before parsing it all', async () => {
    const query = `{ ${'__typename '.repeat(6000)} }`;
    refused(await ask(query), 'QUERY_TOO_EXPENSIVE', /more than 5000 tokens \(query-max-tokens\)/);
  });

  it('refuses a filter field of 101 values, inline or in variables', async () => {
    const ips = Array.from({ length: 101 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const inline = `{ flowGroups(by: [VROUTER], filter: [{ ip: ${JSON.stringify(ips)} }]) { table } }`;
    refused(
      await ask(inline),
      'QUERY_TOO_EXPENSIVE',
      /flowGroups\(filter\)\.ip: 101 values, more than 100 \(query-max-list-values\)/,
    );
    const query = `query($f: [FlowFilter!]) { flowGroups(by: [VROUTER], filter: $f) { table } }`;
    refused(await ask(query, { f: [{ ip: ips }] }), 'QUERY_TOO_EXPENSIVE', /101 values, more than 100/);
    assert.equal((await ask(query, { f: [{ ip: ips.slice(1) }] })).errors, undefined);
  });

  it('refuses 21 filters in one list, and 2000 values in all', async () => {
    const query = `query($f: [FlowFilter!]) { flowGroups(by: [VROUTER], exclude: $f) { table } }`;
    const filters = Array.from({ length: 21 }, (_, i) => ({ port: [i] }));
    refused(
      await ask(query, { f: filters }),
      'QUERY_TOO_EXPENSIVE',
      /21 values, more than 20 \(query-max-filters\)/,
    );
    const ips = (n: number) => Array.from({ length: 100 }, (_, i) => `10.${n}.0.${i}`);
    const many = Array.from({ length: 20 }, (_, n) => ({ ip: ips(n) }));
    refused(
      await ask(query, { f: many }),
      'QUERY_TOO_EXPENSIVE',
      /2001 values, more than 1000 \(query-max-argument-values\)/,
    );
  });

  it('refuses relative times beyond ten years as bad input', async () => {
    const query = `{ flowGroups(by: [VROUTER], from: "now-1000000000000000d") { table } }`;
    refused(await ask(query), 'BAD_USER_INPUT', /from: "now-1000000000000000d" reaches more than 10 years/);
    const far = `{ flowTotals(to: "9999-01-01T00:00:00Z") { records } }`;
    refused(
      await ask(far),
      'BAD_USER_INPUT',
      /to: "9999-01-01T00:00:00Z" is outside 1970-01-01 to 2200-01-01/,
    );
  });

  it('refuses cursors whose values the warehouse could not bind', async () => {
    const cursor = (position: object) => Buffer.from(JSON.stringify(position)).toString('base64url');
    const good = {
      time: '2026-11-23 12:00:00.000001',
      generator: 'g',
      epoch: '1',
      seq: '2',
      uuid: '0b2d8c6e-5f44-4a4f-9d3e-0a1b2c3d4e5f',
    };
    const query = (after: string) => `{ flows(after: "${after}") { edges { cursor } } }`;
    assert.equal((await ask(query(cursor(good)))).errors, undefined);
    for (const bad of [
      { ...good, time: "2026-11-23 12:00:00') OR 1=1 --" },
      { ...good, time: '2026-02-31 12:00:00' },
      { ...good, epoch: '-1' },
      { ...good, seq: '18446744073709551616' },
      { ...good, uuid: 'not-a-uuid' },
    ])
      refused(
        await ask(query(cursor(bad))),
        'BAD_USER_INPUT',
        /after: ".*" is not a cursor this API returned/,
      );
    const route = {
      at: -1e30,
      rank: 300,
      net: '::',
      bits: 0,
      name: '',
      protocol: '',
      peer: '',
      generator: '',
    };
    refused(
      await ask(`{ routes(vrf: "v", after: "${cursor(route)}") { at } }`),
      'BAD_USER_INPUT',
      /after: ".*" is not a cursor this API returned/,
    );
  });

  it('refuses an IPv6 zone in a CIDR as bad input', async () => {
    const query = `{ flowGroups(by: [VROUTER], filter: [{ ip: ["::1%eth0/64"] }]) { table } }`;
    refused(await ask(query), 'BAD_USER_INPUT', /"::1%eth0\/64" is not an IP address or CIDR/);
  });
});

describe('warehouse limit errors', () => {
  it('are RESOURCE_EXHAUSTED with the engine sentence; other failures are not', () => {
    const server = limitError(
      '158',
      'Limit for rows or bytes to read exceeded, max rows: 1.00, current rows: 10.00. (TOO_MANY_ROWS) (version 24.8)',
    );
    assert.equal(server?.code, 'RESOURCE_EXHAUSTED');
    const chdb = limitError(
      '159',
      'Code: 159. DB::Exception: Timeout exceeded: elapsed 1 s, maximum: 0.5 s. (TIMEOUT_EXCEEDED)',
    );
    assert.equal(
      chdb?.message,
      'the query went over a limit of the warehouse: Timeout exceeded: elapsed 1 s, maximum: 0.5 s',
    );
    assert.equal(
      limitError('62', 'Code: 62. DB::Exception: Max query size exceeded: ... (SYNTAX_ERROR)')?.code,
      'RESOURCE_EXHAUSTED',
    );
    assert.equal(
      limitError('62', 'Code: 62. DB::Exception: Syntax error: failed at position 1 (SYNTAX_ERROR)'),
      undefined,
    );
    assert.equal(limitError('60', 'Code: 60. DB::Exception: Unknown table (UNKNOWN_TABLE)'), undefined);
    assert.equal(limitError(undefined, 'socket hang up'), undefined);
  });
});
