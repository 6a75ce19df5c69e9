import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FabricError } from '../../../../common/errors.js';
import { parseRule, RuleError, type RuleIssue } from '../../../../common/model/alarm-rules/parse.js';

const condition = (extra: Record<string, unknown> = {}) => ({
  operand1: 'BgpRouterState.num_up_bgp_peer',
  operation: '!=',
  operand2: { uve_attribute: 'BgpRouterState.num_bgp_peer' },
  ...extra,
});

/** TF's bgp-connectivity as its API returns it, with fields a rule does not use. */
const tfRule = (extra: Record<string, unknown> = {}) => ({
  uuid: '5b4c6f57-0000-4000-8000-000000000001',
  href: 'http://config:8082/alarm/5b4c6f57-0000-4000-8000-000000000001',
  fq_name: ['default-global-system-config', 'system-defined-bgp-connectivity'],
  parent_type: 'global-system-config',
  alarm_severity: 1,
  id_perms: { description: 'BGP peer mismatch.', enable: true, created: '2024-01-01T00:00:00' },
  uve_keys: { uve_key: ['control-node'] },
  alarm_rules: {
    or_list: [
      { and_list: [condition({ operation: '==', operand2: { json_value: 'null' } })] },
      { and_list: [condition({ variables: ['BgpRouterState.router_id'] })] },
    ],
  },
  ...extra,
});

/** The issues a refused rule reports. */
function refusal(input: unknown): RuleIssue[] {
  try {
    parseRule(input);
  } catch (err) {
    assert.ok(err instanceof RuleError, String(err));
    return [...err.issues];
  }
  assert.fail('the rule was accepted');
}

/** A rule with one condition, to refuse for what that condition holds. */
const withCondition = (term: Record<string, unknown>) => ({
  name: 'r',
  alarm_severity: 0,
  uve_keys: { uve_key: ['vrouter'] },
  alarm_rules: { or_list: [{ and_list: [condition(), term] }] },
});
const AT = 'alarm_rules.or_list[0].and_list[1]';

describe('a rule in TF format', () => {
  it('is read with its name, type, severity, scope and conditions; the fields of TF objects it does not use are ignored', () => {
    const rule = parseRule(tfRule());
    assert.equal(rule.name, 'system-defined-bgp-connectivity');
    assert.equal(rule.fqName, 'default-global-system-config:system-defined-bgp-connectivity');
    assert.equal(rule.project, undefined);
    assert.equal(rule.severity, 1);
    assert.equal(rule.description, 'BGP peer mismatch.');
    assert.equal(rule.enabled, true);
    assert.deepEqual(rule.uveKeys, [{ type: 'control-node' }]);
    assert.deepEqual(rule.timers, { activeTimer: 0, idleTimer: 0 });
    assert.deepEqual(
      rule.orList.map((and) => and.map((c) => c.condition)),
      [
        [
          {
            operand1: 'BgpRouterState.num_up_bgp_peer',
            operation: '==',
            operand2: { json_value: 'null' },
            variables: [],
          },
        ],
        [
          {
            operand1: 'BgpRouterState.num_up_bgp_peer',
            operation: '!=',
            operand2: { uve_attribute: 'BgpRouterState.num_bgp_peer' },
            variables: ['BgpRouterState.router_id'],
          },
        ],
      ],
    );
  });

  it('may be named by name alone (a global rule), disabled, scoped to one UVE, and carry timers', () => {
    const rule = parseRule({
      name: 'compute-1-down',
      alarm_severity: 0,
      id_perms: { enable: false },
      uve_keys: { uve_key: ['vrouter:compute-1', 'virtual-machine-interface:default-domain:p:uuid'] },
      alarm_rules: { or_list: [{ and_list: [condition()] }] },
      ActiveTimer: 5,
      IdleTimer: 10,
      FreqExceededCheck: true,
      FreqCheck_Times: 3,
      FreqCheck_Seconds: 60,
    });
    assert.equal(rule.fqName, 'default-global-system-config:compute-1-down');
    assert.equal(rule.enabled, false);
    assert.deepEqual(rule.uveKeys, [
      { type: 'vrouter', name: 'compute-1' },
      { type: 'virtual-machine-interface', name: 'default-domain:p:uuid' },
    ]);
    assert.deepEqual(rule.timers, { activeTimer: 5, idleTimer: 10, freqCheck: { times: 3, seconds: 60 } });
  });

  it("is a project's rule under parent_type project, named [domain, project, name]", () => {
    const rule = parseRule(
      tfRule({ parent_type: 'project', fq_name: ['default-domain', 'admin', 'vn-alarm'] }),
    );
    assert.equal(rule.project, 'default-domain:admin');
    assert.equal(rule.fqName, 'default-domain:admin:vn-alarm');
  });
});

