import { z } from 'zod';
import { parseDuration } from '../../duration.js';
import { errorMessage } from '../../errors.js';
import { dimensions as flowDimensions, filters as flowFilters } from '../../sql/flows/fields.js';
import { flowWhere, type FlowFilterInput } from '../../sql/flows/filter.js';
import {
  interfaceCounters,
  interfaceDimensions,
  interfaceWhere,
  type InterfaceCounter,
  type InterfaceDimension,
  type InterfaceFilterInput,
} from '../../sql/interfaces.js';
import { Params } from '../../sql/params.js';
import { isObject } from './json.js';
import { describeIssue, nameOf, parseRule, RuleError, type RuleIssue } from './parse.js';
import type { AlarmRule, CompiledCondition, Operation, Uve } from './types.js';

/**
 * Threshold rules: Tungsten Fabric's rule shape (fq_name or name, alarm_severity, id_perms,
 * alarm_rules, the timers), but over a windowed aggregate of stored records instead of a UVE:
 *
 * ```json
 * { "name": "denied-flows-into-namespace", "alarm_severity": 1,
 *   "source": "flows", "window": "5m", "interval": "1m",
 *   "aggregate": { "function": "count" },
 *   "filter": [{ "action": ["deny"] }], "groupBy": "DEST_NAMESPACE",
 *   "alarm_rules": { "or_list": [ { "and_list": [
 *     { "operand1": "value", "operation": ">", "operand2": { "json_value": "100" } } ] } ] } }
 * ```
 *
 * - `source`: `flows`, `interface_stats` or `routes`; the alarm's UVE type is `flows`, `interface`
 *   or `routing-instance`, its UVE name the group's value (THRESHOLD_UVE_TYPES).
 * - `window`: the span aggregated, ending at the evaluation; `interval` how often the rule is
 *   evaluated (default the window, at most a minute).
 * - `aggregate`: `function` and what it is `of`. flows: `count` (records), `sum` or `rate` (per
 *   second over the window) of `records`, `bytes` or `packets`. interface_stats: `sum` (the increase
 *   over the window) or `rate` of `inBytes`, `outBytes`, `inPackets`, `outPackets` or `drops`, as
 *   the API's interface series compute them. routes: `count`, the paths of the VRF's table at the
 *   end of the window (summed over the control nodes that hold it), the window then aligned to
 *   multiples of itself, as the API's routeCounts points are.
 * - `filter` in the API's own vocabulary: flows a list of FlowFilter (and an `exclude` list), as
 *   flowTotals takes them; interface_stats an InterfaceFilter; routes `{ "vrf": [ … ] }`.
 * - `groupBy`: flows a FlowDimension, interface_stats VMI, VM, VN or VROUTER, routes VRF.
 * - Conditions compare the operands `value` (the aggregate over the window), `previous` (over the
 *   window before it) and `ratio` (value / previous) with `==, !=, <, <=, >, >=, range`, against a
 *   number (json_value) or another operand (uve_attribute). A ratio to 0 is unknown: a condition on
 *   an operand a group lacks fails its and_list, as an unresolved path does in TF.
 */

export const THRESHOLD_SOURCES = ['flows', 'interface_stats', 'routes'] as const;
export type ThresholdSource = (typeof THRESHOLD_SOURCES)[number];

/** The alarm's UVE type per source; its UVE name is the group's value. */
export const THRESHOLD_UVE_TYPES: Record<ThresholdSource, string> = {
  flows: 'flows',
  interface_stats: 'interface',
  routes: 'routing-instance',
};

export const THRESHOLD_OPERANDS = ['value', 'previous', 'ratio'] as const;
export type ThresholdOperand = (typeof THRESHOLD_OPERANDS)[number];

const OPERATIONS: readonly Operation[] = ['==', '!=', '<', '<=', '>', '>=', 'range'];

const FLOW_METRICS = ['records', 'bytes', 'packets'] as const;
export type FlowMetricName = (typeof FLOW_METRICS)[number];

/** What a rule aggregates, and how the groups are read: the query API's own arguments per source. */
export type ThresholdQuery =
  | {
      source: 'flows';
      filter: FlowFilterInput[];
      exclude: FlowFilterInput[];
      groupBy: string;
      aggregate: { function: 'sum' | 'rate'; of: FlowMetricName };
    }
  | {
      source: 'interface_stats';
      filter: InterfaceFilterInput;
      groupBy: InterfaceDimension;
      aggregate: { function: 'sum' | 'rate'; of: InterfaceCounter };
    }
  | { source: 'routes'; filter: { vrf: string[] }; groupBy: 'VRF'; aggregate: { function: 'count' } };

export interface ThresholdRule {
  /** The TF part, evaluated by the engine as any rule; uveKeys names the source's UVE type. */
  rule: AlarmRule;
  query: ThresholdQuery;
  windowSeconds: number;
  intervalSeconds: number;
  /** Whether a condition reads `previous` or `ratio`: the window before is then aggregated too. */
  readsPrevious: boolean;
}

