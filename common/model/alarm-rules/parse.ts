import { z } from 'zod';
import { FabricError } from '../../errors.js';
import { parseJson } from './json.js';
import {
  OPERATIONS,
  type AlarmCondition,
  type AlarmRule,
  type AlarmTimers,
  type CompiledCondition,
  type UveKeyScope,
} from './types.js';

/**
 * Reads a rule in Tungsten Fabric's format — the vnc `alarm` object as TF's API takes and its
 * contrail_alarm.py ships the built-ins:
 *
 * ```json
 * { "fq_name": ["default-global-system-config", "system-defined-bgp-connectivity"],
 *   "parent_type": "global-system-config", "alarm_severity": 1,
 *   "id_perms": { "description": "…", "enable": true },
 *   "uve_keys": { "uve_key": ["control-node"] },
 *   "alarm_rules": { "or_list": [ { "and_list": [
 *     { "operand1": "BgpRouterState.num_up_bgp_peer", "operation": "!=",
 *       "operand2": { "uve_attribute": "BgpRouterState.num_bgp_peer" }, "variables": [] } ] } ] } }
 * ```
 *
 * `name` may stand for `fq_name` (the rule is then global). Timers, with the names of TF's
 * `UVEAlarmConfig`, are optional: `ActiveTimer`, `IdleTimer` (seconds of soak before raising and
 * before clearing), `FreqExceededCheck` with `FreqCheck_Times` and `FreqCheck_Seconds` (more raises
 * than that within that many seconds: flapping). Other top-level fields of TF's object (uuid, href,
 * perms2 …) are ignored; inside `alarm_rules` every field must be known.
 *
 * Checked beyond the shape, as TF's API server does (vnc_cfg_api_server/resources/alarm.py): operand2
 * has exactly one of uve_attribute and json_value, a json_value is JSON, `range` takes `[x, y]` with
 * x < y. And, which TF leaves to chance: operand paths are well formed, `in` / `not in` compare with a
 * list, `size==` / `size!=` with a count.
 */
export function parseRule(input: unknown): AlarmRule {
  const parsed = RULE.safeParse(input);
  if (!parsed.success) throw new RuleError(nameOf(input), parsed.error.issues.map(describeIssue));
  return toRule(parsed.data);
}

export interface RuleIssue {
  /** Where the fault is, e.g. `alarm_rules.or_list[0].and_list[1].operation`. */
  path: string;
  message: string;
}

export class RuleError extends FabricError {
  constructor(
    readonly rule: string | undefined,
    readonly issues: readonly RuleIssue[],
  ) {
    const what = rule === undefined ? 'alarm rule' : `alarm rule "${rule}"`;
    super(
      'INVALID_ARGUMENT',
      `${what} refused: ${issues.map((i) => `${i.path || '(rule)'}: ${i.message}`).join('; ')}`,
    );
    this.name = 'RuleError';
  }
}

const required = (expected: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? 'required' : `expected ${expected}`),
});

/** `Struct.attr.*.attr`: dot-separated, no empty component, nothing after `__key` (a key is a string). */
const PATH = z.string(required('an attribute path')).check((ctx) => {
  const parts = ctx.value.split('.');
  const problem = parts.some((part) => part === '')
    ? 'has an empty component'
    : parts.slice(0, -1).includes('__key')
      ? 'continues after __key'
      : undefined;
  if (problem) ctx.issues.push({ code: 'custom', input: ctx.value, message: `"${ctx.value}" ${problem}` });
});

const OPERAND2 = z.strictObject({ uve_attribute: PATH.optional(), json_value: z.string().optional() });

const CONDITION = z
  .strictObject({
    operand1: PATH,
    operation: z.enum(OPERATIONS, {
      error: (issue) =>
        issue.input === undefined
          ? 'required'
          : `unknown operation ${JSON.stringify(issue.input)}; operations are ${OPERATIONS.join(', ')}`,
    }),
    operand2: OPERAND2,
    variables: z.array(PATH).optional(),
  })
  .check((ctx) => {
    const problem = operand2Problem(ctx.value.operation, ctx.value.operand2);
    if (problem)
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['operand2', ...problem.at],
        message: problem.message,
      });
  });

type Condition = z.infer<typeof CONDITION>;

function operand2Problem(
  operation: Condition['operation'],
  { uve_attribute, json_value }: Condition['operand2'],
): { at: string[]; message: string } | undefined {
  if ((uve_attribute === undefined) === (json_value === undefined)) {
    return { at: [], message: 'give exactly one of uve_attribute and json_value' };
  }
  if (json_value === undefined) {
    return operation === 'range' ? { at: [], message: "'range' takes a json_value [x, y]" } : undefined;
  }
  const value = parseJson(json_value);
  if (value === undefined)
    return { at: ['json_value'], message: `${JSON.stringify(json_value)} is not JSON` };
  const expected = EXPECTED_CONSTANT[operation];
  return expected && !expected.holds(value) ? { at: ['json_value'], message: expected.message } : undefined;
}

const EXPECTED_CONSTANT: Partial<
  Record<Condition['operation'], { holds: (v: unknown) => boolean; message: string }>
> = {
  range: {
    holds: (v) =>
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === 'number' &&
      typeof v[1] === 'number' &&
      v[0] < v[1],
    message: "'range' takes [x, y], two numbers with x < y",
  },
  in: { holds: Array.isArray, message: "'in' takes a list" },
  'not in': { holds: Array.isArray, message: "'not in' takes a list" },
  'size==': { holds: isCount, message: "'size==' takes a count (an integer ≥ 0)" },
  'size!=': { holds: isCount, message: "'size!=' takes a count (an integer ≥ 0)" },
};

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** `type` or `type:name`; the name may hold ':' itself (UVE names are fq names). */
const UVE_KEY = z
  .string(required('a UVE type or type:name'))
  .regex(/^[^:]+(:.+)?$/, 'is neither type nor type:name');

