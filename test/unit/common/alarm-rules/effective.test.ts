import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FabricError } from '../../../../common/errors.js';
import { BUILTIN_RULES } from '../../../../common/model/alarm-rules/builtin/index.js';
import {
  planRuleChange,
  resolveRuleName,
  type RuleChange,
} from '../../../../common/model/alarm-rules/changes.js';
import { effectiveRules } from '../../../../common/model/alarm-rules/effective.js';
import type { RuleVersion } from '../../../../common/schema/alarm-rules.js';

const PROCESS = 'default-global-system-config:system-defined-process-status';
const MINE = 'default-global-system-config:vrouter-mode-down';

const rule = (name: string, severity = 2, extra: Record<string, unknown> = {}) => ({
  name,
  alarm_severity: severity,
  uve_keys: { uve_key: ['vrouter'] },
  alarm_rules: {
    or_list: [
      { and_list: [{ operand1: 'VrouterAgent.mode', operation: '==', operand2: { json_value: '"down"' } }] },
    ],
  },
  ...extra,
});

/** Applies changes one after the other as the engine does, each checked against what is stored. */
function applied(...changes: (Pick<RuleChange, 'operation' | 'name'> & { rule?: unknown })[]) {
  const versions: RuleVersion[] = [];
  for (const [i, change] of changes.entries()) {
    const expectedVersion = Math.max(
      0,
      ...versions.filter((v) => v.name === change.name).map((v) => v.version),
    );
    const next = planRuleChange(
      BUILTIN_RULES,
      versions,
      {
        ...change,
        rule: change.rule === undefined ? '' : JSON.stringify(change.rule),
        expectedVersion,
        author: 'op',
      },
      1000 + i,
    );
    if (next) versions.push(next);
  }
  return versions;
}

const inForce = (versions: RuleVersion[], name: string) =>
  effectiveRules(BUILTIN_RULES, versions).rules.find((r) => r.rule.fqName === name);

const refusedWith = (code: string, pattern: RegExp) => (err: unknown) =>
  err instanceof FabricError && err.code === code && pattern.test(err.message);

describe('the alarm rules in force: built-ins merged with the versions stored at run time', () => {
  it('holds every built-in as shipped, at version 0, when nothing is stored', () => {
    const { rules, faults } = effectiveRules(BUILTIN_RULES, []);
    assert.equal(rules.length, BUILTIN_RULES.length);
    assert.ok(rules.every((r) => r.source === 'builtin' && r.version === 0 && r.rule.enabled));
    assert.deepEqual(faults, []);
  });

  it('adds a custom rule, and its newest version wins', () => {
    const versions = applied(
      { operation: 'create', name: MINE, rule: rule('vrouter-mode-down', 2) },
      { operation: 'replace', name: MINE, rule: rule('vrouter-mode-down', 0) },
    );
    const mine = inForce(versions, MINE);
    assert.deepEqual([mine?.source, mine?.version, mine?.rule.severity], ['custom', 2, 0]);
    assert.equal(mine?.stored?.author, 'op');
  });

  it('overrides a built-in by its fq name, and deleting the override brings the built-in back', () => {
    const builtin = inForce([], PROCESS)!.rule;
    const overridden = applied({
      operation: 'replace',
      name: PROCESS,
      rule: rule('system-defined-process-status', 2),
    });
    const override = inForce(overridden, PROCESS);
    assert.deepEqual([override?.source, override?.version, override?.rule.severity], ['override', 1, 2]);
    const back = applied(
      { operation: 'replace', name: PROCESS, rule: rule('system-defined-process-status', 2) },
      { operation: 'delete', name: PROCESS },
    );
    const restored = inForce(back, PROCESS);
    assert.deepEqual([restored?.source, restored?.version], ['builtin', 2], 'versions count on');
    assert.deepEqual(restored?.rule, builtin);
  });

  it('disables a built-in by a stored version, keeps it listed, and enables it again as shipped', () => {
    const disabled = applied({ operation: 'disable', name: PROCESS });
    assert.deepEqual(
      disabled.map((v) => [v.rule, v.status]),
      [['', 'disabled']],
      'the built-in by its name alone',
    );
    assert.equal(inForce(disabled, PROCESS)?.rule.enabled, false);
    const enabled = applied({ operation: 'disable', name: PROCESS }, { operation: 'enable', name: PROCESS });
    assert.deepEqual(inForce(enabled, PROCESS)?.rule, { ...inForce([], PROCESS)!.rule });
    assert.equal(inForce(enabled, PROCESS)?.version, 2);
  });

  it('deletes a custom rule; creating it again counts its versions on', () => {
    const versions = applied(
      { operation: 'create', name: MINE, rule: rule('vrouter-mode-down') },
      { operation: 'delete', name: MINE },
    );
    assert.equal(inForce(versions, MINE), undefined);
    const again = applied(
      { operation: 'create', name: MINE, rule: rule('vrouter-mode-down') },
      { operation: 'delete', name: MINE },
      { operation: 'create', name: MINE, rule: rule('vrouter-mode-down') },
    );
    assert.equal(inForce(again, MINE)?.version, 3);
  });

  it('stores a rule whose id_perms.enable is false disabled', () => {
    const versions = applied({
      operation: 'create',
      name: MINE,
      rule: rule('vrouter-mode-down', 2, { id_perms: { enable: false } }),
    });
    assert.equal(versions[0]?.status, 'disabled');
    assert.equal(inForce(versions, MINE)?.rule.enabled, false);
  });

  it('leaves out a stored version that no longer parses, reporting it', () => {
    const bad: RuleVersion = {
      name: MINE,
      version: 4,
      rule: '{"name":"vrouter-mode-down"}',
      status: 'enabled',
      author: '',
      at: 0,
    };
    const { rules, faults } = effectiveRules(BUILTIN_RULES, [bad]);
    assert.equal(rules.length, BUILTIN_RULES.length);
    assert.deepEqual(
      faults.map((f) => [f.name, f.version]),
      [[MINE, 4]],
    );
    assert.match(faults[0]!.error, /alarm_severity: required/);
  });
});

