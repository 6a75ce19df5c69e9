import { z } from 'zod';
import { positive, type OptionTable } from '../../common/config.js';

/**
 * The fabric metrics and every label each may carry. A label context (Hubble's term) keeps a subset
 * of them per metric: a label dropped is aggregated over (counters and gauges alike are summed).
 */
export const fabricMetricLabels = {
  flows: ['vrouter', 'action', 'direction', 'drop_reason'],
  flow_bytes: ['vrouter', 'action', 'direction'],
  generators: ['node_type', 'state'],
  vrouter_up: ['vrouter'],
  vrouter_xmpp_sessions: ['vrouter'],
  vrouter_active_flows: ['vrouter'],
  control_bgp_peers: ['control_node'],
  control_bgp_peers_up: ['control_node'],
} as const satisfies Record<string, readonly string[]>;

export type FabricMetric = keyof typeof fabricMetricLabels;
export type LabelContexts = Record<FabricMetric, readonly string[]>;

const metricNames = Object.keys(fabricMetricLabels) as FabricMetric[];
const isMetric = (name: string): name is FabricMetric => Object.hasOwn(fabricMetricLabels, name);

/** Every metric with all its labels: what an empty option means. */
export const allLabels = (): LabelContexts => ({ ...fabricMetricLabels });

/**
 * `flows=vrouter,action;generators=` as per-metric label lists (an empty list: one series, the total).
 * Throws naming the metric or label that is wrong.
 */
export function parseLabelContexts(text: string): Partial<Record<string, string[]>> {
  const contexts: Partial<Record<string, string[]>> = {};
  for (const item of text.split(';').map((s) => s.trim())) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) throw new Error(`"${item}": expected metric=label,label`);
    const metric = item.slice(0, eq).trim();
    if (Object.hasOwn(contexts, metric)) throw new Error(`metric "${metric}" given twice`);
    contexts[metric] = item
      .slice(eq + 1)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  return contexts;
}

/** Checks each metric and label against fabricMetricLabels; unlisted metrics keep all their labels. */
export function labelContexts(given: Partial<Record<string, readonly string[]>>): LabelContexts {
  const contexts = allLabels();
  for (const [metric, labels = []] of Object.entries(given)) {
    if (!isMetric(metric)) throw new Error(`unknown metric "${metric}" (one of ${metricNames.join(', ')})`);
    const allowed: readonly string[] = fabricMetricLabels[metric];
    const wrong = labels.find((label) => !allowed.includes(label));
    if (wrong !== undefined) {
      throw new Error(`${metric}: unknown label "${wrong}" (${metric} has ${allowed.join(', ')})`);
    }
    if (new Set(labels).size !== labels.length) throw new Error(`${metric}: a label is listed twice`);
    // In the metric's own order, so the same context always exports the same label set.
    contexts[metric] = allowed.filter((label) => labels.includes(label));
  }
  return contexts;
}

/** A string in the flag and environment form, or an object of lists in a JSON config file. */
const labelContextsSchema = z
  .union([z.string(), z.record(z.string(), z.array(z.string()))])
  .transform((value, ctx) => {
    try {
      return labelContexts(typeof value === 'string' ? parseLabelContexts(value) : value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/** The fabric metrics' part of the writer's section: which labels are exported, how many series at most. */
export const fabricMetricsOptions = {
  fabricMetricsLabels: {
    flag: 'fabric-metrics-labels',
    env: 'FABRICSCOPE_FABRIC_METRICS_LABELS',
    default: '',
    schema: labelContextsSchema,
    help: 'Labels kept per fabric metric, `metric=label,…;…` (e.g. `flows=action,drop_reason;vrouter_up=`): one left out is summed over; unlisted metrics keep all',
  },
  fabricMetricsMaxSeries: {
    flag: 'fabric-metrics-max-series',
    env: 'FABRICSCOPE_FABRIC_METRICS_MAX_SERIES',
    default: 2000,
    schema: positive,
    help: 'Series each fabric metric may have; what a further series would count goes to fabricscope_fabric_series_overflow_total{metric}',
  },
} as const satisfies OptionTable;