/** A group's operands; `previous` and `ratio` only when the rule reads them, `ratio` only when previous ≠ 0. */
export type ThresholdValues = Partial<Record<ThresholdOperand, number>>;

/**
 * The UVE a group's values are evaluated as. Each operand is an object holding the number and a
 * condition reads inside it (the compiled paths are `[operand, 'n']`), so that an operand the group
 * lacks stops the path short: unresolved, as in TF, rather than a null that orders below everything.
 */
export function thresholdUve(values: ThresholdValues): Uve {
  return Object.fromEntries(Object.entries(values).map(([name, n]) => [name, { n }]));
}

const required = (expected: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? 'required' : `expected ${expected}`),
});

const DURATION = z.string(required('a duration like 5m')).check((ctx) => {
  const problem = durationProblem(ctx.value);
  if (problem) ctx.issues.push({ code: 'custom', input: ctx.value, message: problem });
});

function durationProblem(text: string): string | undefined {
  try {
    const ms = parseDuration(text, 'duration');
    return Number.isInteger(ms / 1000) && ms >= 1000
      ? undefined
      : `"${text}" is not whole seconds, at least 1s`;
  } catch {
    return `"${text}" is not a duration like 30s, 5m or 1h`;
  }
}

const oneOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, {
    error: (issue) =>
      issue.input === undefined
        ? 'required'
        : `${JSON.stringify(issue.input)} is not ${what}: ${values.join(', ')}`,
  });

const COMMON = z.looseObject({
  source: oneOf(THRESHOLD_SOURCES, 'a source'),
  window: DURATION,
  interval: DURATION.optional(),
  uve_keys: z.never({ error: 'a threshold rule names a source, not uve_keys' }).optional(),
});

/** A FlowFilter: each field known, each value list one the query API takes (checked by building it). */
const FLOW_FILTER = z.record(z.string(), z.array(z.union([z.string(), z.number()]))).check((ctx) => {
  for (const [name, values] of Object.entries(ctx.value)) {
    const problem = flowFieldProblem(name, values);
    if (problem) ctx.issues.push({ code: 'custom', input: values, path: [name], message: problem });
  }
});

function flowFieldProblem(name: string, values: readonly (string | number)[]): string | undefined {
  // flowWhere passes over a name it does not know.
  if (!Object.hasOwn(flowFilters, name)) return 'is not a FlowFilter field';
  try {
    flowWhere([{ [name]: values }], null, new Params());
    return undefined;
  } catch (err) {
    return errorMessage(err).replace(/^filter\.[^:]*: /, '');
  }
}

const FLOWS = z.looseObject({
  aggregate: z
    .strictObject(
      {
        function: oneOf(['count', 'sum', 'rate'] as const, 'an aggregate of flows'),
        of: oneOf(FLOW_METRICS, 'a flow metric').optional(),
      },
      required('{ "function": …, "of": … }'),
    )
    .check((ctx) => {
      const { function: fn, of } = ctx.value;
      if ((fn === 'count') !== (of === undefined)) {
        const message = fn === 'count' ? 'count counts records: give no "of"' : `${fn} needs "of"`;
        ctx.issues.push({ code: 'custom', input: of, path: ['of'], message });
      }
    }),
  filter: z.array(FLOW_FILTER).optional(),
  exclude: z.array(FLOW_FILTER).optional(),
  groupBy: oneOf(Object.keys(flowDimensions) as [string, ...string[]], 'a FlowDimension'),
});

const INTERFACE_FILTER = z
  .strictObject({
    vmi: z.array(z.string()).optional(),
    vm: z.array(z.string()).optional(),
    vn: z.array(z.string()).optional(),
    vrouter: z.array(z.string()).optional(),
  })
  .check((ctx) => {
    try {
      interfaceWhere(ctx.value, new Params());
    } catch (err) {
      const [, field = '', message = errorMessage(err)] =
        /^filter\.(\w+): (.*)$/.exec(errorMessage(err)) ?? [];
      ctx.issues.push({ code: 'custom', input: ctx.value, path: field ? [field] : [], message });
    }
  });

const INTERFACES = z.looseObject({
  aggregate: z.strictObject(
    {
      function: oneOf(['sum', 'rate'] as const, 'an aggregate of interface stats'),
      of: oneOf(interfaceCounters, 'a counter'),
    },
    required('{ "function": …, "of": … }'),
  ),
  filter: INTERFACE_FILTER.optional(),
  groupBy: oneOf(
    Object.keys(interfaceDimensions) as [InterfaceDimension, ...InterfaceDimension[]],
    'an interface dimension',
  ),
});

const ROUTES = z.looseObject({
  aggregate: z.strictObject(
    { function: oneOf(['count'] as const, 'an aggregate of routes') },
    required('{ "function": "count" }'),
  ),
  filter: z.strictObject({ vrf: z.array(z.string().min(1)) }).optional(),
  groupBy: oneOf(['VRF'] as const, 'a route dimension'),
});

