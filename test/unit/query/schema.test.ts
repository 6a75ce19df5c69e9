import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { committedSchema, printedSchema } from '../../../query/schema-file.js';

describe('the committed GraphQL schema', () => {
  it('is the schema the API builds, which codegen types the resolvers from (npm run schema rewrites it)', () => {
    assert.equal(committedSchema(), printedSchema(), 'query/schema.graphql is stale: run npm run schema');
  });
});
