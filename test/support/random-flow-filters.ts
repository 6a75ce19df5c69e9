import { filters } from '../../common/sql/flows/fields.js';
import type { FlowCondition, FlowTest } from '../../common/sql/flows/filter.js';
import { languageField, languageFieldNames } from '../../common/sql/flows/language/fields.js';
import type { Rng } from '../../simulator/fabric/random.js';

/**
 * Random valid filters of the filter language, each with the WHERE tree it must read as: any field
 * (names in any case), every operator its kind takes, values of every form (quoted with escapes,
 * bare, addresses, prefixes, protocol names) and hostile text (quotes, backslashes, SQL, placeholders).
 * Every text value starts with MARK, which SQL text never holds.
 */

/** Marks every generated text value. */
export const MARK = 'zq';

export interface RandomFilter {
  text: string;
  tree: FlowCondition;
}

const shuffleCase = (rng: Rng, word: string): string =>
  [...word].map((c) => (rng.next() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
const space = (rng: Rng): string => rng.pick([' ', ' ', '  ', '\n', '\t ']);
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

function generatedTest(rng: Rng): RandomFilter {
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

export function randomFilter(rng: Rng, depth: number): RandomFilter {
  const roll = rng.next();
  if (depth <= 0 || roll < 0.45) return generatedTest(rng);
  if (roll < 0.55) {
    const inner = randomFilter(rng, depth - 1);
    return { text: `${shuffleCase(rng, 'not')}${space(rng)}(${inner.text})`, tree: { not: inner.tree } };
  }
  const operator = roll < 0.8 ? 'and' : 'or';
  const parts = Array.from({ length: rng.int(2, 4) }, () => randomFilter(rng, depth - 1));
  // A part is parenthesised unless it is a test: the tree then mirrors the generation.
  const text = parts
    .map((p) => ('field' in p.tree || ('not' in p.tree && 'field' in p.tree.not) ? p.text : `(${p.text})`))
    .join(`${space(rng)}${shuffleCase(rng, operator)}${space(rng)}`);
  const tree = operator === 'and' ? { and: parts.map((p) => p.tree) } : { or: parts.map((p) => p.tree) };
  return { text, tree };
}

/** Every value of the tree's tests, as its parameter holds it. */
export function heldValues(tree: FlowCondition): string[] {
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
