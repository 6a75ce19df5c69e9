import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateRule } from '../../../alarms/rules/evaluate.js';
import { parseRule } from '../../../common/model/alarm-rules/parse.js';
import { appliesTo } from '../../../alarms/rules/scope.js';
import type { AlarmMatch, AlarmRule, AlarmRules, Uve } from '../../../common/model/alarm-rules/types.js';

/**
 * The rule cases of TF alarm-gen's own tests (contrail-opserver/test/test_alarm.py,
 * `test_05_evaluate_uve_for_alarms`: alarm1 … alarm13 and their UVEs), with the matches TF expects,
 * plus a raising and a non-raising case for every operation and operand form they leave out.
 */

type Term = { operand1: string; operation: string; operand2: Record<string, string>; variables?: string[] };

function rule(orList: Term[][], extra: Record<string, unknown> = {}): AlarmRule {
  return parseRule({
    name: 'test-alarm',
    alarm_severity: 1,
    uve_keys: { uve_key: ['table'] },
    alarm_rules: { or_list: orList.map((and_list) => ({ and_list })) },
    ...extra,
  });
}

const json = (operand1: string, operation: string, value: string, variables?: string[]): Term => ({
  operand1,
  operation,
  operand2: { json_value: value },
  ...(variables ? { variables } : {}),
});
const attr = (operand1: string, operation: string, other: string, variables?: string[]): Term => ({
  operand1,
  operation,
  operand2: { uve_attribute: other },
  ...(variables ? { variables } : {}),
});

const match = (op1: string, op2: string | null = null, vars: Record<string, string> = {}): AlarmMatch => ({
  json_operand1_value: op1,
  json_operand2_value: op2,
  json_variables: vars,
});

/** The expected report: per and_list that held, per condition, its matches. */
function report(r: AlarmRule, held: [number, AlarmMatch[][]][]): AlarmRules {
  return {
    or_list: held.map(([index, perCondition]) => ({
      and_list: perCondition.map((matches, i) => ({
        condition: (r.orList[index]?.[i] ?? assert.fail('no such condition')).condition,
        match: matches,
      })),
    })),
  };
}

const evaluate = (r: AlarmRule, uve: Uve, name = 'host1'): AlarmRules | null =>
  evaluateRule(r, 'table', name, uve);

// test_alarm.py's alarm configurations.
const alarm1 = rule([[json('A', '==', 'null')]]);
const alarm2 = rule([[attr('A.B.C', 'not in', 'X.Y')]]);
const alarm3 = rule([[attr('A.B', '!=', 'A.C')]]);
const alarm4 = rule([[json('A.B', '!=', '2')]]);
const alarm5 = rule([[attr('A.B', '<=', 'A.C.D', ['A.C.N'])]]);
const alarm6 = rule([[attr('A.B', '<=', 'A.C.D', ['A.C.N']), attr('A.B', '>=', 'A.C.E', ['A.C.N'])]]);
const alarm7 = rule([
  [json('A', '!=', 'null'), json('A.B', 'not in', '["abc", "def"]')],
  [json('A', '!=', 'null'), attr('A.B', '==', 'A.D')],
]);
const alarm8 = rule([[attr('A.B', '<=', 'A.C.D', ['A.C.N'])]], {
  name: undefined,
  parent_type: 'project',
  fq_name: ['default-domain', 'admin', 'alarm8'],
});
const alarm9 = rule([[attr('A.*.C', '!=', 'A.*.D', ['A.__key'])]]);
const alarm10 = rule([[attr('A.B.*.C', '!=', 'A.C', ['A.B.__key', 'A.B.*.D'])]]);
const alarm11 = rule([[attr('A.B', '<=', 'A.C.*.D', ['A.C.__key', 'A.C.__value'])]]);
const alarm12 = rule([
  [json('A.B.__key', 'not in', '["abc", "xyz"]', ['A.B.__key', 'A.B.__value', 'A.C', 'X.Y'])],
  [json('A.B.__value', 'not in', '["test1", "test2"]', ['A.B.__key', 'A.B.__value'])],
]);
const alarm13 = rule([
  [attr('A.B.C', '<', 'A.B.D'), json('A.B.C', '>', '100')],
  [json('A.B.C', 'range', '[500, 1000]')],
]);

