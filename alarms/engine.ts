import { errorMessage, FabricError } from '../common/errors.js';
import { logger, rateLimited } from '../common/log.js';
import type { AlarmRule, AlarmRules, AlarmTimers, Uve } from '../common/model/alarm-rules/types.js';
import {
  acknowledged,
  evaluated,
  idleStatus,
  isForgettable,
  isRaised,
  nextWakeup,
  ticked,
  type AlarmStatus,
  type Step,
} from './lifecycle.js';
import { alarmMetrics, severityName } from './metrics.js';
import { evaluateRule } from './rules/evaluate.js';
import { RuleSet } from './rule-set.js';
import { splitUveKey, uveKey } from './uve-state.js';

const log = rateLimited(logger('alarms'));

/** One alarm's step: its status after, and the transitions (none when only its bookkeeping moved). */
export interface Change {
  uveType: string;
  uveName: string;
  /** The rule's fq name: TF's alarm type. */
  alarmType: string;
  severity: number;
  /** The rule's description (TF's UVEAlarmInfo.description). */
  description: string;
  status: AlarmStatus;
  transitions: Step['transitions'];
}

/** An alarm's status as stored, to restore after a restart. */
export interface HeldAlarm {
  uveType: string;
  uveName: string;
  alarmType: string;
  severity: number;
  description: string;
  status: AlarmStatus;
}

/**
 * How a UVE is evaluated: over its aggregated value (the empty UVE when it has no live part left,
 * its generators withdrawn, so that node-status fires as in TF), or `gone` (its last part deleted:
 * the UVE no longer exists, and its alarms are cleared at once, as TF deletes them with the UVE).
 */
export type Evaluation = { uve: Uve } | 'gone';

/** What a rule says of its alarms beside their status. */
type Described = Pick<Change, 'severity' | 'description'>;
const describedBy = ({ severity, description }: AlarmRule): Described => ({ severity, description });

/** No soak and no flap check: how an alarm whose UVE or rule is gone is cleared. */
const AT_ONCE: AlarmTimers = { activeTimer: 0, idleTimer: 0 };

/**
 * The alarms of every UVE: each rule over each UVE its `uve_keys` cover, each alarm's status through
 * the lifecycle (lifecycle.ts). Computing a step changes nothing: `evaluate` and `tick` return the
 * changes, the caller stores their transitions and then `apply`s them, so what the engine holds is
 * never ahead of what the warehouse holds. Statuses that say nothing an idle one would not are
 * forgotten.
 */
export class AlarmEngine {
  /** UVE key → alarm type → status. */
  private readonly statuses = new Map<string, Map<string, AlarmStatus>>();
  private rules: RuleSet;
  /** What alarm types whose rule is gone (removed, disabled) said of themselves, for their clearing rows. */
  private readonly lastKnown = new Map<string, Described>();
  /** Raised alarms per `severity\ntype`, for fabricscope_alarms_active. */
  private readonly active = new Map<string, number>();
  /** The rules evaluated over groups (`evaluateGroups`), never over a UVE that changes. */
  private readonly grouped = new Map<string, AlarmRule>();

  /** `grouped`: threshold rules (thresholds.ts), whose UVEs are the groups of their aggregate. */
  constructor(rules: readonly AlarmRule[], grouped: readonly AlarmRule[] = []) {
    this.rules = new RuleSet(rules);
    for (const rule of grouped) this.grouped.set(rule.fqName, rule);
  }

  /**
   * Takes the rules in force from now on (a rule written, disabled or deleted at run time) and
   * returns those that changed, both definitions: the caller evaluates the UVEs they cover, which
   * clears at once the alarms of a rule gone. Statuses change only by that evaluation's changes.
   */
  useRules(rules: readonly AlarmRule[]): AlarmRule[] {
    const next = new RuleSet(rules);
    const changed = this.rules.changedIn(next);
    for (const rule of changed) this.lastKnown.set(rule.fqName, describedBy(rule));
    this.rules = next;
    return changed;
  }

