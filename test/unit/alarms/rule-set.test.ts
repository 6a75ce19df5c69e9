import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlarmEngine, type Change } from '../../../alarms/engine.js';
import { RuleSet } from '../../../alarms/rule-set.js';
import { uveKey } from '../../../alarms/uve-state.js';
import { parseRule } from '../../../common/model/alarm-rules/parse.js';

const T0 = 1_750_000_000_000; // ms

/** A minor rule over vRouters, raised while VrouterAgent.mode is `mode`, with an idle soak. */
const modeRule = (mode: string) =>
  parseRule({
    name: 'vrouter-mode',
    alarm_severity: 2,
    IdleTimer: 60,
    uve_keys: { uve_key: ['vrouter'] },
    alarm_rules: {
      or_list: [
        {
          and_list: [
            {
              operand1: 'VrouterAgent.mode',
              operation: '==',
              operand2: { json_value: JSON.stringify(mode) },
            },
          ],
        },
      ],
    },
  });

const key = uveKey('vrouter', 'compute-1');
const down = new Map([[key, { uve: { VrouterAgent: { mode: 'down' } } }]]);
const moves = (changes: Change[]) =>
  changes.flatMap((c) =>
    c.transitions.filter((t) => t.kind === 'state').map((t) => `${t.from}→${t.to} ${c.severity}`),
  );

/** An engine with the rule raised over compute-1. */
function raised(): AlarmEngine {
  const engine = new AlarmEngine([modeRule('down')]);
  const changes = engine.evaluate(down, T0);
  assert.deepEqual(moves(changes), ['Idle→Active 2']);
  engine.apply(changes);
  return engine;
}

describe('rule changes at run time in the engine', () => {
  it('names the rules a change moves, both definitions, and none when nothing changed', () => {
    const before = new RuleSet([modeRule('down')]);
    assert.deepEqual(before.changedIn(new RuleSet([modeRule('down')])), []);
    assert.deepEqual(
      before.changedIn(new RuleSet([modeRule('up')])).map((r) => r.orList[0]?.[0]?.condition.operand2),
      [{ json_value: '"down"' }, { json_value: '"up"' }],
    );
  });

  it("clears at once, skipping the idle soak, a rule's alarm once the rule is disabled or deleted, with its severity", () => {
    const engine = raised();
    const changed = engine.useRules([]);
    assert.deepEqual(
      changed.map((r) => r.name),
      ['vrouter-mode'],
    );
    assert.deepEqual(moves(engine.evaluate(down, T0 + 1000)), ['Active→Idle 2']);
  });

  it('clears, after its soak as any clear, an alarm whose rule is replaced by one that does not match', () => {
    const engine = raised();
    engine.useRules([modeRule('up')]);
    const soaking = engine.evaluate(down, T0 + 1000);
    assert.deepEqual(moves(soaking), ['Active→Soak_Idle 2']);
  });
});