describe('TF alarm-gen rule cases (test_alarm.py)', () => {
  it('compares a missing operand1 as null', () => {
    assert.deepEqual(evaluate(alarm1, {}), report(alarm1, [[0, [[match('null')]]]]));
    assert.equal(evaluate(alarm1, { A: { B: 1 } }), null);
  });

  it('compares a missing operand2 attribute as null', () => {
    const uve = { A: { B: { C: 'xyz' } }, X: { Z: 12 } };
    assert.deepEqual(evaluate(alarm2, uve), report(alarm2, [[0, [[match('"xyz"', 'null')]]]]));
  });

  it('fails the condition when a component before the last is missing, on either side', () => {
    assert.equal(evaluate(alarm2, { A: { D: 'test' }, X: { Y: ['xyz', 'abc'] } }), null);
    assert.equal(evaluate(alarm2, { A: { B: { C: 'abc' } } }), null);
  });

  it('compares two single attributes', () => {
    assert.equal(evaluate(alarm3, { A: { B: 'val1', C: 'val1' } }), null);
    assert.deepEqual(
      evaluate(alarm3, { A: { B: 'val1', C: 'val2' } }),
      report(alarm3, [[0, [[match('"val1"', '"val2"')]]]]),
    );
  });

  it('compares a single attribute with a json_value', () => {
    assert.equal(evaluate(alarm4, { A: { B: 2, C: 1 } }), null);
    assert.deepEqual(
      evaluate(alarm4, { A: { B: 3, C: 2 }, X: { Y: 'abc' } }),
      report(alarm4, [[0, [[match('3')]]]]),
    );
  });

  it('descends into a list and matches item by item; a string holding a number is that number', () => {
    assert.equal(
      evaluate(alarm4, {
        A: [
          { B: 2, C: 'abc' },
          { B: 2, C: 'xyz' },
        ],
      }),
      null,
    );
    const uve = {
      A: [
        { B: 1, C: 'abc' },
        { B: 2, C: 'qst' },
        { B: '3', C: 'xyz' },
      ],
    };
    assert.deepEqual(evaluate(alarm4, uve), report(alarm4, [[0, [[match('1'), match('3')]]]]));
  });

  it('matches each item of a list against a single operand2', () => {
    assert.equal(evaluate(alarm2, { A: { B: [{ C: 'abc' }] }, X: { Y: ['def', 'abc'] } }), null);
    const uve = { A: { B: [{ C: 'abc' }, { B: 'abc', C: 'def' }, { C: 'xyz' }] }, X: { Y: ['def', 'pqr'] } };
    assert.deepEqual(
      evaluate(alarm2, uve),
      report(alarm2, [[0, [[match('"abc"', '["def", "pqr"]'), match('"xyz"', '["def", "pqr"]')]]]]),
    );
  });

  it('pairs two lists item by item, a missing item attribute being null', () => {
    const same = {
      A: [
        { B: 'abc', C: 'abc' },
        { B: 'xyz', C: 'xyz' },
        { D: 1, E: 2 },
      ],
    };
    assert.equal(evaluate(alarm3, same), null);
    const uve = {
      A: [{ B: 'abc', C: 'abc' }, { B: 'xyz' }, { C: 'abc' }, { B: 'def', C: 'def' }, { B: 'def', C: 'qst' }],
      X: { A: 123 },
    };
    assert.deepEqual(
      evaluate(alarm3, uve),
      report(alarm3, [[0, [[match('"xyz"', 'null'), match('null', '"abc"'), match('"def"', '"qst"')]]]]),
    );
  });

  it('matches a single operand1 against each item of operand2, with the variables beside each item', () => {
    assert.equal(evaluate(alarm5, { A: { B: 10, C: [{ D: 5 }, { D: 2 }] } }), null);
    const uve = { A: { B: 10, C: [{ D: 5 }, { D: 11, N: 'abc', A: { B: 'abc' } }, { D: 25 }] } };
    assert.deepEqual(
      evaluate(alarm5, uve),
      report(alarm5, [
        [0, [[match('10', '11', { 'A.C.N': '"abc"' }), match('10', '25', { 'A.C.N': 'null' })]]],
      ]),
    );
  });

  it('raises only when every condition of an and_list has a match', () => {
    const notAll = {
      A: {
        B: 10,
        C: [
          { N: 'abc', D: 5, E: 5 },
          { N: 'hjk', D: 2, E: 4 },
        ],
      },
    };
    assert.equal(evaluate(alarm6, notAll), null);
    const all = {
      A: {
        B: 5,
        C: [
          { N: 'abc', D: 5, E: 5 },
          { N: 'hjk', D: 10, E: 4 },
        ],
      },
    };
    assert.deepEqual(
      evaluate(alarm6, all),
      report(alarm6, [
        [
          0,
          [
            [match('5', '5', { 'A.C.N': '"abc"' }), match('5', '10', { 'A.C.N': '"hjk"' })],
            [match('5', '5', { 'A.C.N': '"abc"' }), match('5', '4', { 'A.C.N': '"hjk"' })],
          ],
        ],
      ]),
    );
  });

  it('reports every and_list of the or_list that held, objects written as Python writes them', () => {
    assert.equal(evaluate(alarm7, { A: { B: 'abc' } }), null);
    assert.deepEqual(
      evaluate(alarm7, { A: { B: 'def', D: 'def' } }),
      report(alarm7, [[1, [[match('{"B": "def", "D": "def"}')], [match('"def"', '"def"')]]]]),
    );
    assert.deepEqual(
      evaluate(alarm7, { A: { B: 'xyz', D: 'xyz' } }),
      report(alarm7, [
        [0, [[match('{"B": "xyz", "D": "xyz"}')], [match('"xyz"')]]],
        [1, [[match('{"B": "xyz", "D": "xyz"}')], [match('"xyz"', '"xyz"')]]],
      ]),
    );
  });

  it("applies a project's rule to the project's UVEs only, a virtual machine's by its first interface", () => {
    const uve = { A: { B: 5, C: [{ D: 7 }] } };
    const raised = report(alarm8, [[0, [[match('5', '7', { 'A.C.N': 'null' })]]]]);
    assert.equal(evaluateRule(alarm8, 'table8', 'host1', uve), null);
    assert.deepEqual(evaluateRule(alarm8, 'table8', 'default-domain:admin:host1', uve), raised);
    const vm = (interfaces?: string[]) => ({
      ...uve,
      UveVirtualMachineAgent: interfaces ? { interface_list: interfaces } : { vm_name: 'vm1' },
    });
    const ifs = ['default-domain:admin:if1', 'default-domain:admin:if2'];
    assert.deepEqual(evaluateRule(alarm8, 'virtual-machine', 'vm1', vm(ifs)), raised);
    assert.equal(evaluateRule(alarm8, 'virtual-machine', 'vm1', vm(['default-domain:demo:if1'])), null);
    assert.equal(evaluateRule(alarm8, 'virtual-machine', 'vm1', uve), null);
    assert.equal(evaluateRule(alarm8, 'virtual-machine', 'vm1', vm()), null);
    // A global rule covers a virtual machine without its UveVirtualMachineAgent.
    assert.deepEqual(
      evaluateRule(alarm5, 'virtual-machine', 'vm1', { A: { B: 5, C: [{ D: 7, N: 'test' }] } }),
      report(alarm5, [[0, [[match('5', '7', { 'A.C.N': '"test"' })]]]]),
    );
  });

  it('fans out over every entry of an object with *, __key naming the entry', () => {
    const same = { A: { abc: { C: 'abc', D: 'abc' }, xyz: { C: 'qwe', D: 'qwe' } } };
    assert.equal(evaluate(alarm9, same), null);
    const uve = {
      A: {
        abc: { C: 10, D: 4, E: 10 },
        def: { C: 23, D: 23, E: 10 },
        rst: { C: 4 },
        bnm: { D: 45, E: 12 },
        dfg: {},
      },
    };
    assert.deepEqual(
      evaluate(alarm9, uve),
      report(alarm9, [
        [
          0,
          [
            [
              match('10', '4', { 'A.__key': '"abc"' }),
              match('4', 'null', { 'A.__key': '"rst"' }),
              match('null', '45', { 'A.__key': '"bnm"' }),
            ],
          ],
        ],
      ]),
    );
  });

  it('matches a wildcard operand1 against a single operand2, a variable through the wildcard', () => {
    assert.equal(
      evaluate(alarm10, { A: { B: { abc: { C: 'test1', D: 2 }, xyz: { C: 'test1' } }, C: 'test1' } }),
      null,
    );
    assert.deepEqual(
      evaluate(alarm10, { A: { B: { abc: { C: 'test1' }, def: { C: 'test2' } }, C: 'test1' } }),
      report(alarm10, [[0, [[match('"test2"', '"test1"', { 'A.B.__key': '"def"', 'A.B.*.D': 'null' })]]]]),
    );
  });

  it('matches a single operand1 against a wildcard operand2, __value naming the entry', () => {
    assert.equal(evaluate(alarm11, { A: { B: 5, C: { lmo: { D: 2 }, xyz: { D: 4, C: 'qwe' } } } }), null);
    assert.deepEqual(
      evaluate(alarm11, { A: { B: 5, C: { lmo: { D: 5 }, xyz: { D: 10, C: 'qwe' } } } }),
      report(alarm11, [
        [
          0,
          [
            [
              match('5', '5', { 'A.C.__key': '"lmo"', 'A.C.__value': '{"D": 5}' }),
              match('5', '10', { 'A.C.__key': '"xyz"', 'A.C.__value': '{"D": 10, "C": "qwe"}' }),
            ],
          ],
        ],
      ]),
    );
  });

  it('compares the keys (__key) or the values (__value) of an object', () => {
    assert.equal(evaluate(alarm12, { A: { B: { abc: 'test1', xyz: 'test2' } } }), null);
    assert.deepEqual(
      evaluate(alarm12, { A: { B: { abc: 'test3', def: 'test4' } } }),
      report(alarm12, [
        [
          0,
          [
            [
              match('"def"', null, {
                'A.B.__key': '"def"',
                'A.B.__value': '"test4"',
                'A.C': 'null',
                'X.Y': 'null',
              }),
            ],
          ],
        ],
        [
          1,
          [
            [
              match('"test3"', null, { 'A.B.__key': '"abc"', 'A.B.__value': '"test3"' }),
              match('"test4"', null, { 'A.B.__key': '"def"', 'A.B.__value': '"test4"' }),
            ],
          ],
        ],
      ]),
    );
  });

  it('orders with < and >, and tests a range including its bounds', () => {
    assert.equal(evaluate(alarm13, { A: { B: { C: 5, D: 5 } } }), null);
    assert.deepEqual(
      evaluate(alarm13, { A: { B: { C: 150, D: 200 } } }),
      report(alarm13, [[0, [[match('150', '200')], [match('150')]]]]),
    );
    assert.equal(evaluate(alarm13, { A: { B: { C: 1500 } } }), null);
    assert.deepEqual(evaluate(alarm13, { A: { B: { C: 500 } } }), report(alarm13, [[1, [[match('500')]]]]));
    assert.deepEqual(evaluate(alarm13, { A: { B: { C: 1000 } } }), report(alarm13, [[1, [[match('1000')]]]]));
  });
});

