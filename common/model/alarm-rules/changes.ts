import { FabricError } from '../../errors.js';
import type { RuleVersion } from '../../schema/alarm-rules.js';
import { effectiveRules, newestVersions, type EffectiveRule } from './effective.js';
import { parseJson } from './json.js';
import { parseRule } from './parse.js';
import type { AlarmRule } from './types.js';

export const ruleOperations = ['create', 'replace', 'disable', 'enable', 'delete'] as const;
export type RuleOperation = (typeof ruleOperations)[number];

/** A change of one rule, as the API asks it and the engine applies it. */
export interface RuleChange {
  operation: RuleOperation;
  /** The rule's fq name. */
  name: string;
  /** Its TF-format JSON text (create, replace). */
  rule: string;
  /** The rule's newest stored version the change was checked against (0: none). */
  expectedVersion: number;
  author: string;
}

/**
 * The version a change stores, over the versions stored so far; undefined when it changes nothing
 * (enabling an enabled rule). Refused (FabricError) when the rule does not parse (INVALID_ARGUMENT,
 * naming the paths at fault), is not there to change (NOT_FOUND), or is not as the change expects
 * (FAILED_PRECONDITION, naming its version now). The API checks a change with it before sending it,
 * the engine again before storing it: what was stored in between is then refused.
 */
export function planRuleChange(
  builtins: readonly AlarmRule[],
  versions: readonly RuleVersion[],
  change: RuleChange,
  now: number,
): RuleVersion | undefined {
  const newest = newestVersions(versions).get(change.name)?.version ?? 0;
  if (newest !== change.expectedVersion) {
    throw new FabricError(
      'FAILED_PRECONDITION',
      `alarm rule ${change.name} is at version ${newest}, not ${change.expectedVersion}: read it again and change it from version ${newest}`,
    );
  }
  const current = effectiveRules(builtins, versions).rules.find((r) => r.rule.fqName === change.name);
  const next = (rule: string, status: RuleVersion['status']): RuleVersion => ({
    name: change.name,
    version: newest + 1,
    rule,
    status,
    author: change.author,
    at: now,
  });
  if (change.operation === 'create') {
    if (current) throw exists(current);
    return next(change.rule, statusOf(checked(change)));
  }
  if (!current) throw new FabricError('NOT_FOUND', `no alarm rule ${change.name}`);
  switch (change.operation) {
    case 'replace':
      return next(change.rule, statusOf(checked(change)));
    case 'disable':
    case 'enable': {
      const enabled = change.operation === 'enable';
      return current.rule.enabled === enabled
        ? undefined
        : next(
            current.stored?.status === 'deleted' ? '' : (current.stored?.rule ?? ''),
            enabled ? 'enabled' : 'disabled',
          );
    }
    case 'delete':
      if (current.source === 'builtin' && (!current.stored || current.stored.status === 'deleted')) {
        throw new FabricError(
          'FAILED_PRECONDITION',
          `alarm rule ${change.name} is a built-in as shipped: it is not deleted, disable it instead`,
        );
      }
      return next('', 'deleted');
  }
}

/** The rule of a create or replace, parsed; it must bear the name it is stored under. */
function checked(change: RuleChange): AlarmRule {
  const rule = parseRule(parseJson(change.rule));
  if (rule.fqName !== change.name) {
    throw new FabricError(
      'INVALID_ARGUMENT',
      `alarm rule refused: fq_name: the rule is named ${rule.fqName}, not ${change.name} (create it under its own name)`,
    );
  }
  return rule;
}

/** A rule stored with id_perms.enable false is stored disabled. */
const statusOf = (rule: AlarmRule): RuleVersion['status'] => (rule.enabled ? 'enabled' : 'disabled');

function exists(current: EffectiveRule): FabricError {
  return new FabricError(
    'FAILED_PRECONDITION',
    `alarm rule ${current.rule.fqName} exists (${current.source}, version ${current.version}): replace it from version ${current.version}`,
  );
}

/**
 * The fq name a caller means: the fq name itself or its last component (as alarm types are
 * filtered), among the rules in force. NOT_FOUND when none, INVALID_ARGUMENT when several.
 */
export function resolveRuleName(rules: readonly EffectiveRule[], name: string): string {
  const names = rules.map((r) => r.rule.fqName);
  if (names.includes(name)) return name;
  const matching = names.filter((fq) => fq.split(':').at(-1) === name);
  if (matching.length === 1) return matching[0]!;
  if (matching.length === 0) throw new FabricError('NOT_FOUND', `no alarm rule ${name}`);
  throw new FabricError(
    'INVALID_ARGUMENT',
    `alarm rule ${name} is ambiguous: give its fq name (${matching.join(', ')})`,
  );
}