describe('a rule refused, with the path to the fault', () => {
  it('names an unknown operation', () => {
    assert.deepEqual(refusal(withCondition(condition({ operation: '=>' }))), [
      {
        path: `${AT}.operation`,
        message:
          'unknown operation "=>"; operations are ==, !=, <, <=, >, >=, in, not in, range, size==, size!=',
      },
    ]);
    assert.deepEqual(refusal(withCondition(condition({ operation: undefined }))), [
      { path: `${AT}.operation`, message: 'required' },
    ]);
  });

  it('needs exactly one of uve_attribute and json_value', () => {
    const both = { uve_attribute: 'A.b', json_value: '1' };
    for (const operand2 of [both, {}]) {
      assert.deepEqual(refusal(withCondition(condition({ operand2 }))), [
        { path: `${AT}.operand2`, message: 'give exactly one of uve_attribute and json_value' },
      ]);
    }
  });

  it('needs a json_value to be JSON', () => {
    assert.deepEqual(refusal(withCondition(condition({ operand2: { json_value: 'Functional' } }))), [
      { path: `${AT}.operand2.json_value`, message: '"Functional" is not JSON' },
    ]);
  });

  it('checks the json_value of range, in, not in, size== and size!=', () => {
    const refused = (operation: string, value: string) =>
      refusal(withCondition(condition({ operation, operand2: { json_value: value } })));
    const rangeMessage = "'range' takes [x, y], two numbers with x < y";
    for (const value of ['[90, 70]', '[70]', '"70-90"', '[70, "90"]']) {
      assert.deepEqual(
        refused('range', value),
        [{ path: `${AT}.operand2.json_value`, message: rangeMessage }],
        value,
      );
    }
    assert.deepEqual(refusal(withCondition(condition({ operation: 'range' }))), [
      { path: `${AT}.operand2`, message: "'range' takes a json_value [x, y]" },
    ]);
    assert.deepEqual(refused('in', '"abc"'), [
      { path: `${AT}.operand2.json_value`, message: "'in' takes a list" },
    ]);
    assert.deepEqual(refused('not in', '1'), [
      { path: `${AT}.operand2.json_value`, message: "'not in' takes a list" },
    ]);
    for (const operation of ['size==', 'size!=']) {
      assert.deepEqual(refused(operation, '1.5'), [
        { path: `${AT}.operand2.json_value`, message: `'${operation}' takes a count (an integer ≥ 0)` },
      ]);
    }
    assert.doesNotThrow(() =>
      parseRule(withCondition(condition({ operation: 'range', operand2: { json_value: '[70, 90]' } }))),
    );
  });

  it('refuses a malformed operand or variable path', () => {
    assert.deepEqual(refusal(withCondition(condition({ operand1: 'NodeStatus..state' }))), [
      { path: `${AT}.operand1`, message: '"NodeStatus..state" has an empty component' },
    ]);
    assert.deepEqual(refusal(withCondition(condition({ variables: ['A.b', 'A.__key.c'] }))), [
      { path: `${AT}.variables[1]`, message: '"A.__key.c" continues after __key' },
    ]);
    assert.deepEqual(refusal(withCondition(condition({ operand2: { uve_attribute: '' } }))), [
      { path: `${AT}.operand2.uve_attribute`, message: '"" has an empty component' },
    ]);
  });

  it('refuses a field it does not know inside alarm_rules, rather than ignore a typo', () => {
    assert.deepEqual(refusal(withCondition({ ...condition(), operand_2: { json_value: '1' } })), [
      { path: AT, message: 'unknown field "operand_2"' },
    ]);
  });

  it('needs a severity of 0, 1 or 2, the uve_keys and a non-empty or_list of non-empty and_lists', () => {
    assert.deepEqual(refusal(tfRule({ alarm_severity: 3 })), [
      { path: 'alarm_severity', message: '0 (critical), 1 (major) or 2 (minor)' },
    ]);
    assert.deepEqual(refusal(tfRule({ alarm_severity: undefined, uve_keys: undefined })), [
      { path: 'alarm_severity', message: 'required' },
      { path: 'uve_keys', message: 'required' },
    ]);
    assert.deepEqual(refusal(tfRule({ uve_keys: ['control-node'] })), [
      { path: 'uve_keys', message: 'expected { "uve_key": [ … ] }' },
    ]);
    assert.equal(refusal(tfRule({ uve_keys: { uve_key: [] } }))[0]?.path, 'uve_keys.uve_key');
    assert.deepEqual(refusal(tfRule({ uve_keys: { uve_key: ['vrouter', ':compute-1'] } })), [
      { path: 'uve_keys.uve_key[1]', message: 'is neither type nor type:name' },
    ]);
    assert.equal(refusal(tfRule({ alarm_rules: { or_list: [] } }))[0]?.path, 'alarm_rules.or_list');
    assert.equal(
      refusal(tfRule({ alarm_rules: { or_list: [{ and_list: [] }] } }))[0]?.path,
      'alarm_rules.or_list[0].and_list',
    );
  });

  it('needs a name that agrees with fq_name, and an fq_name that fits the parent', () => {
    const unnamed = tfRule({ fq_name: undefined });
    assert.deepEqual(refusal(unnamed), [{ path: 'fq_name', message: 'give fq_name or name' }]);
    assert.deepEqual(refusal(tfRule({ name: 'other' })), [
      { path: 'name', message: 'is not the last element of fq_name ("system-defined-bgp-connectivity")' },
    ]);
    assert.deepEqual(refusal(tfRule({ parent_type: 'project' })), [
      { path: 'fq_name', message: "a project's rule is named [domain, project, name]" },
    ]);
    assert.deepEqual(refusal(tfRule({ fq_name: ['default-domain', 'admin', 'x'] })), [
      { path: 'fq_name', message: 'a global rule is named [global-system-config, name]' },
    ]);
  });

  it('needs the flap check complete and timers of zero seconds or more', () => {
    assert.deepEqual(refusal(tfRule({ FreqExceededCheck: true, FreqCheck_Times: 3 })), [
      { path: 'FreqExceededCheck', message: 'needs FreqCheck_Times and FreqCheck_Seconds' },
    ]);
    assert.equal(refusal(tfRule({ IdleTimer: -1 }))[0]?.path, 'IdleTimer');
  });

  it('reports the faults it finds at once, as an INVALID_ARGUMENT naming the rule', () => {
    const input = tfRule({
      alarm_severity: 7,
      alarm_rules: {
        or_list: [{ and_list: [condition({ operation: 'matches', operand2: { json_value: 'x' } })] }],
      },
    });
    assert.throws(
      () => parseRule(input),
      (err: unknown) => {
        assert.ok(err instanceof FabricError);
        assert.equal(err.code, 'INVALID_ARGUMENT');
        assert.equal(
          err.message,
          'alarm rule "system-defined-bgp-connectivity" refused: alarm_severity: 0 (critical), 1 (major) or 2 (minor); ' +
            'alarm_rules.or_list[0].and_list[0].operation: unknown operation "matches"; operations are ==, !=, <, <=, >, >=, in, not in, range, size==, size!=',
        );
        return true;
      },
    );
  });

  it('refuses what is not a rule at all', () => {
    assert.equal(refusal(null)[0]?.path, '');
    assert.match(String(refusal('rule')[0]?.message), /expected object/);
  });
});
