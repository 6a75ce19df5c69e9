import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process, scraped on /metrics. Names follow fabricscope_<component>_<what>_<unit>;
 * labels are bounded (kinds, reasons, statuses), never IPs, flow ids or workload names.
 */
export const registry = new Registry();
// prom-client names them process_* and nodejs_*: the prefix alone makes fabricscope_process_*.
collectDefaultMetrics({ register: registry, prefix: 'fabricscope_' });
// prom-client names these gauges *_total, which Prometheus reserves for counters (promtool rejects them).
for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
  registry.removeSingleMetric(`fabricscope_nodejs_${name}`);
}

/** A metric two modules share (e.g. both bus drivers) is registered once and found by the second. */
function existing<T>(name: string, type: abstract new (...args: never[]) => T): T | undefined {
  const metric = registry.getSingleMetric(name);
  return metric instanceof type ? metric : undefined;
}

export function counter(name: string, help: string, labelNames: readonly string[] = []): Counter<string> {
  return existing(name, Counter) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export function gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge<string> {
  return existing(name, Gauge) ?? new Gauge({ name, help, labelNames, registers: [registry] });
}

export function histogram(
  name: string,
  help: string,
  buckets: number[],
  labelNames: readonly string[] = [],
): Histogram<string> {
  return new Histogram({ name, help, buckets, labelNames, registers: [registry] });
}