/** Whether a one-condition rule raises over `uve`. */
const raises = (term: Term, uve: Uve): boolean => evaluate(rule([[term]]), uve) !== null;

describe('every operation, raising and not', () => {
  const cases: [string, Term, Uve, Uve][] = [
    ['==', json('S.a', '==', '"up"'), { S: { a: 'up' } }, { S: { a: 'down' } }],
    ['!=', json('S.a', '!=', '"up"'), { S: { a: 'down' } }, { S: { a: 'up' } }],
    ['<', json('S.a', '<', '10'), { S: { a: 9 } }, { S: { a: 10 } }],
    ['<=', json('S.a', '<=', '10'), { S: { a: 10 } }, { S: { a: 11 } }],
    ['>', json('S.a', '>', '10'), { S: { a: 11 } }, { S: { a: 10 } }],
    ['>=', json('S.a', '>=', '10'), { S: { a: 10 } }, { S: { a: 9 } }],
    ['in', json('S.a', 'in', '["x", "y"]'), { S: { a: 'y' } }, { S: { a: 'z' } }],
    ['not in', json('S.a', 'not in', '["x", "y"]'), { S: { a: 'z' } }, { S: { a: 'x' } }],
    ['range', json('S.a', 'range', '[70, 90]'), { S: { a: 70 } }, { S: { a: 91 } }],
    ['size==', json('S.l', 'size==', '2'), { S: { l: [1, 2] } }, { S: { l: [1] } }],
    ['size!=', json('S.l', 'size!=', '0'), { S: { l: ['core.1'] } }, { S: { l: [] } }],
  ];
  for (const [operation, term, raising, quiet] of cases) {
    it(operation, () => {
      assert.equal(raises(term, raising), true, `${operation} over ${JSON.stringify(raising)}`);
      assert.equal(raises(term, quiet), false, `${operation} over ${JSON.stringify(quiet)}`);
    });
  }

  it('orders a missing value (null) below everything, as TF does', () => {
    assert.equal(raises(json('S.a', '<', '1'), { S: {} }), true);
    assert.equal(raises(json('S.a', '<=', 'null'), { S: {} }), true);
    assert.equal(raises(json('S.a', '<', 'null'), { S: {} }), false);
    assert.equal(raises(json('S.a', '>', 'null'), { S: { a: 1 } }), true);
    assert.equal(raises(json('S.a', '>', 'null'), { S: {} }), false);
    assert.equal(raises(json('S.a', '>=', 'null'), { S: {} }), true);
    assert.equal(raises(json('S.a', '>=', '1'), { S: {} }), false);
  });

  it('orders numbers with numbers and strings with strings only', () => {
    assert.equal(raises(json('S.a', '>', '"10"'), { S: { a: 'abc' } }), false);
    assert.equal(raises(json('S.a', '>', '"abc"'), { S: { a: 'abd' } }), true);
    assert.equal(raises(json('S.a', 'range', '[1, 5]'), { S: {} }), false);
  });

  it('holds `not in` and `size!=` where there is no list, and neither `in` nor `size==`', () => {
    assert.equal(raises(attr('S.a', 'in', 'S.b'), { S: { a: 1, b: 1 } }), false);
    assert.equal(raises(attr('S.a', 'not in', 'S.b'), { S: { a: 1, b: 1 } }), true);
    assert.equal(raises(json('S.l', 'size==', '0'), { S: {} }), false);
    assert.equal(raises(json('S.l', 'size!=', '0'), { S: {} }), true);
  });

  it('compares lists and objects by value, whatever the key order', () => {
    assert.equal(
      raises(json('S.o', '==', '{"b": 2, "a": [1, {"c": 3}]}'), { S: { o: { a: [1, { c: 3 }], b: 2 } } }),
      true,
    );
    assert.equal(raises(json('S.o', '==', '{"a": [1, 2]}'), { S: { o: { a: [2, 1] } } }), false);
    assert.equal(raises(json('S.l', 'in', '[[1, 2], [3]]'), { S: { l: [3] } }), true);
    assert.equal(raises(json('S.a', '==', 'true'), { S: { a: 1 } }), false);
  });
});

