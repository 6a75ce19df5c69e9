import { Counter, Gauge, type Registry } from 'prom-client';
import { logger, rateLimited } from '../../common/log.js';

const log = rateLimited(logger('fabric-metrics'));

export type Labels = Readonly<Record<string, string>>;

/** What a metric of the fabric shares with the others: where it registers, its cap, the overflow. */
export interface SeriesOptions {
  registry: Registry;
  maxSeries: number;
  overflow: Counter<'metric'>;
}

export const overflowCounter = (registry: Registry): Counter<'metric'> =>
  new Counter({
    name: 'fabricscope_fabric_series_overflow_total',
    help: 'What a fabric metric would have counted in series beyond --fabric-metrics-max-series (records, bytes, or gauge updates), by metric',
    labelNames: ['metric'],
    registers: [registry],
  });

/**
 * The series of one metric, at most `max`: a label set (already reduced to the metric's label
 * context) is admitted while there is room; one refused is not created, and what it would have
 * counted goes to the overflow counter, with a rate-limited line. Gauge series are counted by how
 * many entities hold them, and freed when none does.
 */
class SeriesCap {
  private readonly holders = new Map<string, number>();

  constructor(
    private readonly metric: string,
    private readonly options: SeriesOptions,
  ) {}

  /** Whether the series exists or was created; if not, `amount` is counted as overflow. */
  admit(key: string, amount: number): boolean {
    if (this.holders.has(key)) return true;
    if (this.holders.size < this.options.maxSeries) {
      this.holders.set(key, 0);
      return true;
    }
    this.options.overflow.inc({ metric: this.metric }, amount);
    log.warn(
      this.metric,
      { metric: this.metric, maxSeries: this.options.maxSeries },
      'fabric metric at its series cap: a new series was not created (counted in fabricscope_fabric_series_overflow_total)',
    );
    return false;
  }

  hold(key: string): void {
    this.holders.set(key, (this.holders.get(key) ?? 0) + 1);
  }

  release(key: string): void {
    const left = (this.holders.get(key) ?? 1) - 1;
    if (left > 0) this.holders.set(key, left);
    else this.holders.delete(key);
  }
}

/** The labels a context keeps, and the series key they make. */
function project(kept: readonly string[], labels: Labels): { key: string; labels: Record<string, string> } {
  const projected: Record<string, string> = {};
  for (const name of kept) projected[name] = labels[name] ?? '';
  return { key: kept.map((name) => projected[name]).join('\u0000'), labels: projected };
}

/** A counter over the labels its context keeps, its series capped. */
export class CappedCounter {
  private readonly counter: Counter;
  private readonly cap: SeriesCap;

  constructor(
    name: string,
    help: string,
    private readonly kept: readonly string[],
    options: SeriesOptions,
  ) {
    this.counter = new Counter({ name, help, labelNames: kept, registers: [options.registry] });
    this.cap = new SeriesCap(name, options);
  }

  inc(labels: Labels, amount: number): void {
    const series = project(this.kept, labels);
    if (this.cap.admit(series.key, amount)) this.counter.inc(series.labels, amount);
  }
}

interface Held {
  key: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A gauge of entities (a vRouter, a generator), each with its labels and value; a series is the sum
 * of the entities its label context puts in it, computed when scraped. An entity removed (its
 * generator withdrawn) leaves its series, which goes once no entity holds it.
 */
export class EntityGauge {
  private readonly entities = new Map<string, Held>();
  private readonly cap: SeriesCap;

  constructor(
    name: string,
    help: string,
    private readonly kept: readonly string[],
    options: SeriesOptions,
  ) {
    this.cap = new SeriesCap(name, options);
    const entities = this.entities;
    new Gauge({
      name,
      help,
      labelNames: kept,
      registers: [options.registry],
      collect() {
        this.reset();
        for (const held of entities.values()) this.inc(held.labels, held.value);
      },
    });
  }

  set(entity: string, labels: Labels, value: number): void {
    const series = project(this.kept, labels);
    const held = this.entities.get(entity);
    if (held?.key === series.key) {
      held.value = value;
      return;
    }
    if (held) this.remove(entity);
    if (!this.cap.admit(series.key, 1)) return;
    this.cap.hold(series.key);
    this.entities.set(entity, { ...series, value });
  }

  remove(entity: string): void {
    const held = this.entities.get(entity);
    if (!held) return;
    this.entities.delete(entity);
    this.cap.release(held.key);
  }
}
