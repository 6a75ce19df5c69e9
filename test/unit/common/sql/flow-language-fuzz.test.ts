import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FabricError } from '../../../../common/errors.js';
import { filters } from '../../../../common/sql/flows/fields.js';
import { flowWhere, type FlowCondition } from '../../../../common/sql/flows/filter.js';
import { parseFlowFilter } from '../../../../common/sql/flows/language/parse.js';
import { Params } from '../../../../common/sql/params.js';
import { createRng, type Rng } from '../../../../simulator/fabric/random.js';
import { heldValues, MARK, randomFilter } from '../../../support/random-flow-filters.js';

/**
 * No input reaches SQL as text. Seeded random filters, valid ones built with the tree they must
 * read as and strings made of the language's pieces and hostile text, are read and built: every
 * SQL text is made of the builder's own words only (columns, operators, functions, typed
 * placeholders), no value written in a filter appears in it, and the parameters carry the values.
 * Anything refused is refused as bad input naming a position. FABRICSCOPE_FUZZ_SEED replays a run.
 */

const SEED = Number(process.env.FABRICSCOPE_FUZZ_SEED ?? 0x5f17e6);
const VALID_FILTERS = 1500;
const RANDOM_STRINGS = 3000;

/** Every word the builder writes. Anything else in the SQL came from somewhere else. */
const columns = new Set(Object.values(filters).flatMap((spec) => spec.on.map((d) => d.column)));
const sqlWords = new Set([
  ...columns,
  ...['AND', 'OR', 'NOT', 'IN', 'LIKE', 'BETWEEN'],
  ...['toIPv6', 'IPv6CIDRToRange', 'tupleElement', 'mapContains'],
]);
const placeholderTypes = new Set([
  'String',
  'UInt8',
  'UInt16',
  'Array(String)',
  'Array(UInt8)',
  'Array(UInt16)',
]);
const sqlToken = /\s+|\{p(\d+):([A-Za-z0-9()]+)\}|[A-Za-z_][A-Za-z0-9_]*|<=|>=|[0-2]|[(),[\]<>=]/y;

/** The SQL of a filter, checked to hold nothing but the builder's words and one placeholder per parameter. */
function checkedSql(condition: FlowCondition, context: string): { sql: string; params: Params } {
  const params = new Params();
  const { sql } = flowWhere(null, null, params, condition);
  const used = new Set<string>();
  sqlToken.lastIndex = 0;
  while (sqlToken.lastIndex < sql.length) {
    const at = sqlToken.lastIndex;
    const match = sqlToken.exec(sql);
    assert.ok(match, `${context}: unexpected SQL text at ${at}: ${sql.slice(at, at + 40)}\n${sql}`);
    const [token, index, type] = match;
    if (index !== undefined) {
      assert.ok(placeholderTypes.has(type!), `${context}: placeholder type ${type}`);
      used.add(`p${index}`);
    } else if (/^[A-Za-z]/.test(token))
      assert.ok(sqlWords.has(token), `${context}: SQL word ${token}\n${sql}`);
  }
  assert.deepEqual(
    [...used].sort(),
    Object.keys(params.values).sort(),
    `${context}: placeholders and parameters`,
  );
  return { sql, params };
}

/** The values a parameter holds, flattened, as text. */
const parameterValues = (params: Params): Set<string> =>
  new Set(Object.values(params.values).flatMap((v) => (Array.isArray(v) ? v : [v]).map(String)));

// ---- random strings ----

const pieces = [
  ...['src.', 'dst.', 'ip', 'port', 'namespace', 'action', 'protocol', 'label', 'vrouter', 'bogus'],
  ...[' ', ' ', '  ', '\n', '=', '!=', '<', '<=', '>', '>=', '<<', '!<<', '~', '!~', ',', '(', '(', ')', ')'],
  ...['in', 'not', 'and', 'or', 'like', 'AND', 'Not'],
  ...['"', "'", '\\', '\\u', '\\u{', '10.0.0.1', '/8', '/33', '::', 'fe80::1', '80', '70000', 'tcp', 'deny'],
  ...[MARK, '*', '%', '{p0:String}', "'; DROP TABLE flows --", '\u0000', 'é', '\u{1F600}', '9'.repeat(30)],
];

function randomString(rng: Rng): string {
  let text = '';
  for (let n = rng.int(1, 40); n > 0; n--) text += rng.pick(pieces);
  return text;
}

/** A valid filter with one character deleted, inserted or replaced: near misses. */
function mutated(rng: Rng, text: string): string {
  const at = rng.int(0, text.length);
  const c = rng.pick(['(', ')', '"', ' ', 'x', '=', '\\', ',', '<', '9']);
  switch (rng.int(0, 2)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + c + text.slice(at);
    default:
      return text.slice(0, at) + c + text.slice(at + 1);
  }
}

/** The tree of any text, or its refusal as bad input with a position: anything else fails the run. */
function readAny(text: string, context: string): FlowCondition | undefined {
  try {
    return parseFlowFilter(text);
  } catch (err) {
    assert.ok(err instanceof FabricError && err.code === 'INVALID_ARGUMENT', `${context}: ${String(err)}`);
    assert.match(err.message, /^where: .* at \d+:\d+(, found .*| \(fields: .*\))?$/s, context);
    return undefined;
  }
}

describe(`flow filter language fuzz (seed ${SEED})`, () => {
  it(`reads ${VALID_FILTERS} random valid filters as the tree they were built from, their values in parameters only`, () => {
    const rng = createRng(SEED);
    for (let i = 0; i < VALID_FILTERS; i++) {
      const { text, tree } = randomFilter(rng, 3);
      if (text.length > 4096) continue;
      const context = `seed ${SEED} filter ${i}: ${JSON.stringify(text)}`;
      assert.deepEqual(parseFlowFilter(text), tree, context);
      const { sql, params } = checkedSql(tree, context);
      assert.ok(!sql.includes(MARK), `${context}: a value in the SQL text\n${sql}`);
      const held = parameterValues(params);
      for (const v of heldValues(tree))
        assert.ok(held.has(v), `${context}: ${JSON.stringify(v)} is in no parameter`);
    }
  });

  it(`refuses ${RANDOM_STRINGS} random strings and near misses as bad input, or builds SQL of its own words`, () => {
    const rng = createRng(SEED ^ 0x9e3779b1);
    let read = 0;
    for (let i = 0; i < RANDOM_STRINGS; i++) {
      const text = i % 2 === 0 ? randomString(rng) : mutated(rng, randomFilter(rng, 2).text);
      const context = `seed ${SEED} string ${i}: ${JSON.stringify(text)}`;
      const tree = readAny(text, context);
      if (!tree) continue;
      read++;
      checkedSql(tree, context);
    }
    // Both outcomes are exercised: some near misses still read, most random strings do not.
    assert.ok(read > RANDOM_STRINGS / 20 && read < RANDOM_STRINGS / 2, `${read} of ${RANDOM_STRINGS} read`);
  });
});
