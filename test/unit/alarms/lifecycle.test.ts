import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FabricError } from '../../../common/errors.js';
import {
  acknowledged,
  evaluated,
  idleStatus,
  isForgettable,
  isRaised,
  nextWakeup,
  ticked,
  type AlarmState,
  type AlarmStatus,
  type Step,
  type TransitionKind,
} from '../../../alarms/lifecycle.js';
import { evaluateRule } from '../../../alarms/rules/evaluate.js';
import { parseRule } from '../../../common/model/alarm-rules/parse.js';
import type { AlarmRules, AlarmTimers } from '../../../common/model/alarm-rules/types.js';

// Real contents, from two rules: one that compares for equality, one that orders.
const stateRule = parseRule({
  name: 'state',
  alarm_severity: 1,
  uve_keys: { uve_key: ['vrouter'] },
  alarm_rules: {
    or_list: [{ and_list: [{ operand1: 'S.state', operation: '!=', operand2: { json_value: '"ok"' } }] }],
  },
});
const usageRule = parseRule({
  name: 'usage',
  alarm_severity: 1,
  uve_keys: { uve_key: ['vrouter'] },
  alarm_rules: {
    or_list: [
      {
        and_list: [
          {
            operand1: 'S.disks.*.used',
            operation: '>',
            operand2: { json_value: '90' },
            variables: ['S.disks.__key'],
          },
        ],
      },
    ],
  },
});
function content(rule: typeof stateRule, uve: Record<string, unknown>): AlarmRules {
  return evaluateRule(rule, 'vrouter', 'compute-1', { S: uve }) ?? assert.fail('the rule did not raise');
}
const down = content(stateRule, { state: 'down' });
const broken = content(stateRule, { state: 'broken' });

const NONE: AlarmTimers = { activeTimer: 0, idleTimer: 0 };
const SOAK: AlarmTimers = { activeTimer: 5, idleTimer: 10 };
const FLAP: AlarmTimers = { activeTimer: 5, idleTimer: 0, freqCheck: { times: 2, seconds: 60 } };
const T0 = 1_750_000_000_000;
const s = (seconds: number): number => T0 + seconds * 1000;

/** The transitions of a step as [kind, from, to]. */
const moves = (step: Step): [TransitionKind, AlarmState, AlarmState][] =>
  step.transitions.map((t) => [t.kind, t.from, t.to]);

/** Runs evaluations (null: not raised) at the given seconds, returning the last step. */
function run(timers: AlarmTimers, ...inputs: [number, AlarmRules | null][]): Step {
  let step: Step = { status: idleStatus('vrouter:compute-1 state'), transitions: [] };
  for (const [at, result] of inputs) step = evaluated(step.status, result, s(at), timers);
  return step;
}

describe('alarm lifecycle without timers', () => {
  it('Idle → Active when the rule raises it: shown at once, with a token', () => {
    const step = run(NONE, [0, down]);
    assert.deepEqual(moves(step), [['state', 'Idle', 'Active']]);
    assert.equal(isRaised(step.status), true);
    assert.deepEqual(step.status.rules, down);
    assert.notEqual(step.status.token, '');
    assert.equal(step.transitions[0]?.token, step.status.token);
    assert.equal(step.status.since, s(0));
    assert.equal(nextWakeup(step.status, NONE), undefined);
  });

  it('Active → Idle when the rule no longer raises it: withdrawn, nothing left to keep', () => {
    const step = run(NONE, [0, down], [1, null]);
    assert.deepEqual(moves(step), [['state', 'Active', 'Idle']]);
    assert.equal(isRaised(step.status), false);
    assert.equal(step.status.rules, null);
    assert.equal(step.status.token, '');
    assert.equal(isForgettable(step.status), true);
  });

  it('stays Active, token unchanged, while the content stays the same; Idle stays Idle', () => {
    const raised = run(NONE, [0, down]);
    const again = evaluated(raised.status, content(stateRule, { state: 'down' }), s(1), NONE);
    assert.deepEqual(moves(again), []);
    assert.equal(again.status.token, raised.status.token);
    assert.deepEqual(moves(evaluated(idleStatus('x'), null, s(0), NONE)), []);
  });

  it('changes the token when the content changes, and only then', () => {
    const raised = run(NONE, [0, down]);
    const changed = evaluated(raised.status, broken, s(1), NONE);
    assert.deepEqual(moves(changed), [['updated', 'Active', 'Active']]);
    assert.notEqual(changed.status.token, raised.status.token);
    assert.equal(changed.status.since, s(1));
    assert.deepEqual(changed.status.rules, broken);
  });

  it('gives a content seen before a new token (raised, cleared, raised again)', () => {
    const first = run(NONE, [0, down]);
    const second = run(NONE, [0, down], [1, null], [2, down]);
    assert.notEqual(second.status.token, first.status.token);
  });

  it('changes the content of an ordering condition with its variables, not with every value past the threshold', () => {
    const disks = (used: Record<string, number>) =>
      content(usageRule, {
        disks: Object.fromEntries(Object.entries(used).map(([d, u]) => [d, { used: u }])),
      });
    const raised = run(NONE, [0, disks({ sda: 95 })]);
    const fuller = evaluated(raised.status, disks({ sda: 97 }), s(1), NONE);
    assert.deepEqual(moves(fuller), []);
    assert.equal(fuller.status.token, raised.status.token);
    const another = evaluated(fuller.status, disks({ sda: 97, sdb: 93 }), s(2), NONE);
    assert.deepEqual(moves(another), [['updated', 'Active', 'Active']]);
    assert.notEqual(another.status.token, raised.status.token);
  });

  it('never changes the status it is given', () => {
    const raised = run(NONE, [0, down]);
    const before = structuredClone(raised.status);
    evaluated(raised.status, broken, s(1), NONE);
    evaluated(raised.status, null, s(1), FLAP);
    ticked(raised.status, s(100), SOAK);
    acknowledged(raised.status, raised.status.token, s(1));
    assert.deepEqual(raised.status, before);
  });
});

