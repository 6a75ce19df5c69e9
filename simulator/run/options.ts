import type { EventSpec } from '../fabric/events.js';
import type { SimulationReport } from './report.js';

/**
 * The load generator: a seeded fabric, one Publish stream per generator (vRouter agents and control
 * nodes), the fabric's state published first, then a shared flow budget (`flows`) and rate cap,
 * interface-stats samples and events; and a report whose acked totals an end-to-end test can compare
 * exactly with what the warehouse holds.
 */
export interface SimulateOptions {
  target: string; // host:port
  vrouters: number;
  /** Stop once exactly this many flow records are acked (the last batches are trimmed); 0: no flows. */
  flows?: number;
  /**
   * How long the run lasts: with it, the fabric stays connected (its state published, samples and
   * faults played) until it passes, whether or not the flows ran out sooner.
   */
  durationMs?: number;
  /** Records per second over all vRouters; 0 or absent = as fast as the collector acks. */
  rate?: number;
  batchSize?: number;
  token?: string;
  seed?: number;
  /** The first vRouter's number (compute-<n>, default 0), so that several runs feed one collector. */
  firstVrouter?: number;
  dropConnectionEvery?: number;
  invalidEvery?: number;
  onProgress?: (report: SimulationReport) => void;
  progressIntervalMs?: number;
  signal?: AbortSignal;
  /** How long the collector has to welcome a first stream before the run fails (default 10 s). */
  connectTimeoutMs?: number;
  /** How long to wait for outstanding acks once sending stops (default 30 s). */
  drainTimeoutMs?: number;
  /** Publish the fabric's UVEs and routes before any flow (default true). */
  state?: boolean;
  /** Interface-stats samples per interface, one every `interfaceStatsIntervalMs` (default: none). */
  interfaceStatsSamples?: number;
  /** Sample interface stats this often (default 1 s); without a sample count, until the run ends. */
  interfaceStatsIntervalMs?: number;
  /** Faults to play once the state is published; the run ends only after they have (unless stopped). */
  events?: EventSpec[];
}

/** How long a collector has to answer a first Hello unless `connectTimeoutMs` says otherwise. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Flow records per batch unless `batchSize` says otherwise. */
export const DEFAULT_BATCH_SIZE = 500;

/** Refuses options no run could honour: a missing target, counts that are not whole numbers. */
export function validateOptions(options: SimulateOptions): void {
  const positive = (v: number | undefined, name: string, allowZero = false): void => {
    if (v === undefined) return;
    if (!Number.isFinite(v) || v < (allowZero ? 0 : 1) || !Number.isInteger(v)) {
      throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer`);
    }
  };
  if (!options.target) throw new Error('target (host:port) is required');
  positive(options.vrouters, 'vrouters');
  positive(options.firstVrouter, 'firstVrouter', true);
  positive(options.flows, 'flows', true);
  positive(options.interfaceStatsSamples, 'interfaceStatsSamples', true);
  positive(options.interfaceStatsIntervalMs, 'interfaceStatsIntervalMs');
  positive(options.batchSize, 'batchSize');
  positive(options.rate, 'rate', true);
  positive(options.dropConnectionEvery, 'dropConnectionEvery', true);
  positive(options.invalidEvery, 'invalidEvery', true);
  positive(options.connectTimeoutMs, 'connectTimeoutMs');
  if (options.durationMs !== undefined && !(options.durationMs > 0))
    throw new Error('durationMs must be > 0');
}