  /** Takes the statuses stored before a restart; those of rules gone are cleared by the next evaluation. */
  restore(held: readonly HeldAlarm[]): void {
    this.apply(
      held.map(({ uveType, uveName, alarmType, severity, description, status }) => {
        this.lastKnown.set(alarmType, { severity, description });
        return { uveType, uveName, alarmType, severity, description, status, transitions: [] };
      }),
    );
  }

  /**
   * Lets go of the alarms of the UVEs `moved` says another instance now owns (their statuses are in
   * the warehouse, where it restores them from); fabricscope_alarms_active counts only those held.
   */
  release(moved: (key: string) => boolean): void {
    for (const [key, held] of this.statuses) {
      if (!moved(key)) continue;
      const { type, name } = splitUveKey(key);
      for (const [alarmType, status] of held) {
        const change = {
          uveType: type,
          uveName: name,
          alarmType,
          ...this.described(alarmType),
          status,
          transitions: [],
        };
        this.count(change, status, idleStatus(`${key} ${alarmType}`));
      }
      this.statuses.delete(key);
    }
  }

  /** The UVEs holding alarm statuses: a restart evaluates them even when they have no part left. */
  heldUves(): string[] {
    return [...this.statuses.keys()];
  }

  /** Evaluates the rules that cover each UVE, and clears what its statuses hold for rules that no longer do. */
  evaluate(uves: ReadonlyMap<string, Evaluation>, now: number): Change[] {
    const changes: Change[] = [];
    for (const [key, evaluation] of uves) {
      const stop = alarmMetrics.evaluationSeconds.startTimer();
      changes.push(...this.evaluateUve(key, evaluation, now));
      stop();
    }
    return changes;
  }

  /**
   * Evaluates a grouped rule over each group, a UVE of the rule's type named by the group's value;
   * a group its statuses hold that is not among them is evaluated over the empty UVE.
   */
  evaluateGroups(rule: AlarmRule, groups: ReadonlyMap<string, Uve>, now: number): Change[] {
    const type = rule.uveKeys[0]!.type;
    const names = new Set(groups.keys());
    for (const [key, held] of this.statuses) {
      const uve = splitUveKey(key);
      if (uve.type === type && held.has(rule.fqName)) names.add(uve.name);
    }
    const changes: Change[] = [];
    for (const name of names) {
      const key = uveKey(type, name);
      const status = this.statuses.get(key)?.get(rule.fqName);
      const idle = idleStatus(`${key} ${rule.fqName}`);
      const step = this.step(rule, type, name, groups.get(name) ?? {}, status ?? idle, now);
      if (step && (status || !isForgettable(step.status))) changes.push(this.change(key, rule.fqName, step));
    }
    return changes;
  }

  /** Fires what is due at `now`: soaks that end, raises that leave a flap window. */
  tick(now: number): Change[] {
    const changes: Change[] = [];
    for (const [key, held] of this.statuses) {
      for (const [alarmType, status] of held) {
        const timers = this.timersOf(alarmType);
        if ((nextWakeup(status, timers) ?? Infinity) > now) continue;
        changes.push(this.change(key, alarmType, ticked(status, now, timers)));
      }
    }
    return changes;
  }

  /**
   * Acknowledges an alarm as shown under `token` (TF's ack): refused when it is not raised
   * (NOT_FOUND) or its content has changed since (FAILED_PRECONDITION); again, it changes nothing.
   */
  acknowledge(uveType: string, uveName: string, alarmType: string, token: string, now: number): Change {
    const key = uveKey(uveType, uveName);
    const status = this.statuses.get(key)?.get(alarmType);
    if (!status) throw new FabricError('NOT_FOUND', `alarm ${key} ${alarmType} is not raised`);
    return this.change(key, alarmType, acknowledged(status, token, now));
  }

  /** When `tick` should next run, if ever. */
  nextWakeup(): number | undefined {
    let next: number | undefined;
    for (const held of this.statuses.values()) {
      for (const [alarmType, status] of held) {
        const at = nextWakeup(status, this.timersOf(alarmType));
        if (at !== undefined && (next === undefined || at < next)) next = at;
      }
    }
    return next;
  }