describe('alarm lifecycle with soak timers', () => {
  it('Idle → Soak_Active when raised: not shown until the active timer ends', () => {
    const step = run(SOAK, [0, down]);
    assert.deepEqual(moves(step), [['state', 'Idle', 'Soak_Active']]);
    assert.equal(isRaised(step.status), false);
    assert.equal(nextWakeup(step.status, SOAK), s(5));
    assert.deepEqual(moves(ticked(step.status, s(4.999), SOAK)), []);
  });

  it('Soak_Active → Active when the active timer ends, at the end of the soak', () => {
    const step = ticked(run(SOAK, [0, down]).status, s(6), SOAK);
    assert.deepEqual(moves(step), [['state', 'Soak_Active', 'Active']]);
    assert.equal(step.transitions[0]?.at, s(5));
    assert.equal(isRaised(step.status), true);
    assert.equal(nextWakeup(step.status, SOAK), undefined);
  });

  it('Soak_Active → Idle when the condition goes before the soak ends: never shown', () => {
    const step = run(SOAK, [0, down], [3, null]);
    assert.deepEqual(moves(step), [['state', 'Soak_Active', 'Idle']]);
    assert.equal(nextWakeup(step.status, SOAK), undefined);
    assert.deepEqual(moves(ticked(step.status, s(6), SOAK)), []);
  });

  it('keeps the soak running when the content changes during it', () => {
    const step = run(SOAK, [0, down], [3, broken]);
    assert.deepEqual(moves(step), [['updated', 'Soak_Active', 'Soak_Active']]);
    assert.equal(nextWakeup(step.status, SOAK), s(5));
  });

  it('Active → Soak_Idle when the condition goes: still shown until the idle timer ends', () => {
    const active = ticked(run(SOAK, [0, down]).status, s(5), SOAK);
    const step = evaluated(active.status, null, s(7), SOAK);
    assert.deepEqual(moves(step), [['state', 'Active', 'Soak_Idle']]);
    assert.equal(isRaised(step.status), true);
    assert.deepEqual(step.status.rules, down);
    assert.equal(nextWakeup(step.status, SOAK), s(17));
  });

  it('Soak_Idle → Active when the condition comes back before the idle timer ends, the same alarm', () => {
    const active = ticked(run(SOAK, [0, down]).status, s(5), SOAK);
    const soaking = evaluated(active.status, null, s(7), SOAK);
    const step = evaluated(soaking.status, down, s(9), SOAK);
    assert.deepEqual(moves(step), [['state', 'Soak_Idle', 'Active']]);
    assert.equal(step.status.token, active.status.token);
    assert.equal(nextWakeup(step.status, SOAK), undefined);
  });

  it('Soak_Idle → Idle when the idle timer ends: withdrawn', () => {
    const active = ticked(run(SOAK, [0, down]).status, s(5), SOAK);
    const soaking = evaluated(active.status, null, s(7), SOAK);
    assert.deepEqual(moves(ticked(soaking.status, s(16), SOAK)), []);
    const step = ticked(soaking.status, s(20), SOAK);
    assert.deepEqual(moves(step), [['state', 'Soak_Idle', 'Idle']]);
    assert.equal(step.transitions[0]?.at, s(17));
    assert.equal(step.status.rules, null);
    assert.equal(isForgettable(step.status), true);
  });
});

