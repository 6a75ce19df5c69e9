import { clientFault } from '../common/errors.js';
import { logger } from '../common/log.js';
import { BUILTIN_RULES } from '../common/model/alarm-rules/builtin/index.js';
import { planRuleChange, type RuleChange } from '../common/model/alarm-rules/changes.js';
import { effectiveRules } from '../common/model/alarm-rules/effective.js';
import type { AlarmRule } from '../common/model/alarm-rules/types.js';
import { readRuleVersions, storeRuleVersion, type RuleVersion } from '../common/schema/alarm-rules.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { alarmMetrics } from './metrics.js';
import { appliesTo } from './rules/scope.js';

const log = logger('alarms');

/** The rules the engine evaluates, indexed by the UVE type they cover and by fq name. */
export class RuleSet {
  private readonly byType = new Map<string, AlarmRule[]>();
  private readonly byFqName = new Map<string, AlarmRule>();

  constructor(rules: readonly AlarmRule[]) {
    for (const rule of rules) {
      this.byFqName.set(rule.fqName, rule);
      for (const type of new Set(rule.uveKeys.map((scope) => scope.type))) {
        this.byType.set(type, [...(this.byType.get(type) ?? []), rule]);
      }
    }
  }

  get(fqName: string): AlarmRule | undefined {
    return this.byFqName.get(fqName);
  }

  /** The rules whose uve_keys cover this UVE. */
  covering(type: string, name: string): AlarmRule[] {
    return (this.byType.get(type) ?? []).filter((rule) => appliesTo(rule, type, name));
  }

  /**
   * The rules of the names whose definition differs in `next` (added, removed, changed), both
   * definitions of each: the UVEs either covers are those whose alarms the change may move.
   */
  changedIn(next: RuleSet): AlarmRule[] {
    const changed: AlarmRule[] = [];
    for (const name of new Set([...this.byFqName.keys(), ...next.byFqName.keys()])) {
      const [before, after] = [this.get(name), next.get(name)];
      if (JSON.stringify(before) === JSON.stringify(after)) continue;
      changed.push(...[before, after].filter((rule) => rule !== undefined));
    }
    return changed;
  }
}

/**
 * The rules as the warehouse holds them (alarm_rules over the built-ins). The engine alone writes
 * them: the API checks a change and sends it to every partition of the alarms topic, so that every
 * engine instance takes it up; each checks it again here against what is stored.
 */
export class StoredRules {
  constructor(private readonly warehouse: Warehouse) {}

  /**
   * The rules in force, the enabled ones: a disabled rule is not evaluated, and its alarms are
   * cleared as a deleted one's. A stored version that no longer parses is left out, logged, counted.
   */
  async load(): Promise<AlarmRule[]> {
    const { rules, faults } = effectiveRules(BUILTIN_RULES, await readRuleVersions(this.warehouse));
    for (const fault of faults) {
      alarmMetrics.ruleErrors.inc({ type: fault.name });
      log.error(fault, 'a stored alarm rule does not parse: left out');
    }
    return rules.map((effective) => effective.rule).filter((rule) => rule.enabled);
  }

  /**
   * Stores the version a change makes. One refused (the rule changed since the API checked it) is
   * counted and logged, and the API tells its caller; one stored already (a redelivery) is not
   * stored again.
   */
  async apply(change: RuleChange): Promise<'applied' | 'refused' | 'unchanged'> {
    const versions = await readRuleVersions(this.warehouse);
    let next: RuleVersion | undefined;
    try {
      next = planRuleChange(BUILTIN_RULES, versions, change, Date.now());
    } catch (err) {
      const refusal = clientFault(err);
      if (!refusal) throw err;
      if (storedAlready(versions, change)) return 'unchanged';
      log.warn({ rule: change.name, err: refusal.message }, 'refused an alarm rule change');
      return 'refused';
    }
    if (!next) return 'unchanged';
    await storeRuleVersion(this.warehouse, next);
    log.info(
      { rule: next.name, version: next.version, status: next.status, author: next.author },
      'stored an alarm rule',
    );
    return 'applied';
  }
}

/** Whether the version after the one the change expected is what the change stores: a redelivery. */
function storedAlready(versions: readonly RuleVersion[], change: RuleChange): boolean {
  const stored = versions.find((v) => v.name === change.name && v.version === change.expectedVersion + 1);
  if (!stored) return false;
  const before = versions.filter((v) => v.name !== change.name || v.version <= change.expectedVersion);
  try {
    const again = planRuleChange(BUILTIN_RULES, before, change, stored.at);
    return (
      again !== undefined &&
      again.rule === stored.rule &&
      again.status === stored.status &&
      again.author === stored.author
    );
  } catch {
    return false;
  }
}
