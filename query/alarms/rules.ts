import { ruleChangeMessage } from '../../common/bus/alarm-commands.js';
import { FabricError } from '../../common/errors.js';
import { BUILTIN_RULES } from '../../common/model/alarm-rules/builtin/index.js';
import {
  planRuleChange,
  resolveRuleName,
  type RuleChange,
  type RuleOperation,
} from '../../common/model/alarm-rules/changes.js';
import {
  effectiveRules,
  newestVersions,
  type EffectiveRule,
} from '../../common/model/alarm-rules/effective.js';
import { parseRule } from '../../common/model/alarm-rules/parse.js';
import { readRuleVersions, type RuleVersion } from '../../common/schema/alarm-rules.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type { AlarmRuleSource, MutationResolvers, QueryResolvers } from '../generated/graphql.js';
import type { MutationDeps } from '../index.js';
import { resolver } from '../shared/resolve.js';
import { microsToRfc3339 } from '../shared/time.js';
import { severityOf } from './rows.js';
import { storedByEngine } from './stored-by-engine.js';

/** A rule in force as the API shows it. */
export function toAlarmRule({ rule, source, version, stored }: EffectiveRule) {
  return {
    name: rule.name,
    type: rule.fqName,
    severity: severityOf(rule.severity),
    description: rule.description,
    enabled: rule.enabled,
    uveKeys: rule.uveKeys.map((scope) =>
      scope.name === undefined ? scope.type : `${scope.type}:${scope.name}`,
    ),
    activeTimer: rule.timers.activeTimer,
    idleTimer: rule.timers.idleTimer,
    freqCheckTimes: rule.timers.freqCheck?.times ?? null,
    freqCheckSeconds: rule.timers.freqCheck?.seconds ?? null,
    alarmRules: { or_list: rule.orList.map((and) => ({ and_list: and.map((c) => c.condition) })) },
    builtIn: source !== 'custom',
    source: source.toUpperCase() as AlarmRuleSource,
    version,
    updatedBy: stored?.author || null,
    updatedAt: stored ? microsToRfc3339(stored.at * 1000) : null,
  };
}

const rulesInForce = async (warehouse: Warehouse) =>
  effectiveRules(BUILTIN_RULES, await readRuleVersions(warehouse)).rules;

export function alarmRuleResolvers(warehouse: Warehouse): QueryResolvers {
  return {
    alarmRules: resolver('alarmRules', async () => (await rulesInForce(warehouse)).map(toAlarmRule)),
  };
}

/**
 * The rule mutations. The API checks a change against what is stored (so that a bad rule or a stale
 * version is told to its caller) and sends it to the alarm engine, which alone writes the warehouse
 * (the API's user may only read): sent to every partition of the alarms topic, each change reaches
 * every engine instance, in order with the other changes of that partition; each checks it again and
 * stores it unless stored already (alarms/rule-set.ts), then runs the rules in force. The answer is
 * the rule once stored; a change the engine refused (another stored in between) is told as the stale
 * version it is.
 */
export function alarmRuleMutations(warehouse: Warehouse, { bus, waitMs }: MutationDeps): MutationResolvers {
  async function change(
    operation: RuleOperation,
    name: string | undefined,
    rule: unknown,
    author: string | null | undefined,
    expectedVersion?: number,
  ) {
    const versions = await readRuleVersions(warehouse);
    const fqName =
      name === undefined
        ? parseRule(rule).fqName
        : resolveRuleName(effectiveRules(BUILTIN_RULES, versions).rules, name);
    const newest = newestVersions(versions).get(fqName)?.version ?? 0;
    const request: RuleChange = {
      operation,
      name: fqName,
      rule: rule === undefined ? '' : JSON.stringify(rule),
      expectedVersion: expectedVersion ?? newest,
      author: author ?? '',
    };
    const planned = planRuleChange(BUILTIN_RULES, versions, request, Date.now());
    if (planned) {
      if (!bus) throw unreachable();
      await bus.broadcast('alarms', [ruleChangeMessage(request)]);
      await storedBy(fqName, planned);
    }
    const now = (await rulesInForce(warehouse)).find((r) => r.rule.fqName === fqName);
    return now ? toAlarmRule(now) : null;
  }

  /** Waits for the engine to store the planned version; another one there instead is a stale change. */
  const storedBy = (fqName: string, planned: RuleVersion): Promise<void> =>
    storedByEngine(
      'rule',
      fqName,
      planned,
      () => readRuleVersions(warehouse),
      (stored) => stored.rule === planned.rule && stored.status === planned.status,
      waitMs,
    );

  return {
    createAlarmRule: resolver('createAlarmRule', async ({ rule, author }) =>
      required(await change('create', undefined, rule, author)),
    ),
    replaceAlarmRule: resolver('replaceAlarmRule', async ({ name, rule, expectedVersion, author }) =>
      required(await change('replace', name, rule, author, expectedVersion)),
    ),
    disableAlarmRule: resolver('disableAlarmRule', async ({ name, author }) =>
      required(await change('disable', name, undefined, author)),
    ),
    enableAlarmRule: resolver('enableAlarmRule', async ({ name, author }) =>
      required(await change('enable', name, undefined, author)),
    ),
    deleteAlarmRule: resolver('deleteAlarmRule', async ({ name, author }) =>
      change('delete', name, undefined, author),
    ),
  };
}

function unreachable(): FabricError {
  return new FabricError(
    'UNAVAILABLE',
    'alarm rules are changed by the alarm engine: run the query service with Kafka (--kafka-brokers) or in one process with alarms',
  );
}

function required<T>(rule: T | null): T {
  if (rule === null) throw new FabricError('INTERNAL', 'the rule just stored is not in force');
  return rule;
}