describe('acknowledgement', () => {
  const raised = run(NONE, [0, down]);

  it('marks the alarm shown under the token, once', () => {
    const step = acknowledged(raised.status, raised.status.token, s(1));
    assert.deepEqual(moves(step), [['acknowledged', 'Active', 'Active']]);
    assert.equal(step.status.acknowledged, true);
    assert.deepEqual(moves(acknowledged(step.status, raised.status.token, s(2))), []);
  });

  it('is cleared when the content changes, and refused under the old token', () => {
    const acked = acknowledged(raised.status, raised.status.token, s(1)).status;
    const changed = evaluated(acked, broken, s(2), NONE).status;
    assert.equal(changed.acknowledged, false);
    assert.throws(
      () => acknowledged(changed, raised.status.token, s(3)),
      (err: unknown) => err instanceof FabricError && err.code === 'FAILED_PRECONDITION',
    );
    assert.equal(acknowledged(changed, changed.token, s(3)).status.acknowledged, true);
  });

  it('survives the same content, and a soak while clearing', () => {
    const acked = acknowledged(raised.status, raised.status.token, s(1)).status;
    assert.equal(evaluated(acked, down, s(2), NONE).status.acknowledged, true);
    const soaking = evaluated(acked, null, s(2), { activeTimer: 0, idleTimer: 10 });
    assert.equal(soaking.status.state, 'Soak_Idle');
    assert.equal(soaking.status.acknowledged, true);
  });

  it('is refused for an alarm that is not shown', () => {
    for (const status of [idleStatus('x'), run(SOAK, [0, down]).status]) {
      assert.throws(
        () => acknowledged(status, status.token, s(1)),
        (err: unknown) => err instanceof FabricError && err.code === 'NOT_FOUND',
      );
    }
  });
});

describe('flapping', () => {
  // FLAP: more than 2 raises within 60 s, with an active timer of 5 s and no idle timer.
  const flapping = (): AlarmStatus => {
    let status = idleStatus('vrouter:compute-1 state');
    for (const at of [0, 10, 20]) {
      status = evaluated(status, down, s(at), FLAP).status;
      if (at < 20) status = evaluated(status, null, s(at + 2), FLAP).status;
    }
    return status;
  };

  it('soaks the raises up to the limit as usual', () => {
    const second = run(FLAP, [0, down], [2, null], [10, down]);
    assert.deepEqual(moves(second), [['state', 'Idle', 'Soak_Active']]);
    assert.equal(second.status.flapping, false);
  });

  it('raises at once, marked, when the alarm is raised more than FreqCheck_Times within FreqCheck_Seconds', () => {
    const step = run(FLAP, [0, down], [2, null], [10, down], [12, null], [20, down]);
    assert.deepEqual(moves(step), [
      ['flapping', 'Idle', 'Idle'],
      ['state', 'Idle', 'Active'],
    ]);
    assert.equal(step.status.flapping, true);
    assert.equal(isRaised(step.status), true);
  });

  it('holds a flapping alarm Active when its condition goes', () => {
    const step = evaluated(flapping(), null, s(22), FLAP);
    assert.deepEqual(moves(step), []);
    assert.equal(step.status.state, 'Active');
    assert.equal(step.status.matching, false);
  });

  it('ends flapping once no more than FreqCheck_Times raises remain in the window, then clears if the condition is gone', () => {
    const held = evaluated(flapping(), null, s(22), FLAP).status;
    assert.equal(nextWakeup(held, FLAP), s(60));
    assert.deepEqual(moves(ticked(held, s(59), FLAP)), []);
    const step = ticked(held, s(60), FLAP);
    assert.deepEqual(moves(step), [
      ['steady', 'Active', 'Active'],
      ['state', 'Active', 'Idle'],
    ]);
    assert.equal(step.status.flapping, false);
    assert.deepEqual(step.status.raises, [s(10), s(20)]);
    assert.equal(isForgettable(step.status), false);
    assert.equal(isForgettable(ticked(step.status, s(80), FLAP).status), true);
  });

  it('ends flapping but stays Active while the condition holds', () => {
    const step = ticked(flapping(), s(60), FLAP);
    assert.deepEqual(moves(step), [['steady', 'Active', 'Active']]);
    assert.equal(step.status.state, 'Active');
  });

  it('counts a raise while held as another raise', () => {
    const held = evaluated(flapping(), null, s(22), FLAP).status;
    const step = evaluated(held, down, s(30), FLAP);
    assert.deepEqual(moves(step), []);
    assert.deepEqual(step.status.raises, [s(0), s(10), s(20), s(30)]);
    assert.equal(nextWakeup(step.status, FLAP), s(60));
    assert.equal(ticked(step.status, s(60), FLAP).status.flapping, true);
  });
});
