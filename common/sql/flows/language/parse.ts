import { FabricError, invalid } from '../../../errors.js';
import { parseCidr } from '../../cidr.js';
import { operators, type FlowCondition, type FlowOperator, type FlowTest } from '../filter.js';
import { checkedValue } from '../values.js';
import { parse, SyntaxError as GrammarError } from './generated/parser.js';
import { languageField, languageFieldNames, type LanguageField } from './fields.js';

/**
 * The filter language (grammar.peggy) read into the WHERE tree of flow queries, the tree the
 * structured filter becomes too (../filter.ts), with its values checked as the structured filter
 * checks them. Every error is bad input naming where it is (line:column) and what was expected.
 */

/** The longest filter read: typed or built by a dashboard, 4 KiB holds hundreds of values. */
export const MAX_FILTER_LENGTH = 4096;
/** The deepest parentheses read. */
export const MAX_FILTER_DEPTH = 32;

/** What the grammar returns: its nodes, each with where it was written. */
interface Position {
  offset: number;
  line: number;
  column: number;
}
interface Span {
  start: Position;
}
type Node = { kind: 'and' | 'or'; of: Node[] } | { kind: 'not'; of: Node } | TestNode;
interface TestNode {
  kind: 'test';
  field: { name: string; at: Span };
  op: TextOperator;
  negated: boolean;
  values: ValueNode[];
  opAt: Span;
}
type TextOperator = '=' | 'in' | '<' | '<=' | '>' | '>=' | '<<' | '~' | 'like';
interface ValueNode {
  /** A string's content, any other value as written. */
  text: string;
  at: Span;
}

/** An expectation of peggy's syntax error. */
type Expectation =
  | { type: 'literal'; text: string }
  | { type: 'class'; parts: (string | [string, string])[]; inverted: boolean }
  | { type: 'any' | 'end' }
  | { type: 'other'; description: string };

/**
 * A filter written in the language as the WHERE tree flow queries take (FlowSelection.where); a
 * blank filter holds for every flow. Throws INVALID_ARGUMENT (BAD_USER_INPUT) naming the position.
 */
export function parseFlowFilter(text: string): FlowCondition {
  if (text.length > MAX_FILTER_LENGTH)
    throw invalid(`where: ${text.length} characters, more than ${MAX_FILTER_LENGTH}`);
  if (text.trim() === '') return { and: [] };
  return condition(syntaxTree(text));
}

function syntaxTree(text: string): Node {
  try {
    return parse(text, { maxDepth: MAX_FILTER_DEPTH }) as Node;
  } catch (err) {
    if (!(err instanceof GrammarError)) throw err;
    const { expected, location } = err as unknown as { expected: Expectation[] | null; location: Span };
    const at = position(location);
    if (!expected) throw invalid(`where: ${err.message} at ${at}`);
    throw invalid(
      `where: expected ${expectations(expected)} at ${at}, found ${found(text, location.start.offset)}`,
    );
  }
}

const position = ({ start }: Span): string => `${start.line}:${start.column}`;

function expectations(expected: readonly Expectation[]): string {
  const described = [...new Set(expected.flatMap(describe))];
  return described.length === 1 ? described[0]! : `one of ${described.join(', ')}`;
}

/** peggy merges one-character literals into a class: such a class is told as its characters. */
function describe(e: Expectation): string[] {
  switch (e.type) {
    case 'literal':
      return [`\`${e.text}\``];
    case 'class': {
      const chars = e.parts.flatMap((p) => (typeof p === 'string' ? [p] : characters(p)));
      return e.inverted ? [`a character other than ${chars.join(' ')}`] : chars.map((c) => `\`${c}\``);
    }
    case 'any':
      return ['any character'];
    case 'end':
      return ['end of input'];
    case 'other':
      return [e.description];
  }
}

const characters = ([from, to]: [string, string]): string[] =>
  Array.from({ length: to.charCodeAt(0) - from.charCodeAt(0) + 1 }, (_, i) =>
    String.fromCharCode(from.charCodeAt(0) + i),
  );

/** The word or character at the error, as the user wrote it. */
function found(text: string, offset: number): string {
  if (offset >= text.length) return 'end of input';
  const token = /^[\w.:/*?%@+-]{1,40}/.exec(text.slice(offset))?.[0] ?? text.slice(offset, offset + 1);
  return `\`${token}\``;
}

function condition(node: Node): FlowCondition {
  switch (node.kind) {
    case 'and':
      return { and: node.of.map(condition) };
    case 'or':
      return { or: node.of.map(condition) };
    case 'not':
      return { not: condition(node.of) };
    case 'test':
      return test(node);
  }
}

/** Each operator of the language, the tree's operator it is, and the kinds of field it applies to. */
const treeOperators: Record<TextOperator, FlowOperator> = {
  '=': 'in',
  in: 'in',
  '<<': 'in',
  '~': 'like',
  like: 'like',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};
const written: Record<TextOperator, string[]> = {
  '=': ['=', '!='],
  in: ['in', 'not in'],
  '<<': ['<<', '!<<'],
  '~': ['~', '!~'],
  like: ['like', 'not like'],
  '<': ['<'],
  '<=': ['<='],
  '>': ['>'],
  '>=': ['>='],
};

function test(node: TestNode): FlowCondition {
  const field = languageField(node.field.name);
  if (!field) {
    const known = languageFieldNames.join(', ');
    throw invalid(
      `where: unknown field \`${node.field.name}\` at ${position(node.field.at)} (fields: ${known})`,
    );
  }
  const { kind } = field.spec;
  const applies = (op: TextOperator): boolean =>
    op === '<<' ? kind === 'ip' : operators[kind].includes(treeOperators[op]);
  if (!applies(node.op)) {
    const taken = (Object.keys(written) as TextOperator[]).filter(applies).flatMap((op) => written[op]);
    const used = written[node.op][node.negated ? 1 : 0];
    throw invalid(
      `where: ${node.field.name} takes ${taken.map((op) => `\`${op}\``).join(', ')}, not \`${used}\` at ${position(node.opAt)}`,
    );
  }
  const what = `where: ${node.field.name}`;
  const tested: FlowTest = {
    field: field.filter,
    op: treeOperators[node.op],
    values: node.values.map((v) => at(v, () => value(field, node.op, v, what))),
  };
  return node.negated ? { not: tested } : tested;
}

/** A value as the tree holds it, checked as the structured filter checks it. */
function value(field: LanguageField, op: TextOperator, v: ValueNode, what: string): string | number {
  switch (op) {
    case '<<':
      parseCidr(v.text, what);
      return v.text;
    case '~':
      return likePattern(v.text);
    case 'like':
      return v.text;
    default:
      return checkedValue(field.spec.kind, field.spec.values, v.text, what);
  }
}

/** The error of a value, told where the value was written. */
function at<T>(v: ValueNode, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof FabricError && err.code === 'INVALID_ARGUMENT')
      throw invalid(`${err.message} at ${position(v.at)}`);
    throw err;
  }
}

/** A glob (`*` any run, `?` one character, `\` quotes the next) as a LIKE pattern. */
function likePattern(glob: string): string {
  let pattern = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) pattern += likeLiteral(glob[++i]!);
    else pattern += c === '*' ? '%' : c === '?' ? '_' : likeLiteral(c);
  }
  return pattern;
}

const likeLiteral = (c: string): string => (c === '%' || c === '_' || c === '\\' ? `\\${c}` : c);
