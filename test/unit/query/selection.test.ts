import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema, graphql, type GraphQLResolveInfo } from 'graphql';
import { groupsQuery, recordsQuery } from '../../../common/sql/flows/queries.js';
import { selectedFields } from '../../../query/shared/selection.js';

const schema = buildSchema(`
  type Group { keys: [String!]! records: Float! bytes: Float! packets: Float! }
  type Groups { table: String! groups: [Group!]! }
  type Query { flowGroups: Groups! }
`);

/** The fields `document` selects on each group, as the resolver of flowGroups sees them. */
async function asked(document: string): Promise<string[]> {
  let seen: Set<string> | undefined;
  const rootValue = {
    flowGroups: (_args: unknown, _context: unknown, info: GraphQLResolveInfo) => {
      seen = selectedFields(info, ['groups']);
      return { table: 'flows', groups: [] };
    },
  };
  const result = await graphql({ schema, source: document, rootValue });
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  return [...seen!].sort();
}

describe('selected fields', () => {
  it('reads the fields under a path, through fragments and inline fragments', async () => {
    assert.deepEqual(await asked('{ flowGroups { table groups { keys records } } }'), ['keys', 'records']);
    assert.deepEqual(
      await asked(`{ flowGroups { groups { ...G ... on Group { packets } } } }
        fragment G on Group { bytes }`),
      ['bytes', 'packets'],
    );
    assert.deepEqual(await asked('{ flowGroups { table } }'), []);
  });
});

describe('flow groups SQL', () => {
  const range = { fromUs: 1_795_000_000e6, toUs: 1_795_000_000e6 + 600e6 };

  it('sums the metric it orders by and those asked for, no others', () => {
    const { sql } = groupsQuery({ range }, ['SOURCE_IP'], 'bytes', 10, ['records']);
    assert.match(sql, /count\(\) AS records/);
    assert.match(sql, /AS bytes/);
    assert.doesNotMatch(sql, /packets/);
    const all = groupsQuery({ range }, ['SOURCE_IP'], 'records', 10).sql;
    assert.match(all, /AS bytes/);
    assert.match(all, /AS packets/);
  });

  it('groups IPv4 address pairs by their stored pair, and only source then destination on raw flows', () => {
    const pairs = groupsQuery({ range }, ['SOURCE_IP', 'DEST_IP'], 'bytes', 10).sql;
    assert.match(pairs, /GROUP BY ipv4_pair/);
    assert.match(pairs, /ipv4_pair != 0[\s\S]*UNION ALL[\s\S]*ipv4_pair = 0\s+GROUP BY g0, g1/);
    for (const by of [['DEST_IP', 'SOURCE_IP'], ['SOURCE_IP'], ['SOURCE_IP', 'DEST_IP', 'DEST_PORT']]) {
      assert.doesNotMatch(groupsQuery({ range }, by, 'bytes', 10).sql, /ipv4_pair/, by.join(', '));
    }
  });

  it('reads the record columns asked for and those of the cursor, or all when none are named', () => {
    const { sql } = recordsQuery({ range }, 21, undefined, ['destPort']);
    const list = sql.slice(0, sql.indexOf(' FROM '));
    assert.match(list, /dport AS destPort/);
    assert.match(list, /flow_uuid/);
    assert.match(list, /generator/);
    assert.doesNotMatch(list, /source_labels|dest_ip/);
    assert.match(recordsQuery({ range }, 21).sql, /source_labels AS sourceLabels/);
    assert.throws(() => recordsQuery({ range }, 21, undefined, ['nope']), /no flow column nope/);
  });

  it('leaves the cursor columns out when no cursor is asked, and reads the time when nothing is', () => {
    const listOf = (sql: string) => sql.slice(0, sql.indexOf(' FROM '));
    const list = listOf(recordsQuery({ range }, 21, undefined, ['destPort'], false).sql);
    assert.match(list, /dport AS destPort/);
    assert.doesNotMatch(list, /flow_uuid|generator|batch_/);
    assert.equal(listOf(recordsQuery({ range }, 21, undefined, [], false).sql), 'SELECT time');
    assert.match(recordsQuery({ range }, 21, undefined, undefined, false).sql, /flow_uuid/);
  });
});