describe('a disabled rule', () => {
  it('raises nothing, so that disabling it clears its alarms', () => {
    const term = json('S.a', '==', '1');
    assert.notEqual(evaluate(rule([[term]]), { S: { a: 1 } }), null);
    assert.equal(evaluate(rule([[term]], { id_perms: { enable: false } }), { S: { a: 1 } }), null);
  });
});

describe('operand forms', () => {
  it('reads a string attribute holding JSON as that JSON, and walks into it', () => {
    // TF's ContrailConfig carries its elements as JSON text.
    const config = {
      ContrailConfig: { elements: { bgp_router_parameters: '{"address": "10.1.1.1"}', ip: '"10.1.1.2"' } },
    };
    const mismatch = rule([
      [attr('ContrailConfig.elements.bgp_router_parameters.address', 'not in', 'S.ips')],
    ]);
    assert.equal(evaluate(mismatch, { ...config, S: { ips: ['10.1.1.1'] } }), null);
    assert.deepEqual(
      evaluate(mismatch, { ...config, S: { ips: ['10.1.1.9'] } }),
      report(mismatch, [[0, [[match('"10.1.1.1"', '["10.1.1.9"]')]]]]),
    );
    assert.equal(
      raises(attr('ContrailConfig.elements.ip', '==', 'S.ip'), { ...config, S: { ip: '10.1.1.2' } }),
      true,
    );
    assert.equal(
      raises(attr('ContrailConfig.elements.ip', '==', 'S.ip'), { ...config, S: { ip: '10.1.1.3' } }),
      false,
    );
    // Text that is not JSON cannot be walked into: the path is unresolved.
    assert.equal(raises(json('S.t.x', '==', 'null'), { S: { t: 'not json' } }), false);
    assert.equal(raises(json('S.t.x', '==', 'null'), { S: { t: '{"y": 1}' } }), true);
  });

  it('takes a list at the end of the path whole, not item by item', () => {
    const r = rule([[json('S.l', '==', '[1, 2]')]]);
    assert.deepEqual(evaluate(r, { S: { l: [1, 2] } }), report(r, [[0, [[match('[1, 2]')]]]]));
    assert.equal(evaluate(r, { S: { l: [1] } }), null);
  });

  it('flattens a path through a list in a list into one value per innermost item', () => {
    // TF's engine raises an exception here (its nested lists); each connection is a match instead.
    const r = rule([
      [
        json('NodeStatus.process_status.connection_infos.status', '!=', '"Up"', [
          'NodeStatus.process_status.module_id',
        ]),
      ],
    ]);
    const status = (conn: string[]) => ({
      NodeStatus: {
        process_status: [
          { module_id: 'contrail-control', connection_infos: conn.map((s) => ({ status: s })) },
          { module_id: 'contrail-dns', connection_infos: [{ status: 'Up' }] },
        ],
      },
    });
    assert.equal(evaluate(r, status(['Up', 'Up'])), null);
    assert.deepEqual(
      evaluate(r, status(['Up', 'Down'])),
      report(r, [
        [0, [[match('"Down"', null, { 'NodeStatus.process_status.module_id': '"contrail-control"' })]]],
      ]),
    );
  });

  it('fails a condition whose operands fan out to different counts', () => {
    assert.equal(
      raises(attr('S.a.x', '!=', 'S.b.x'), { S: { a: [{ x: 1 }, { x: 2 }], b: [{ x: 3 }] } }),
      false,
    );
    assert.equal(raises(attr('S.a.x', '!=', 'S.b.x'), { S: { a: [{ x: 1 }], b: [{ x: 3 }] } }), true);
  });

  it('fails a condition over an empty list: there is nothing to match', () => {
    assert.equal(raises(json('S.l.state', '!=', '"ok"'), { S: { l: [] } }), false);
  });

  it('reads variables from the whole struct where the path does not follow the match', () => {
    const r = rule([[json('S.count', '>=', '1', ['S.errors', 'S.none', 'Other.x'])]]);
    assert.deepEqual(
      evaluate(r, { S: { count: 2, errors: ['e1', 'é2'] }, Other: { x: 1 } }),
      report(r, [
        [0, [[match('2', null, { 'S.errors': '["e1", "\\u00e92"]', 'S.none': 'null', 'Other.x': 'null' })]]],
      ]),
    );
  });

  it('reports a string already holding JSON as it is', () => {
    const r = rule([[attr('S.running', '!=', 'S.installed')]]);
    assert.deepEqual(
      evaluate(r, { S: { running: '"3.1.0.0-2740"', installed: '"3.1.0.0-18"' } }),
      report(r, [[0, [[match('"3.1.0.0-2740"', '"3.1.0.0-18"')]]]]),
    );
  });

  it('never takes an attribute from the object prototype', () => {
    assert.equal(raises(json('S.constructor', '==', 'null'), { S: {} }), true);
    assert.equal(raises(json('toString.x', '==', 'null'), {}), false);
  });
});

describe('uve_keys', () => {
  const scoped = parseRule({
    name: 'scoped',
    alarm_severity: 2,
    uve_keys: {
      uve_key: ['control-node', 'vrouter:compute-1', 'virtual-machine-interface:default-domain:p:uuid-1'],
    },
    alarm_rules: { or_list: [{ and_list: [json('NodeStatus', '==', 'null')] }] },
  });

  it('covers every UVE of a type, or one UVE named type:name', () => {
    assert.equal(appliesTo(scoped, 'control-node', 'control-1'), true);
    assert.equal(appliesTo(scoped, 'vrouter', 'compute-1'), true);
    assert.equal(appliesTo(scoped, 'vrouter', 'compute-2'), false);
    assert.equal(appliesTo(scoped, 'virtual-machine-interface', 'default-domain:p:uuid-1'), true);
    assert.equal(appliesTo(scoped, 'virtual-machine-interface', 'default-domain:p:uuid-2'), false);
    assert.equal(appliesTo(scoped, 'analytics-node', 'control-1'), false);
  });
});
