import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlarmEngine, type Change, type Evaluation } from '../../../alarms/engine.js';
import { UveState, uveKey } from '../../../alarms/uve-state.js';
import { FabricError } from '../../../common/errors.js';
import { BUILTIN_RULES } from '../../../common/model/alarm-rules/builtin/index.js';
import { parseRule } from '../../../common/model/alarm-rules/parse.js';
import { uvePartOf } from '../../../common/model/uve-parts.js';
import { planEvents } from '../../../simulator/fabric/events.js';
import { buildFabricState } from '../../../simulator/fabric/state/fabric-state.js';
import { buildTopology } from '../../../simulator/fabric/topology/build.js';
import type { Published } from '../../support/simulated-uves.js';

/**
 * The engine over the UVE state as the service drives it (alarms/service.ts): publications applied,
 * the UVEs they touched evaluated, the changes applied once "stored". The simulator's fabric and
 * events give the UVEs, as generators publish them.
 */

const T0 = 1_750_000_000_000; // ms
const topo = buildTopology({ vrouters: 2, seed: 1 });
const [control] = topo.controlNodes;
const vr = topo.vrouters.at(-1);
assert.ok(control && vr);
const BGP = 'default-global-system-config:system-defined-bgp-connectivity';
const NODE_STATUS = 'default-global-system-config:system-defined-node-status';

/** An engine and its UVE state with the fabric's state published at T0. */
function fabric() {
  const engine = new AlarmEngine(BUILTIN_RULES);
  const uves = new UveState();
  const run = new Driver(engine, uves);
  run.publish(buildFabricState(topo, T0 * 1000), T0);
  return run;
}

class Driver {
  /** Every transition applied, as `uve alarm-type from→to`. */
  readonly log: string[] = [];

  constructor(
    readonly engine: AlarmEngine,
    readonly uves: UveState,
  ) {}

  /** Applies what generators published, received at `ms`, and evaluates the UVEs it touched. */
  publish(published: readonly Published[], ms: number): Change[] {
    const touched = new Map<string, Evaluation>();
    for (const { generator, uves } of published) {
      for (const record of uves) {
        const change = { type: record.type, name: record.name, deleted: record.deleted };
        const applied = this.uves.apply({ ...change, part: uvePartOf(generator, record, ms * 1000) });
        const key = uveKey(record.type, record.name);
        if (applied !== 'ignored') touched.set(key, applied === 'gone' ? 'gone' : this.value(key));
      }
    }
    return this.settle(this.engine.evaluate(touched, ms));
  }

  withdraw(generator: string, ms: number): Change[] {
    const touched = this.uves.withdraw(generator, ms * 1000);
    return this.settle(this.engine.evaluate(new Map(touched.map((key) => [key, this.value(key)])), ms));
  }

  tick(ms: number): Change[] {
    return this.settle(this.engine.tick(ms));
  }

  /** The alarms of a UVE whose last state change left them other than Idle, by type. */
  raised(uve: string): Record<string, string> {
    const last = new Map<string, string>();
    for (const [at, type, move] of this.log.map((line) => line.split(' '))) {
      if (at === uve) last.set(type!, move!.split('→')[1]!);
    }
    return Object.fromEntries([...last].filter(([, state]) => state !== 'Idle'));
  }

  private value(key: string): Evaluation {
    return { uve: this.uves.aggregated(key) };
  }

  private settle(changes: Change[]): Change[] {
    this.engine.apply(changes);
    for (const c of changes) {
      for (const t of c.transitions) {
        if (t.kind === 'state') this.log.push(`${c.uveType}:${c.uveName} ${c.alarmType} ${t.from}→${t.to}`);
      }
    }
    return changes;
  }
}

/** The transitions of the changes as `alarm-type from→to`, state changes only. */
const moves = (changes: Change[]): string[] =>
  changes.flatMap((c) =>
    c.transitions.filter((t) => t.kind === 'state').map((t) => `${c.alarmType} ${t.from}→${t.to}`),
  );

