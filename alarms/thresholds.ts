import { errorMessage } from '../common/errors.js';
import { logger, rateLimited } from '../common/log.js';
import {
  thresholdUve,
  type ThresholdQuery,
  type ThresholdRule,
  type ThresholdValues,
} from '../common/model/alarm-rules/threshold.js';
import type { Uve } from '../common/model/alarm-rules/types.js';
import { groupsQuery } from '../common/sql/flows/queries.js';
import { interfaceGroupsQuery } from '../common/sql/interfaces.js';
import { countChangesQuery } from '../common/sql/route-counts.js';
import type { TimeRange } from '../common/sql/time-range.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import type { AlarmEngine, Change } from './engine.js';
import { alarmMetrics } from './metrics.js';

const log = rateLimited(logger('alarms'));

/** The most groups one evaluation reads; more are counted and logged, never dropped unsaid. */
const MAX_GROUPS = 10_000;

/**
 * Threshold rules at work: each rule, at every multiple of its interval, aggregates its source over
 * the window ending then (and the window before, when a condition reads it) through the query API's
 * own SQL builders (common/sql/), and each group's values go through the engine as one UVE each, in
 * the lifecycle and the store as any alarm (`run` is the service's `submit`). A failed query is
 * counted and logged; the alarms keep their status until the next interval. `now` is the clock
 * the timers read; `evaluate` takes its instant, so a test gives the time.
 */
export class Thresholds {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** The evaluation a timer started, if one is under way: stop waits for it. */
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly rules: readonly ThresholdRule[],
    private readonly warehouse: Warehouse,
    private readonly engine: AlarmEngine,
    private readonly run: (step: () => Change[]) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Arms each enabled rule's timer (a disabled rule is evaluated once, which clears what it held). */
  start(): void {
    for (const rule of this.rules) this.arm(rule);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    await this.running;
  }

  /** Aggregates the rule's source at `at` and steps its alarms; false when the query failed. */
  async evaluate(threshold: ThresholdRule, at: number): Promise<boolean> {
    const { rule } = threshold;
    let uves: Map<string, Uve>;
    try {
      const groups = rule.enabled ? await thresholdGroups(this.warehouse, threshold, at) : new Map();
      uves = new Map([...groups].map(([name, values]) => [name, thresholdUve(values)]));
    } catch (err) {
      alarmMetrics.ruleErrors.inc({ type: rule.fqName });
      log.error(rule.fqName, { type: rule.fqName, err: errorMessage(err) }, 'threshold query failed');
      return false;
    }
    await this.run(() => this.engine.evaluateGroups(rule, uves, at));
    return true;
  }

  private arm(rule: ThresholdRule): void {
    if (this.stopped) return;
    const intervalMs = rule.intervalSeconds * 1000;
    const now = this.now();
    const next = (Math.floor(now / intervalMs) + 1) * intervalMs;
    const timer = setTimeout(() => {
      this.running = this.running
        .then(() => this.evaluate(rule, this.now()))
        .catch((err: unknown) => log.error(rule.rule.fqName, { err: errorMessage(err) }, 'threshold failed'))
        .finally(() => (rule.rule.enabled ? this.arm(rule) : undefined));
    }, next - now);
    this.timers.set(rule.rule.fqName, timer);
  }
}

/** The rule's groups at `at` (ms), each with the operands its conditions read. */
export async function thresholdGroups(
  warehouse: Warehouse,
  rule: ThresholdRule,
  at: number,
): Promise<Map<string, ThresholdValues>> {
  const windowUs = rule.windowSeconds * 1e6;
  const query = rule.query;
  if (query.source === 'routes') return routeGroups(warehouse, rule, query, at * 1000);
  const current = { fromUs: at * 1000 - windowUs, toUs: at * 1000 };
  const read = (range: TimeRange) => windowValues(warehouse, rule, query, range);
  const now = await read(current);
  if (!rule.readsPrevious) return new Map([...now].map(([name, value]) => [name, { value }]));
  const before = await read({ fromUs: current.fromUs - windowUs, toUs: current.fromUs });
  // No flow in a window is a count of 0; no interface sample leaves the value unknown.
  const absent = query.source === 'flows' ? 0 : undefined;
  const groups = new Map<string, ThresholdValues>();
  for (const name of new Set([...now.keys(), ...before.keys()])) {
    groups.set(name, withRatio(now.get(name) ?? absent, before.get(name) ?? absent));
  }
  return groups;
}

/** The aggregate of each group over one window of flows or interface stats. */
async function windowValues(
  warehouse: Warehouse,
  rule: ThresholdRule,
  query: Exclude<ThresholdQuery, { source: 'routes' }>,
  range: TimeRange,
): Promise<Map<string, number>> {
  const rate = query.aggregate.function === 'rate';
  const [built, key, column, divisor] =
    query.source === 'flows'
      ? [
          groupsQuery(
            { range, filter: query.filter, exclude: query.exclude },
            [query.groupBy],
            query.aggregate.of,
            MAX_GROUPS,
          ),
          'k0',
          query.aggregate.of,
          rate ? rule.windowSeconds : 1,
        ]
      : [
          interfaceGroupsQuery({ range, filter: query.filter }, query.groupBy, MAX_GROUPS),
          'key',
          rate ? `${query.aggregate.of}PerSec` : query.aggregate.of,
          1,
        ];
  const rows = await warehouse.query<Record<string, string | number>>(built.sql, built.params);
  if (rows.length >= MAX_GROUPS) {
    const type = rule.rule.fqName;
    alarmMetrics.thresholdGroupsCut.inc({ type });
    log.warn(type, { type, groups: rows.length }, 'threshold rule has more groups than one evaluation reads');
  }
  return new Map(rows.map((row) => [String(row[key]), Number(row[column]) / divisor]));
}

/**
 * Each VRF's paths at the last multiple of the window (the routeCounts point at or before `atUs`),
 * summed over its control nodes, and a window before that when a condition reads it.
 */
async function routeGroups(
  warehouse: Warehouse,
  rule: ThresholdRule,
  query: Extract<ThresholdQuery, { source: 'routes' }>,
  atUs: number,
): Promise<Map<string, ThresholdValues>> {
  const stepUs = rule.windowSeconds * 1e6;
  const lastUs = Math.floor(atUs / stepUs) * stepUs;
  const firstUs = rule.readsPrevious ? lastUs - stepUs : lastUs;
  const built = countChangesQuery(query.filter.vrf, firstUs, lastUs, stepUs);
  const rows = await warehouse.query<{ vrf: string; point: string; delta: string }>(built.sql, built.params);
  // Changes booked at the first point are the count there; those at the last, the change since.
  const counts = new Map<string, { first: number; last: number }>();
  for (const row of rows) {
    const count = counts.get(row.vrf) ?? { first: 0, last: 0 };
    const delta = Number(row.delta);
    if (Number(row.point) === firstUs) count.first += delta;
    count.last += delta;
    counts.set(row.vrf, count);
  }
  const groups = new Map<string, ThresholdValues>();
  for (const [vrf, { first, last }] of counts) {
    groups.set(vrf, rule.readsPrevious ? withRatio(last, first) : { value: last });
  }
  return groups;
}

function withRatio(value: number | undefined, previous: number | undefined): ThresholdValues {
  const values: ThresholdValues = {};
  if (value !== undefined) values.value = value;
  if (previous !== undefined) values.previous = previous;
  if (value !== undefined && previous !== undefined && previous !== 0) values.ratio = value / previous;
  return values;
}