const BY_SOURCE = { flows: FLOWS, interface_stats: INTERFACES, routes: ROUTES } as const;

/**
 * Reads a threshold rule, or throws a RuleError listing every fault with its path, as parseRule
 * does: the TF part is parseRule's own, with uve_keys the source's UVE type.
 */
export function parseThresholdRule(input: unknown): ThresholdRule {
  const issues: RuleIssue[] = [];
  const common = COMMON.safeParse(input);
  if (!common.success) issues.push(...common.error.issues.map(describeIssue));
  // The source decides the rest, so it is read whatever else is wrong.
  const source = THRESHOLD_SOURCES.find((name) => isObject(input) && input.source === name);
  const specific = source ? BY_SOURCE[source].safeParse(input) : undefined;
  if (specific && !specific.success) issues.push(...specific.error.issues.map(describeIssue));
  const uveType = source ? THRESHOLD_UVE_TYPES[source] : 'threshold';
  let rule: AlarmRule | undefined;
  try {
    rule = parseRule(isObject(input) ? { ...input, uve_keys: { uve_key: [uveType] } } : input);
  } catch (err) {
    if (!(err instanceof RuleError)) throw err;
    issues.push(...err.issues);
  }
  if (rule) issues.push(...conditionProblems(rule));
  if (issues.length > 0 || !rule || !common.success || !source || !specific?.success) {
    throw new RuleError(nameOf(input), issues);
  }
  const windowSeconds = parseDuration(common.data.window, 'window') / 1000;
  const interval = common.data.interval;
  const intervalSeconds = interval ? parseDuration(interval, 'interval') / 1000 : Math.min(windowSeconds, 60);
  const operands = rule.orList.flat().flatMap(operandsOf);
  return {
    rule: { ...rule, orList: rule.orList.map((conditions) => conditions.map(readInside)) },
    query: toQuery(source, specific.data),
    windowSeconds,
    intervalSeconds,
    readsPrevious: operands.some((name) => name !== 'value'),
  };
}

function toQuery(source: ThresholdSource, data: Record<string, unknown>): ThresholdQuery {
  switch (source) {
    case 'flows': {
      const d = data as z.infer<typeof FLOWS>;
      const fn = d.aggregate.function;
      return {
        source,
        filter: d.filter ?? [],
        exclude: d.exclude ?? [],
        groupBy: d.groupBy,
        // A count of flows is the sum of their records.
        aggregate:
          fn === 'count' ? { function: 'sum', of: 'records' } : { function: fn, of: d.aggregate.of! },
      };
    }
    case 'interface_stats': {
      const d = data as z.infer<typeof INTERFACES>;
      return { source, filter: d.filter ?? {}, groupBy: d.groupBy, aggregate: d.aggregate };
    }
    case 'routes': {
      const d = data as z.infer<typeof ROUTES>;
      return {
        source,
        filter: { vrf: d.filter?.vrf ?? [] },
        groupBy: 'VRF',
        aggregate: { function: 'count' },
      };
    }
  }
}

/** What the conditions may say over numbers: the operands, numeric constants, no variables. */
function conditionProblems(rule: AlarmRule): RuleIssue[] {
  const problems: RuleIssue[] = [];
  rule.orList.forEach((conditions, i) =>
    conditions.forEach(({ condition, operand2: right }, j) => {
      const at = `alarm_rules.or_list[${i}].and_list[${j}]`;
      const add = (path: string, message: string) => problems.push({ path: `${at}.${path}`, message });
      const operand = (name: string) => `"${name}" is not one of ${THRESHOLD_OPERANDS.join(', ')}`;
      if (!isOperand(condition.operand1)) add('operand1', operand(condition.operand1));
      const { uve_attribute } = condition.operand2;
      if (uve_attribute !== undefined && !isOperand(uve_attribute))
        add('operand2.uve_attribute', operand(uve_attribute));
      // A range's [x, y] parseRule checks.
      if ('value' in right && condition.operation !== 'range' && typeof right.value !== 'number')
        add('operand2.json_value', 'a threshold compares with a number');
      if (!OPERATIONS.includes(condition.operation))
        add('operation', `a threshold compares numbers: ${OPERATIONS.join(', ')}`);
      if (condition.variables.length > 0)
        add('variables', "a threshold's values have no variables beside them");
    }),
  );
  return problems;
}

const isOperand = (name: string): name is ThresholdOperand =>
  (THRESHOLD_OPERANDS as readonly string[]).includes(name);

function operandsOf({ condition }: CompiledCondition): string[] {
  const right = condition.operand2.uve_attribute;
  return right === undefined ? [condition.operand1] : [condition.operand1, right];
}

/** The condition reading inside each operand (see thresholdUve). */
function readInside(compiled: CompiledCondition): CompiledCondition {
  const { operand1, operand2 } = compiled.condition;
  return {
    ...compiled,
    operand1: [operand1, 'n'],
    operand2:
      operand2.uve_attribute !== undefined ? { path: [operand2.uve_attribute, 'n'] } : compiled.operand2,
  };
}
