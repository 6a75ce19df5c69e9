import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FabricError } from '../../../../common/errors.js';
import { filters } from '../../../../common/sql/flows/fields.js';
import { flowWhere, type FlowCondition, type FlowTest } from '../../../../common/sql/flows/filter.js';
import { languageField, languageFieldNames } from '../../../../common/sql/flows/language/fields.js';
import { parseFlowFilter } from '../../../../common/sql/flows/language/parse.js';
import { Params } from '../../../../common/sql/params.js';
import { createRng, type Rng } from '../../../../simulator/fabric/random.js';

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

// ---- random valid filters, with the tree each must read as ----

interface Generated {
  text: string;
  tree: FlowCondition;
}

const shuffleCase = (rng: Rng, word: string): string =>
  [...word].map((c) => (rng.next() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
const space = (rng: Rng): string => rng.pick([' ', ' ', '  ', '\n', '\t ']);
/** Marks every generated text value: it must never be found in SQL. */
const MARK = 'zq';
const hostile = [
  "'",
  '"',
  '\\',
  ';',
  '--',
  '{p0:String}',
  ')',
  '(',
  ' OR 1=1',
  '%',
  '_',
  '*',
  '?',
  'é',
  '\u{1F600}',
  '\n',
  '\t',
  'DROP TABLE flows',
  '\u0000',
];

function hostileText(rng: Rng): string {
  let text = MARK;
  for (let n = rng.int(0, 5); n > 0; n--) text += rng.pick([...hostile, 'ab', 'x-1', ':']);
  return text;
}

/** A double-quoted string literal of the text, escaped as the grammar reads it. */
const quoted = (text: string): string =>
  `"${[...text]
    .map((c) => {
      if (c === '"' || c === '\\') return `\\${c}`;
      if (c === '\n') return '\\n';
      if (c === '\t') return '\\t';
      if (c < ' ') return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
      return c;
    })
    .join('')}"`;

/** Each field of the language: its name there and the FlowFilter field it tests. */
const fieldForms: [string, string][] = languageFieldNames.map((name) => [name, languageField(name)!.filter]);

const ipv4 = (rng: Rng): string => Array.from({ length: 4 }, () => rng.int(0, 255)).join('.');
const ipv6 = (rng: Rng): string =>
  `2001:db8:${rng.int(0, 0xffff).toString(16)}::${rng.int(1, 0xffff).toString(16)}`;
const protocols: Record<string, number> = {
  tcp: 6,
  udp: 17,
  icmp: 1,
  gre: 47,
  esp: 50,
  icmp6: 58,
  sctp: 132,
};

/** A value of the field's kind: how it is written, and what the tree holds. */
function value(rng: Rng, name: string): { written: string; held: string | number } {
  const { kind, values } = filters[name]!;
  switch (kind) {
    case 'text': {
      if (rng.next() < 0.3) {
        const word = `${MARK}${rng.pick(['web-1', ':admin:vn', 'x_y.z'])}`;
        return { written: word, held: word };
      }
      const text = hostileText(rng);
      return { written: quoted(text), held: text };
    }
    case 'port': {
      const n = rng.int(0, 65535);
      return { written: String(n), held: n };
    }
    case 'protocol': {
      if (rng.next() < 0.5) {
        const n = rng.int(0, 255);
        return { written: String(n), held: n };
      }
      const name = rng.pick(Object.keys(protocols));
      return { written: shuffleCase(rng, name), held: protocols[name]! };
    }
    case 'enum': {
      const v = rng.pick(values);
      const written = shuffleCase(rng, v);
      return { written: rng.next() < 0.5 ? written : quoted(written), held: v };
    }
    case 'ip': {
      const address = rng.next() < 0.5 ? ipv4(rng) : ipv6(rng);
      const bits = rng.int(0, address.includes(':') ? 128 : 32);
      const text = rng.next() < 0.5 ? address : `${address}/${bits}`;
      return { written: rng.next() < 0.2 ? quoted(text) : text, held: text };
    }
    case 'label': {
      const text = rng.next() < 0.5 ? hostileText(rng) : `${hostileText(rng)}=${hostileText(rng)}`;
      return { written: quoted(text), held: text };
    }
  }
}

/** A glob of marked text, wildcards and LIKE's own wildcards, and the LIKE pattern it must become. */
function glob(rng: Rng): { written: string; held: string } {
  const pieces: [string, string][] = [
    ['*', '%'],
    ['?', '_'],
    ['%', '\\%'],
    ['_', '\\_'],
    ['ab', 'ab'],
    ["'", "'"],
    ['\\\\', '\\\\'],
    ['\\*', '*'],
  ];
  let written = MARK;
  let held = MARK;
  for (let n = rng.int(0, 4); n > 0; n--) {
    const [w, h] = rng.pick(pieces);
    written += w;
    held += h;
  }
  return { written: quoted(written), held };
}

function generatedTest(rng: Rng): Generated {
  const [written, field] = rng.pick(fieldForms);
  const { kind } = filters[field]!;
  const name = shuffleCase(rng, written);
  const negate = rng.next() < 0.3;
  const tested = (op: FlowTest['op'], values: (string | number)[]): FlowCondition =>
    negate ? { not: { field, op, values } } : { field, op, values };
  const choices = ['=', 'in'];
  if (kind === 'text') choices.push('~', 'like');
  if (kind === 'port' || kind === 'protocol') choices.push('<', '<=', '>', '>=');
  if (kind === 'ip') choices.push('<<');
  const op = rng.pick(choices);
  const s = () => (rng.next() < 0.5 ? ' ' : space(rng));
  if (op === 'in') {
    const vs = Array.from({ length: rng.int(1, 4) }, () => value(rng, field));
    const keyword = `${negate ? `${shuffleCase(rng, 'not')} ` : ''}${shuffleCase(rng, 'in')}`;
    const list = vs.map((v) => v.written).join(`,${s()}`);
    return {
      text: `${name} ${keyword}${s()}(${list})`,
      tree: tested(
        'in',
        vs.map((v) => v.held),
      ),
    };
  }
  if (op === '~' || op === 'like') {
    const pattern = op === '~' ? glob(rng) : { written: quoted(`${MARK}%'_`), held: `${MARK}%'_` };
    const operator =
      op === '~' ? (negate ? '!~' : '~') : `${negate ? 'not ' : ''}${shuffleCase(rng, 'like')}`;
    return { text: `${name} ${operator}${s()}${pattern.written}`, tree: tested('like', [pattern.held]) };
  }
  if (op === '<<') {
    const cidr = rng.next() < 0.5 ? `${ipv4(rng)}/${rng.int(0, 32)}` : `${ipv6(rng)}/${rng.int(0, 128)}`;
    return { text: `${name}${s()}${negate ? '!<<' : '<<'}${s()}${cidr}`, tree: tested('in', [cidr]) };
  }
  const v = value(rng, field);
  if (op === '=')
    return { text: `${name}${s()}${negate ? '!=' : '='}${s()}${v.written}`, tree: tested('in', [v.held]) };
  // An order is not negated with a symbol: wrap it in not.
  const order = { field, op: op as FlowTest['op'], values: [v.held] };
  const text = `${name}${s()}${op}${s()}${v.written}`;
  return negate ? { text: `not ${text}`, tree: { not: order } } : { text, tree: order };
}

function generated(rng: Rng, depth: number): Generated {
  const roll = rng.next();
  if (depth <= 0 || roll < 0.45) return generatedTest(rng);
  if (roll < 0.55) {
    const inner = generated(rng, depth - 1);
    return { text: `${shuffleCase(rng, 'not')}${space(rng)}(${inner.text})`, tree: { not: inner.tree } };
  }
  const operator = roll < 0.8 ? 'and' : 'or';
  const parts = Array.from({ length: rng.int(2, 4) }, () => generated(rng, depth - 1));
  // A part is parenthesised unless it is a test: the tree then mirrors the generation.
  const text = parts
    .map((p) => ('field' in p.tree || ('not' in p.tree && 'field' in p.tree.not) ? p.text : `(${p.text})`))
    .join(`${space(rng)}${shuffleCase(rng, operator)}${space(rng)}`);
  const tree = operator === 'and' ? { and: parts.map((p) => p.tree) } : { or: parts.map((p) => p.tree) };
  return { text, tree };
}

/** Every value of the tree's tests, as its parameter holds it. */
function heldValues(tree: FlowCondition): string[] {
  if ('and' in tree) return tree.and.flatMap(heldValues);
  if ('or' in tree) return tree.or.flatMap(heldValues);
  if ('not' in tree) return heldValues(tree.not);
  const { kind } = filters[tree.field]!;
  return tree.values.map((v) => {
    if (kind === 'ip') return String(v).split('/')[0]!;
    if (kind === 'label') return String(v).split('=')[0]!;
    return String(v);
  });
}

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
      const { text, tree } = generated(rng, 3);
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
      const text = i % 2 === 0 ? randomString(rng) : mutated(rng, generated(rng, 2).text);
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
