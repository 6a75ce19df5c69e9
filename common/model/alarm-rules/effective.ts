import { errorMessage } from '../../errors.js';
import type { RuleVersion } from '../../schema/alarm-rules.js';
import { parseRule } from './parse.js';
import type { AlarmRule } from './types.js';

/** Shipped and never stored; written at run time; or written over a built-in of its name. */
export type RuleSource = 'builtin' | 'custom' | 'override';

/** A rule as it stands: its definition, where it comes from, its version (0: never stored). */
export interface EffectiveRule {
  /** `enabled` is the stored status's, not the JSON's id_perms.enable (which sets the status when stored). */
  rule: AlarmRule;
  source: RuleSource;
  version: number;
  /** Its newest stored version, if any. */
  stored?: RuleVersion;
}

/** A stored version that no longer parses (a later release reading stricter): left out, reported. */
export interface RuleFault {
  name: string;
  version: number;
  error: string;
}

/** The newest version of each name. */
export function newestVersions(versions: readonly RuleVersion[]): Map<string, RuleVersion> {
  const newest = new Map<string, RuleVersion>();
  for (const v of versions) {
    const held = newest.get(v.name);
    if (!held || v.version > held.version) newest.set(v.name, v);
  }
  return newest;
}

/**
 * The rules in force, by fq name: each built-in unless its newest stored version says otherwise,
 * and each stored rule whose newest version is not a deletion. A deletion of a built-in's name
 * brings the built-in back as shipped (its version then counts on from the deletion's): built-ins
 * are disabled or overridden, never lost.
 */
export function effectiveRules(
  builtins: readonly AlarmRule[],
  versions: readonly RuleVersion[],
): { rules: EffectiveRule[]; faults: RuleFault[] } {
  const newest = newestVersions(versions);
  const builtinByName = new Map(builtins.map((rule) => [rule.fqName, rule]));
  const rules: EffectiveRule[] = [];
  const faults: RuleFault[] = [];
  for (const name of new Set([...builtinByName.keys(), ...newest.keys()])) {
    const builtin = builtinByName.get(name);
    const stored = newest.get(name);
    if (!stored) {
      if (builtin) rules.push({ rule: builtin, source: 'builtin', version: 0 });
      continue;
    }
    const version = stored.version;
    const enabled = stored.status === 'enabled';
    if (stored.status === 'deleted' || stored.rule === '') {
      if (builtin) {
        const rule = stored.status === 'deleted' ? builtin : { ...builtin, enabled };
        rules.push({ rule, source: 'builtin', version, stored });
      }
      continue;
    }
    try {
      const rule = { ...parseRule(JSON.parse(stored.rule)), enabled };
      rules.push({ rule, source: builtin ? 'override' : 'custom', version, stored });
    } catch (err) {
      faults.push({ name, version, error: errorMessage(err) });
    }
  }
  return { rules: rules.sort((a, b) => a.rule.fqName.localeCompare(b.rule.fqName)), faults };
}
