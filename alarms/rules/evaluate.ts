import { compare } from './compare.js';
import { resolve, variableValue, type Operand, type Resolved, type Step } from './paths.js';
import { reportJson } from './report-json.js';
import type {
  AlarmAndList,
  AlarmConditionMatch,
  AlarmMatch,
  AlarmRule,
  AlarmRules,
  CompiledCondition,
  Uve,
} from '../../common/model/alarm-rules/types.js';
import { inProjectScope } from './scope.js';

/**
 * Evaluates one rule over one aggregated UVE, as TF alarm-gen's `_evaluate_uve_for_alarms`
 * (alarmgen.py): every and_list of the or_list is tried; an and_list holds when each of its conditions
 * has at least one match, and the alarm is raised with every and_list that held. null: not raised.
 *
 * A condition whose operands are single values holds or not once. Where an operand fans out (a list,
 * a wildcard) the condition is tried per value: operand1's values against operand2, or operand1
 * against operand2's values, or — both fanning out — pairwise, which needs as many values on each
 * side. Every pair that satisfies it is a match. An operand that cannot be resolved fails the
 * and_list (TF: status False).
 *
 * Whether the rule is meant for this UVE's type at all (`uve_keys`) is the caller's choice
 * (`appliesTo` in scope.ts); the project scope of a project's rule is checked here, as TF does. A
 * disabled rule raises nothing, so that disabling it clears its alarms (TF `process_alarms`).
 */
export function evaluateRule(rule: AlarmRule, uveType: string, uveName: string, uve: Uve): AlarmRules | null {
  if (!rule.enabled || !inProjectScope(rule, uveType, uveName, uve)) return null;
  const orList: AlarmAndList[] = [];
  for (const conditions of rule.orList) {
    const andList = evaluateAndList(conditions, uve);
    if (andList) orList.push({ and_list: andList });
  }
  return orList.length > 0 ? { or_list: orList } : null;
}

function evaluateAndList(
  conditions: readonly CompiledCondition[],
  uve: Uve,
): AlarmConditionMatch[] | undefined {
  const held: AlarmConditionMatch[] = [];
  for (const compiled of conditions) {
    const match = evaluateCondition(compiled, uve);
    if (match.length === 0) return undefined;
    held.push({ condition: compiled.condition, match });
  }
  return held;
}

function evaluateCondition(compiled: CompiledCondition, uve: Uve): AlarmMatch[] {
  const left = resolve(uve, compiled.operand1);
  if (unresolved(left)) return [];
  const right: Operand =
    'value' in compiled.operand2 ? constant(compiled.operand2.value) : resolve(uve, compiled.operand2.path);
  if (unresolved(right)) return [];
  return pairs(left, right)
    .filter(([a, b]) => compare(a.value, b.value, compiled.condition.operation))
    .map(([a, b]) => matchOf(compiled, a, b));
}

// A json_value operand2 is one value that came from no path.
const constant = (value: unknown): Operand => ({ fanned: false, one: { value, complete: true, trail: [] } });

function unresolved(operand: Operand): boolean {
  return !operand.fanned && !operand.one.complete;
}

function pairs(left: Operand, right: Operand): [Resolved, Resolved][] {
  const lefts = left.fanned ? left.each : [left.one];
  const rights = right.fanned ? right.each : [right.one];
  // One side fanned out: each of its values against the other side's one value.
  if (!right.fanned) return lefts.map((a) => [a, right.one]);
  if (!left.fanned) return rights.map((b) => [left.one, b]);
  return lefts.length === rights.length ? lefts.map((a, i) => [a, rights[i] as Resolved]) : [];
}

function matchOf(compiled: CompiledCondition, a: Resolved, b: Resolved): AlarmMatch {
  const constantRight = 'value' in compiled.operand2;
  return {
    json_operand1_value: reportJson(a.value),
    // TF reports no operand2 value where it is the rule's own json_value.
    json_operand2_value: constantRight ? null : reportJson(b.value),
    json_variables: Object.fromEntries(
      compiled.variables.map(({ name, path }) => [
        name,
        reportJson(variableValue(path, trailFor(compiled, path, a, b))),
      ]),
    ),
  };
}

/**
 * A variable is read beside the operand whose path shares more leading components with it; on a tie,
 * beside operand2 (TF compares the two common prefixes and takes operand1 only when its is longer).
 */
function trailFor(
  compiled: CompiledCondition,
  variable: readonly string[],
  a: Resolved,
  b: Resolved,
): readonly Step[] {
  if (!('path' in compiled.operand2)) return a.trail;
  const shared1 = commonPrefix(compiled.operand1, variable);
  const shared2 = commonPrefix(compiled.operand2.path, variable);
  return shared1 > shared2 ? a.trail : b.trail;
}

function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}