const SECONDS = z.number(required('seconds')).nonnegative();

const RULE = z
  .looseObject({
    fq_name: z.array(z.string().min(1)).min(2).optional(),
    name: z.string().min(1).optional(),
    parent_type: z.enum(['global-system-config', 'project']).optional(),
    alarm_severity: z.literal([0, 1, 2], {
      error: (issue) => (issue.input === undefined ? 'required' : '0 (critical), 1 (major) or 2 (minor)'),
    }),
    id_perms: z
      .looseObject({ description: z.string().optional(), enable: z.boolean().optional() })
      .optional(),
    uve_keys: z.strictObject({ uve_key: z.array(UVE_KEY).min(1) }, required('{ "uve_key": [ … ] }')),
    alarm_rules: z.strictObject(
      { or_list: z.array(z.strictObject({ and_list: z.array(CONDITION).min(1) })).min(1) },
      required('{ "or_list": [ … ] }'),
    ),
    ActiveTimer: SECONDS.optional(),
    IdleTimer: SECONDS.optional(),
    FreqExceededCheck: z.boolean().optional(),
    FreqCheck_Times: z.number().int().positive().optional(),
    FreqCheck_Seconds: z.number().positive().optional(),
  })
  .check((ctx) => {
    for (const { at, message } of ruleProblems(ctx.value))
      ctx.issues.push({ code: 'custom', input: ctx.value, path: at, message });
  });

type RuleInput = z.infer<typeof RULE>;

function ruleProblems(rule: RuleInput): { at: string[]; message: string }[] {
  const problems: { at: string[]; message: string }[] = [];
  const fq = rule.fq_name;
  if (fq === undefined && rule.name === undefined)
    problems.push({ at: ['fq_name'], message: 'give fq_name or name' });
  if (fq !== undefined && rule.name !== undefined && fq.at(-1) !== rule.name) {
    problems.push({
      at: ['name'],
      message: `is not the last element of fq_name (${JSON.stringify(fq.at(-1))})`,
    });
  }
  const project = rule.parent_type === 'project';
  if (project && fq?.length !== 3) {
    problems.push({ at: ['fq_name'], message: "a project's rule is named [domain, project, name]" });
  }
  if (!project && fq !== undefined && fq.length !== 2) {
    problems.push({ at: ['fq_name'], message: 'a global rule is named [global-system-config, name]' });
  }
  if (
    rule.FreqExceededCheck &&
    (rule.FreqCheck_Times === undefined || rule.FreqCheck_Seconds === undefined)
  ) {
    problems.push({ at: ['FreqExceededCheck'], message: 'needs FreqCheck_Times and FreqCheck_Seconds' });
  }
  return problems;
}

const GLOBAL_CONFIG = 'default-global-system-config';

function toRule(input: RuleInput): AlarmRule {
  const fq = input.fq_name ?? [GLOBAL_CONFIG, input.name as string];
  return {
    name: fq.at(-1) as string,
    fqName: fq.join(':'),
    ...(input.parent_type === 'project' ? { project: fq.slice(0, -1).join(':') } : {}),
    description: input.id_perms?.description ?? '',
    enabled: input.id_perms?.enable ?? true,
    severity: input.alarm_severity,
    uveKeys: input.uve_keys.uve_key.map(toScope),
    orList: input.alarm_rules.or_list.map(({ and_list }) => and_list.map(compile)),
    timers: toTimers(input),
  };
}

function toScope(key: string): UveKeyScope {
  const colon = key.indexOf(':');
  return colon < 0 ? { type: key } : { type: key.slice(0, colon), name: key.slice(colon + 1) };
}

function compile(input: Condition): CompiledCondition {
  const { uve_attribute, json_value } = input.operand2;
  const condition: AlarmCondition = {
    operation: input.operation,
    operand1: input.operand1,
    operand2: uve_attribute !== undefined ? { uve_attribute } : { json_value: json_value as string },
    variables: input.variables ?? [],
  };
  return {
    condition,
    operand1: input.operand1.split('.'),
    operand2:
      uve_attribute !== undefined
        ? { path: uve_attribute.split('.') }
        : { value: parseJson(json_value as string) },
    variables: condition.variables.map((name) => ({ name, path: name.split('.') })),
  };
}

function toTimers(input: RuleInput): AlarmTimers {
  const { FreqExceededCheck, FreqCheck_Times, FreqCheck_Seconds } = input;
  return {
    activeTimer: input.ActiveTimer ?? 0,
    idleTimer: input.IdleTimer ?? 0,
    ...(FreqExceededCheck && FreqCheck_Times !== undefined && FreqCheck_Seconds !== undefined
      ? { freqCheck: { times: FreqCheck_Times, seconds: FreqCheck_Seconds } }
      : {}),
  };
}

/** The rule's name for the error message, if the input has a readable one. */
export function nameOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const { name, fq_name } = input as { name?: unknown; fq_name?: unknown };
  if (typeof name === 'string') return name;
  const last: unknown = Array.isArray(fq_name) ? fq_name.at(-1) : undefined;
  return typeof last === 'string' ? last : undefined;
}

/** `["alarm_rules", "or_list", 0]` → `alarm_rules.or_list[0]`; an unknown key is named in the path. */
export function describeIssue(issue: z.core.$ZodIssue): RuleIssue {
  const path = issue.path.reduce<string>(
    (text, part) =>
      typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part),
    '',
  );
  if (issue.code === 'unrecognized_keys') {
    return {
      path,
      message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`,
    };
  }
  return { path, message: issue.message };
}
