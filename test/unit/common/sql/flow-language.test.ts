import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FabricError } from '../../../../common/errors.js';
import {
  flowWhere,
  type FlowCondition,
  type FlowFilterInput,
  type FlowOperator,
  type FlowTest,
} from '../../../../common/sql/flows/filter.js';
import {
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  parseFlowFilter,
} from '../../../../common/sql/flows/language/parse.js';
import { Params } from '../../../../common/sql/params.js';

const parsed = (text: string): FlowCondition => parseFlowFilter(text);
const test = (field: string, op: FlowOperator, ...values: (string | number)[]): FlowTest => ({
  field,
  op,
  values,
});

/** The message a filter is refused with, which must be bad input. */
function refusal(text: string): string {
  try {
    parseFlowFilter(text);
  } catch (err) {
    assert.ok(err instanceof FabricError, String(err));
    assert.equal(err.code, 'INVALID_ARGUMENT');
    return err.message;
  }
  assert.fail(`${text.slice(0, 80)} was accepted`);
}

describe('flow filter language: operators', () => {
  const cases: [string, FlowCondition][] = [
    ['src.namespace = "payments"', test('sourceNamespace', 'in', 'payments')],
    ['src.namespace != payments', { not: test('sourceNamespace', 'in', 'payments') }],
    ['dst.port < 1024', test('destPort', '<', 1024)],
    ['dst.port <= 1024', test('destPort', '<=', 1024)],
    ['port > 1024', test('port', '>', 1024)],
    ['protocol >= 17', test('protocol', '>=', 17)],
    ['dst.port in (80, 443)', test('destPort', 'in', 80, 443)],
    ['action not in (deny, "DROP")', { not: test('action', 'in', 'deny', 'drop') }],
    ['dst.ip << 10.0.0.0/8', test('destIp', 'in', '10.0.0.0/8')],
    ['src.ip !<< 2001:db8::/32', { not: test('sourceIp', 'in', '2001:db8::/32') }],
    ['src.workload ~ "web-*"', test('sourceWorkload', 'like', 'web-%')],
    ['workload !~ web-?', { not: test('workload', 'like', 'web-_') }],
    ['vrouter like "compute-%"', test('vrouter', 'like', 'compute-%')],
    ['vrouter not like "compute\\\\_%"', { not: test('vrouter', 'like', 'compute\\_%') }],
  ];
  for (const [text, tree] of cases)
    it(`reads ${text}`, () => {
      assert.deepEqual(parsed(text), tree);
    });

  it('turns a glob into a LIKE pattern, LIKE wildcards and backslashes taken literally', () => {
    assert.deepEqual(
      parsed(String.raw`workload ~ "a%b_c\\\\d\\*e?"`),
      test('workload', 'like', String.raw`a\%b\_c\\d*e_`),
    );
  });

  it('refuses an operator the field does not take, listing those it does', () => {
    assert.equal(
      refusal('src.namespace < 3'),
      'where: src.namespace takes `=`, `!=`, `in`, `not in`, `~`, `!~`, `like`, `not like`, not `<` at 1:15',
    );
    assert.match(
      refusal('dst.port ~ "8*"'),
      /^where: dst\.port takes `=`, `!=`, `in`, `not in`, `<`, `<=`, `>`, `>=`, not `~` at 1:10$/,
    );
    assert.match(refusal('src.namespace !<< 10.0.0.0/8'), /not `!<<` at 1:15$/);
    assert.match(
      refusal('action not like "d%"'),
      /^where: action takes `=`, `!=`, `in`, `not in`, not `not like` at 1:8$/,
    );
  });
});

describe('flow filter language: and, or, not, parentheses', () => {
  const a = test('vrouter', 'in', 'a');
  const b = test('vrouter', 'in', 'b');
  const c = test('vrouter', 'in', 'c');

  it('binds not tighter than and, and tighter than or', () => {
    assert.deepEqual(parsed('vrouter = a or vrouter = b and vrouter = c'), { or: [a, { and: [b, c] }] });
    assert.deepEqual(parsed('not vrouter = a and vrouter = b'), { and: [{ not: a }, b] });
    assert.deepEqual(parsed('vrouter = a and vrouter = b or not vrouter = c'), {
      or: [{ and: [a, b] }, { not: c }],
    });
  });

  it('groups with parentheses', () => {
    assert.deepEqual(parsed('(vrouter = a or vrouter = b) and vrouter = c'), { and: [{ or: [a, b] }, c] });
    assert.deepEqual(parsed('not (vrouter = a or vrouter = b)'), { not: { or: [a, b] } });
    assert.deepEqual(parsed('((vrouter = a))'), a);
  });

  it('keeps a chain flat and cancels not not', () => {
    assert.deepEqual(parsed('vrouter = a or vrouter = b or vrouter = c'), { or: [a, b, c] });
    assert.deepEqual(parsed('not not vrouter = a'), a);
    assert.deepEqual(parsed('not not not vrouter = a'), { not: a });
  });

  it('reads keywords and field names in any case, and without spaces around symbols', () => {
    assert.deepEqual(parsed('VRouter=a OR NOT(vrouter=b) aNd DST.Port IN(53)'), {
      or: [a, { and: [{ not: b }, test('destPort', 'in', 53)] }],
    });
  });

  it('holds for every flow when blank', () => {
    assert.deepEqual(parsed(' \n\t'), { and: [] });
    assert.equal(flowWhere(null, null, new Params(), parsed('')).sql, '1');
  });
});

