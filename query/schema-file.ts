import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, printSchema } from 'graphql';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { querySchema } from './index.js';

/**
 * query/schema.graphql is the SDL the API serves, printed. The SDL is assembled in TypeScript (each
 * domain's, and soon partly from the flow catalog) while graphql-codegen, which types the resolvers
 * at build time, reads a file: so the file is committed, `npm run schema` rewrites it (then
 * prettier formats it), and a unit test fails when it differs from the schema the API builds.
 */

// Compiled to dist/query/ and run from there.
const schemaFile = fileURLToPath(new URL('../../query/schema.graphql', import.meta.url));

const header = '# The schema the query API serves, printed by `npm run schema` (query/schema-file.ts).\n\n';

const unused = (): never => {
  throw new Error('printing the schema reads no warehouse');
};
const noWarehouse: Warehouse = {
  dictionarySource: () => '',
  query: unused,
  exec: unused,
  insertProtobuf: unused,
  insertRows: unused,
  close: unused,
};

/** The schema the API builds, printed. */
export const printedSchema = (): string => printSchema(querySchema(noWarehouse));

/** The committed schema file printed the same way, so its formatting and comments do not count. */
export const committedSchema = (): string => printSchema(buildSchema(readFileSync(schemaFile, 'utf8')));

if (process.argv[1] === fileURLToPath(import.meta.url))
  writeFileSync(schemaFile, `${header}${printedSchema()}\n`);