describe('alarm engine over the UVE state', () => {
  it('raises bgp-connectivity when a BGP peer of a control node goes down, and clears it when it is back', () => {
    const run = fabric();
    const controlUve = `control-node:${control.name}`;
    assert.equal(run.raised(controlUve)[BGP], undefined);
    const [flap] = planEvents(topo, [{ kind: 'bgp-flap' }], T0 * 1000);
    const [down, retry, up] = flap!.steps;
    assert.deepEqual(moves(run.publish([down!], T0 + 1000)), [`${BGP} Idle→Active`]);
    assert.deepEqual(moves(run.publish([retry!], T0 + 2000)), [], 'still down: no second raise');
    assert.deepEqual(moves(run.publish([up!], T0 + 3000)), [`${BGP} Active→Idle`]);
  });

  it("evaluates a withdrawn vRouter's UVE without its parts: as the empty UVE, node-status fires", () => {
    const run = fabric();
    const vrouterUve = `vrouter:${vr.name}`;
    assert.equal(run.raised(vrouterUve)[NODE_STATUS], undefined);
    const changes = run.withdraw(vr.generator, T0 + 5000);
    assert.ok(moves(changes).includes(`${NODE_STATUS} Idle→Active`), moves(changes).join(', '));
    assert.equal(run.raised(vrouterUve)[NODE_STATUS], 'Active');
    // The other vRouter keeps its parts and raises nothing new.
    assert.ok(changes.every((c) => c.uveName !== topo.vrouters[0]!.name));
    // It comes back and resends its state: NodeStatus is there again.
    const resent = buildFabricState(topo, T0 * 1000).filter((p) => p.generator === vr.generator);
    assert.ok(moves(run.publish(resent, T0 + 9000)).includes(`${NODE_STATUS} Active→Idle`));
  });

  it('clears the alarms of a UVE whose last part is deleted at once, without evaluating the empty UVE', () => {
    const run = fabric();
    const vrouterUve = `vrouter:${vr.name}`;
    run.withdraw(vr.generator, T0 + 1000);
    assert.equal(run.raised(vrouterUve)[NODE_STATUS], 'Active');
    const resent = buildFabricState(topo, T0 * 1000).filter((p) => p.generator === vr.generator);
    run.publish(resent, T0 + 2000);
    // The vRouter is decommissioned: the agent, and the config node (its ContrailConfig), delete
    // every struct they hold of its vrouter UVE. While one is left the UVE is evaluated over it.
    const deleted = buildFabricState(topo, T0 * 1000).map(({ generator, uves }) => ({
      generator,
      uves: uves
        .filter((u) => u.type === 'vrouter' && u.name === vr.name)
        .map((u) => ({ ...u, deleted: true })),
    }));
    const [agent, ...others] = deleted.filter((p) => p.uves.length > 0);
    assert.ok(agent && others.length > 0, 'the vrouter UVE has parts from the agent and from others');
    run.publish([agent], T0 + 3000);
    assert.equal(run.raised(vrouterUve)[NODE_STATUS], 'Active', 'the agent is gone, its config is not');
    run.publish(others, T0 + 4000);
    assert.deepEqual(run.raised(vrouterUve), {});
    assert.deepEqual(run.engine.heldUves().includes(uveKey('vrouter', vr.name)), false);
  });

  it('changes nothing until the changes are applied, so a step whose store failed is computed again', () => {
    const run = fabric();
    const [flap] = planEvents(topo, [{ kind: 'bgp-flap' }], T0 * 1000);
    const [down] = flap!.steps;
    for (const { generator, uves } of [down!]) {
      for (const record of uves)
        run.uves.apply({ ...record, part: uvePartOf(generator, record, (T0 + 1000) * 1000) });
    }
    const key = uveKey('control-node', control.name);
    const evaluation = new Map([[key, { uve: run.uves.aggregated(key) }]]);
    const first = run.engine.evaluate(evaluation, T0 + 1000);
    assert.deepEqual(moves(first), [`${BGP} Idle→Active`]);
    assert.deepEqual(moves(run.engine.evaluate(evaluation, T0 + 1000)), moves(first));
    run.engine.apply(first);
    assert.deepEqual(moves(run.engine.evaluate(evaluation, T0 + 1000)), []);
  });

  it('restores held statuses: the same UVE raises nothing again, an alarm whose rule is gone is cleared', () => {
    const run = fabric();
    const [flap] = planEvents(topo, [{ kind: 'bgp-flap' }], T0 * 1000);
    const raised = run.publish([flap!.steps[0]!], T0 + 1000).find((c) => c.alarmType === BGP);
    assert.ok(raised);
    assert.equal(raised.description, BUILTIN_RULES.find((rule) => rule.fqName === BGP)!.description);
    assert.ok(raised.description.length > 0);
    const gone = {
      ...raised,
      alarmType: 'default-global-system-config:retired-rule',
      severity: 2,
      description: 'A rule since deleted.',
    };
    const restarted = new AlarmEngine(BUILTIN_RULES);
    restarted.restore([raised, gone]);
    const key = uveKey('control-node', control.name);
    assert.deepEqual(restarted.heldUves(), [key]);
    const changes = restarted.evaluate(new Map([[key, { uve: run.uves.aggregated(key) }]]), T0 + 5000);
    const ofInterest = changes.filter((c) => c.alarmType === BGP || c.alarmType === gone.alarmType);
    assert.deepEqual(moves(ofInterest), ['default-global-system-config:retired-rule Active→Idle']);
    // Its clearing row says what the rule said of itself, as stored with the alarm.
    assert.deepEqual(
      ofInterest.filter((c) => c.alarmType === gone.alarmType).map((c) => [c.severity, c.description]),
      [[2, 'A rule since deleted.']],
    );
  });

  it('acknowledges a raised alarm under its token, once; one not raised is NOT_FOUND', () => {
    const run = fabric();
    const [flap] = planEvents(topo, [{ kind: 'bgp-flap' }], T0 * 1000);
    const raised = run.publish([flap!.steps[0]!], T0 + 1000).find((c) => c.alarmType === BGP);
    assert.ok(raised);
    const ack = () =>
      run.engine.acknowledge('control-node', control.name, BGP, raised.status.token, T0 + 2000);
    const first = ack();
    assert.deepEqual(
      first.transitions.map((t) => t.kind),
      ['acknowledged'],
    );
    run.engine.apply([first]);
    assert.deepEqual(ack().transitions, [], 'a second acknowledgement changes nothing');
    assert.throws(
      () => run.engine.acknowledge('control-node', 'control-9', BGP, 'x', T0),
      (err: unknown) => err instanceof FabricError && err.code === 'NOT_FOUND',
    );
  });

  it('soaks a rule with an ActiveTimer, raising it when the timer fires', () => {
    const rule = parseRule({
      name: 'slow',
      alarm_severity: 2,
      ActiveTimer: 10,
      uve_keys: { uve_key: ['vrouter'] },
      alarm_rules: {
        or_list: [
          {
            and_list: [
              { operand1: 'VrouterAgent.mode', operation: '==', operand2: { json_value: '"down"' } },
            ],
          },
        ],
      },
    });
    const engine = new AlarmEngine([rule]);
    const key = uveKey('vrouter', 'compute-9');
    const down = new Map([[key, { uve: { VrouterAgent: { mode: 'down' } } }]]);
    const soaking = engine.evaluate(down, T0);
    assert.deepEqual(moves(soaking), [`${rule.fqName} Idle→Soak_Active`]);
    engine.apply(soaking);
    assert.equal(engine.nextWakeup(), T0 + 10_000);
    assert.deepEqual(engine.tick(T0 + 9_999), []);
    const fired = engine.tick(T0 + 10_000);
    assert.deepEqual(moves(fired), [`${rule.fqName} Soak_Active→Active`]);
    engine.apply(fired);
    assert.equal(engine.nextWakeup(), undefined);
  });
});