describe('flow filter language: fields and values', () => {
  it('names fields as FlowFilter does, with src./dst. and snake_case, and a few aliases', () => {
    assert.deepEqual(parsed('drop_reason = x'), test('dropReason', 'in', 'x'));
    assert.deepEqual(parsed('dropReason = x'), test('dropReason', 'in', 'x'));
    assert.deepEqual(parsed('sourcePort = 1'), test('sourcePort', 'in', 1));
    assert.deepEqual(parsed('source.port = 1'), test('sourcePort', 'in', 1));
    assert.deepEqual(parsed('src.pod = p'), test('sourceWorkload', 'in', 'p'));
    assert.deepEqual(parsed('dst.vm = v'), test('destWorkload', 'in', 'v'));
    assert.deepEqual(parsed('verdict = deny'), test('action', 'in', 'deny'));
    assert.deepEqual(parsed('src.label = "app=web"'), test('sourceLabel', 'in', 'app=web'));
  });

  it('reads protocol names as numbers', () => {
    assert.deepEqual(parsed('protocol in (tcp, UDP, "icmp", 47)'), test('protocol', 'in', 6, 17, 1, 47));
    assert.deepEqual(parsed('proto = icmp6'), test('protocol', 'in', 58));
  });

  it('reads IPv4 and IPv6 addresses and prefixes', () => {
    assert.deepEqual(
      parsed('ip in (10.0.0.1, 10.0.0.0/24, ::1, fe80::/10, 2001:db8::a:1, ::ffff:10.0.0.1, "192.0.2.1")'),
      test(
        'ip',
        'in',
        '10.0.0.1',
        '10.0.0.0/24',
        '::1',
        'fe80::/10',
        '2001:db8::a:1',
        '::ffff:10.0.0.1',
        '192.0.2.1',
      ),
    );
  });

  it('reads names unquoted, VN names with colons among them', () => {
    assert.deepEqual(parsed('vn = default-domain:admin:web and vrouter = compute-3'), {
      and: [test('vn', 'in', 'default-domain:admin:web'), test('vrouter', 'in', 'compute-3')],
    });
  });

  it('reads string escapes in double and single quotes', () => {
    assert.deepEqual(
      parsed(String.raw`vrouter in ("a\"b\\c\n\t\r", 'it\'s', "\u0041\u{1F600}")`),
      test('vrouter', 'in', 'a"b\\c\n\t\r', "it's", 'A\u{1F600}'),
    );
    assert.equal(
      refusal(String.raw`vrouter = "a\q"`),
      String.raw`where: unknown escape \q (the escapes are \" \' \\ \n \r \t \uXXXX \u{X…}) at 1:14`,
    );
    assert.equal(
      refusal('vrouter = "abc'),
      'where: unterminated string: the closing quote is missing at 1:15',
    );
  });

  // The same value refused by the structured filter and by the language, in the same words.
  const bad: [FlowFilterInput, string, string][] = [
    [{ destPort: [70000] }, 'dst.port = 70000', '1:12'],
    [{ protocol: ['smtp'] }, 'protocol = smtp', '1:12'],
    [{ action: ['allow'] }, 'action = allow', '1:10'],
    [{ direction: ['up'] }, 'direction in (ingress, up)', '1:24'],
    [{ destIp: ['nope'] }, 'dst.ip = nope', '1:10'],
    [{ ip: ['10.0.0.0/33'] }, 'ip = 10.0.0.0/33', '1:6'],
    [{ ip: ['10.0.0.256'] }, 'ip = 10.0.0.256', '1:6'],
    [{ label: ['=web'] }, 'label = "=web"', '1:9'],
  ];
  for (const [structured, text, at] of bad)
    it(`refuses ${text} at ${at} as the structured filter refuses ${JSON.stringify(structured)}`, () => {
      const [name] = Object.keys(structured);
      let expected = '';
      assert.throws(
        () => flowWhere([structured], null, new Params()),
        (err: Error) => ((expected = err.message.replace(`filter.${name}: `, '')), true),
      );
      const field = text.split(' ')[0];
      assert.equal(refusal(text), `where: ${field}: ${expected} at ${at}`);
    });

  it('refuses a << of an address: a prefix is expected', () => {
    assert.equal(
      refusal('dst.ip << 10.0.0.1'),
      'where: expected a CIDR (10.0.0.0/8, 2001:db8::/32) at 1:11, found `10.0.0.1`',
    );
  });

  it('refuses an unknown field, naming it and the fields there are', () => {
    assert.match(
      refusal('vrouter = a and src.nmespace = b'),
      /^where: unknown field `src\.nmespace` at 1:17 \(fields: vrouter, direction, src\.vn, vn, dst\.vn, src\.ip, .*src\.namespace/,
    );
  });
});

describe('flow filter language: syntax errors', () => {
  const cases: [string, string][] = [
    [
      'src.namespace = "payments" nad action = deny',
      'where: expected one of `and`, `or`, end of input at 1:28, found `nad`',
    ],
    ['(vrouter = a nad', 'where: expected one of `and`, `or`, `)` at 1:14, found `nad`'],
    ['dst.port in (80, 443', 'where: expected one of `,`, `)` at 1:21, found end of input'],
    ['dst.port in ()', 'where: expected a value at 1:14, found `)`'],
    ['vrouter = a and', 'where: expected one of `not`, `(`, a field name at 1:16, found end of input'],
    ['vrouter = a)', 'where: expected one of `and`, `or`, end of input at 1:12, found `)`'],
    [
      'vrouter\n  and x',
      'where: expected one of `not`, `in`, `like`, `!<<`, `<<`, `!~`, `~`, `<=`, `>=`, `!=`, `<`, `=`, `>` at 2:3, found `and`',
    ],
    ['vrouter = ', 'where: expected a value at 1:11, found end of input'],
  ];
  for (const [text, message] of cases)
    it(`names the position and what was expected: ${JSON.stringify(text)}`, () => {
      assert.equal(refusal(text), message);
    });
});

describe('flow filter language: limits', () => {
  it(`refuses a filter longer than ${MAX_FILTER_LENGTH} characters before reading it`, () => {
    assert.equal(refusal('x'.repeat(100_000)), `where: 100000 characters, more than ${MAX_FILTER_LENGTH}`);
  });

  it(`refuses parentheses deeper than ${MAX_FILTER_DEPTH} where they open, without exhausting the stack`, () => {
    assert.equal(refusal('('.repeat(10_000)), `where: 10000 characters, more than ${MAX_FILTER_LENGTH}`);
    assert.equal(
      refusal('('.repeat(4000)),
      `where: parentheses nested deeper than ${MAX_FILTER_DEPTH} at 1:${MAX_FILTER_DEPTH + 1}`,
    );
    const nested = (depth: number) => `${'('.repeat(depth)}vrouter = a${')'.repeat(depth)}`;
    assert.deepEqual(parsed(nested(MAX_FILTER_DEPTH)), test('vrouter', 'in', 'a'));
    assert.match(refusal(nested(MAX_FILTER_DEPTH + 1)), /nested deeper than/);
    // Depth is counted, not accumulated: many groups side by side are fine.
    assert.ok(parsed(Array.from({ length: 40 }, () => nested(MAX_FILTER_DEPTH)).join(' or ')));
  });

  it('reads a long run of nots as one or none', () => {
    assert.deepEqual(parsed(`${'not '.repeat(1000)}vrouter = a`), test('vrouter', 'in', 'a'));
  });
});

describe('flow filter language: the README', () => {
  it('reads every example of its section', () => {
    const readme = readFileSync(new URL('../../../../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('### Filter language');
    const section = readme.slice(start, readme.indexOf('\n## ', start));
    const examples = [
      ...[...section.matchAll(/^\s*where: "(.*)"$/gm)].map((m) => m[1]!),
      ...[...section.matchAll(/```text\n([^`]*)```/g)]
        .map((m) => m[1]!)
        .filter((block) => !block.startsWith('filter '))
        .flatMap((block) => block.trim().split('\n')),
    ];
    assert.ok(examples.length >= 5, `${examples.length} examples`);
    for (const example of examples) assert.ok('and' in parsed(example), example);
  });
});