describe('planning a rule change: what the API checks and the engine checks again', () => {
  const plan = (
    versions: RuleVersion[],
    change: Partial<RuleChange> & Pick<RuleChange, 'operation' | 'name'>,
  ) => planRuleChange(BUILTIN_RULES, versions, { rule: '', expectedVersion: 0, author: '', ...change }, 0);

  it('refuses a stale version, naming the current one', () => {
    const versions = applied({ operation: 'create', name: MINE, rule: rule('vrouter-mode-down') });
    assert.throws(
      () =>
        plan(versions, { operation: 'replace', name: MINE, rule: JSON.stringify(rule('vrouter-mode-down')) }),
      refusedWith('FAILED_PRECONDITION', /at version 1, not 0.*from version 1/),
    );
  });

  it('refuses a rule that does not parse with the path of each fault', () => {
    const bad = rule('vrouter-mode-down');
    bad.alarm_rules.or_list[0]!.and_list[0]!.operation = 'like';
    assert.throws(
      () => plan([], { operation: 'create', name: MINE, rule: JSON.stringify(bad) }),
      refusedWith(
        'INVALID_ARGUMENT',
        /alarm_rules\.or_list\[0\]\.and_list\[0\]\.operation: unknown operation "like"/,
      ),
    );
  });

  it('refuses creating a rule in force, replacing one under another name, deleting a built-in as shipped', () => {
    assert.throws(
      () =>
        plan([], {
          operation: 'create',
          name: PROCESS,
          rule: JSON.stringify(rule('system-defined-process-status')),
        }),
      refusedWith('FAILED_PRECONDITION', /exists \(builtin, version 0\): replace it from version 0/),
    );
    assert.throws(
      () => plan([], { operation: 'replace', name: PROCESS, rule: JSON.stringify(rule('other')) }),
      refusedWith('INVALID_ARGUMENT', /fq_name: the rule is named default-global-system-config:other/),
    );
    assert.throws(
      () => plan([], { operation: 'delete', name: PROCESS }),
      refusedWith('FAILED_PRECONDITION', /disable it/),
    );
    assert.throws(
      () => plan([], { operation: 'disable', name: MINE }),
      refusedWith('NOT_FOUND', /no alarm rule/),
    );
  });

  it('changes nothing when enabling an enabled rule', () => {
    assert.equal(plan([], { operation: 'enable', name: PROCESS }), undefined);
  });

  it('resolves a rule by its fq name or its last component', () => {
    const { rules } = effectiveRules(BUILTIN_RULES, []);
    assert.equal(resolveRuleName(rules, 'system-defined-process-status'), PROCESS);
    assert.equal(resolveRuleName(rules, PROCESS), PROCESS);
    assert.throws(() => resolveRuleName(rules, 'nope'), refusedWith('NOT_FOUND', /no alarm rule nope/));
  });
});
