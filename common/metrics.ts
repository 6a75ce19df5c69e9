import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process, scraped on /metrics. Names follow fabricscope_<component>_<what>_<unit>;
 * labels are bounded (kinds, reasons, statuses), never IPs, flow ids or workload names.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'fabricscope_process_' });

export function counter(name: string, help: string, labelNames: readonly string[] = []): Counter<string> {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge<string> {
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

export function histogram(
  name: string,
  help: string,
  buckets: number[],
  labelNames: readonly string[] = [],
): Histogram<string> {
  return new Histogram({ name, help, buckets, labelNames, registers: [registry] });
}