  /** Takes the changes once their transitions are stored. */
  apply(changes: readonly Change[]): void {
    for (const change of changes) {
      const key = uveKey(change.uveType, change.uveName);
      const held = this.statuses.get(key) ?? new Map<string, AlarmStatus>();
      this.count(change, held.get(change.alarmType), change.status);
      if (isForgettable(change.status)) held.delete(change.alarmType);
      else held.set(change.alarmType, change.status);
      if (held.size > 0) this.statuses.set(key, held);
      else this.statuses.delete(key);
    }
  }

  private evaluateUve(key: string, evaluation: Evaluation, now: number): Change[] {
    const { type, name } = splitUveKey(key);
    const held = this.statuses.get(key);
    const rules = this.rules.covering(type, name);
    const heldTypes = [...(held?.keys() ?? [])].filter((alarmType) => !this.grouped.has(alarmType));
    const types = new Set([...rules.map((rule) => rule.fqName), ...heldTypes]);
    const changes: Change[] = [];
    for (const alarmType of types) {
      const rule = rules.find((r) => r.fqName === alarmType);
      const status = held?.get(alarmType);
      const step =
        rule && evaluation !== 'gone'
          ? this.step(rule, type, name, evaluation.uve, status ?? idleStatus(`${key} ${alarmType}`), now)
          : status && cleared(status, now);
      // An alarm neither held nor raised stays unknown.
      if (step && (status || !isForgettable(step.status))) changes.push(this.change(key, alarmType, step));
    }
    return changes;
  }

  /** The rule's step, after what was due; undefined when the rule failed (the status then stays). */
  private step(
    rule: AlarmRule,
    type: string,
    name: string,
    uve: Uve,
    status: AlarmStatus,
    now: number,
  ): Step | undefined {
    let result: AlarmRules | null;
    try {
      result = evaluateRule(rule, type, name, uve);
    } catch (err) {
      alarmMetrics.ruleErrors.inc({ type: rule.fqName });
      log.error(
        rule.fqName,
        { type: rule.fqName, uve: `${type}:${name}`, err: errorMessage(err) },
        'rule failed',
      );
      return undefined;
    }
    alarmMetrics.evaluations.inc();
    const due = (nextWakeup(status, rule.timers) ?? Infinity) <= now;
    const before = due ? ticked(status, now, rule.timers) : { status, transitions: [] };
    return then(before, evaluated(before.status, result, now, rule.timers));
  }

  private change(key: string, alarmType: string, step: Step): Change {
    const { type, name } = splitUveKey(key);
    return { uveType: type, uveName: name, alarmType, ...this.described(alarmType), ...step };
  }

  /** The rule's severity and description, or the last known of a rule gone. */
  private described(alarmType: string): Described {
    const rule = this.ruleOf(alarmType);
    return rule ? describedBy(rule) : (this.lastKnown.get(alarmType) ?? { severity: 0, description: '' });
  }

  private timersOf(alarmType: string): AlarmTimers {
    return this.ruleOf(alarmType)?.timers ?? AT_ONCE;
  }

  private ruleOf(alarmType: string): AlarmRule | undefined {
    return this.rules.get(alarmType) ?? this.grouped.get(alarmType);
  }

  private count(change: Change, before: AlarmStatus | undefined, after: AlarmStatus): void {
    const delta = Number(isRaised(after)) - Number(before ? isRaised(before) : 0);
    if (delta === 0) return;
    const labels = { severity: severityName(change.severity), type: change.alarmType };
    const id = `${labels.severity}\n${labels.type}`;
    const count = (this.active.get(id) ?? 0) + delta;
    this.active.set(id, count);
    alarmMetrics.active.set(labels, count);
  }
}

/** Two steps in a row, as one. */
function then(first: Step, second: Step): Step {
  return { status: second.status, transitions: [...first.transitions, ...second.transitions] };
}

/** The alarm cleared at once, soaks and flapping set aside: its UVE or its rule is gone. */
function cleared(status: AlarmStatus, now: number): Step {
  const step = evaluated(status, null, now, AT_ONCE);
  // A flapping alarm is held Active on clearing; with no flap check, a tick ends the flapping.
  return step.status.flapping ? then(step, ticked(step.status, now, AT_ONCE)) : step;
}
