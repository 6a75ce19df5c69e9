import { FlowBatchEncoder, type EncodedBatch } from './encoder.js';
import { buildFlowPools } from './flows.js';
import { GeneratorSession, type BatchOutcome } from './client.js';
import { buildTopology } from './topology.js';

/**
 * The load generator: a seeded fabric, one Publish stream per vRouter, a shared record budget
 * (`flows`) and rate cap, and a report whose acked totals an end-to-end test can compare exactly
 * with what the warehouse holds.
 */
export interface SimulateOptions {
  target: string; // host:port
  vrouters: number;
  /** Stop once exactly this many records are acked (the last batches are trimmed). */
  flows?: number;
  durationMs?: number;
  /** Records per second over all vRouters; 0 or absent = as fast as the collector acks. */
  rate?: number;
  batchSize?: number;
  token?: string;
  seed?: number;
  dropConnectionEvery?: number;
  invalidEvery?: number;
  onProgress?: (report: SimulationReport) => void;
  progressIntervalMs?: number;
  signal?: AbortSignal;
  /** How long to wait for outstanding acks once sending stops (default 30 s). */
  drainTimeoutMs?: number;
}

export interface Totals {
  records: number;
  bytes: number;
  packets: number;
}

export interface SimulationReport {
  sent: number; // records sent the first time
  acked: number; // records stored: accepted by OK acks plus those of DUPLICATE acks
  rejected: number;
  duplicates: number; // records in DUPLICATE acks (stored earlier)
  resent: number; // records sent again after a reconnect or UNAVAILABLE
  elapsedMs: number;
  ackedPerSecond: number;
  /** bytes/packets = Σ diff_bytes·max(sampling,1), Σ diff_packets·max(sampling,1) of acked records. */
  ackedTotals: Totals;
  ackedByVrouter: Record<string, Totals>;
  ackedByAction: Record<string, Totals>;
}

export const DEFAULT_BATCH_SIZE = 500;
const ACTION_NAMES = ['UNSPECIFIED', 'PASS', 'DENY', 'DROP'] as const;

let lastEpoch = 0;
/** A generator epoch: its start time in µs, strictly increasing so runs in one process never share one. */
export function nextEpoch(): number {
  lastEpoch = Math.max(Date.now() * 1000, lastEpoch + 1);
  return lastEpoch;
}

/** A token bucket shared by all streams: `rate` records/s with a tenth of a second of burst. */
export class RateLimiter {
  private tokens: number;
  private last = performance.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  /** Takes n tokens and returns 0, or returns how many ms to wait before asking again. */
  take(n: number): number {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens >= n) {
      this.tokens -= n;
      return 0;
    }
    return Math.max(1, Math.ceil(((n - this.tokens) * 1000) / this.rate));
  }
}

type Flow = EncodedBatch;

interface VrouterStream {
  name: string;
  encoder: FlowBatchEncoder;
  session: GeneratorSession<Flow>;
  totals: Totals;
}

class Run {
  readonly started = performance.now();
  readonly byAction = ACTION_NAMES.map((): Totals => ({ records: 0, bytes: 0, packets: 0 }));
  streams: VrouterStream[] = [];
  remaining: number; // records still to hand out when `flows` is set
  stopped = false;
  private readonly limiter: RateLimiter | undefined;
  private doneResolve: (() => void) | undefined;
  readonly done = new Promise<void>((resolve) => (this.doneResolve = resolve));
  fatal: Error | undefined;

  constructor(readonly options: SimulateOptions) {
    this.remaining = options.flows ?? Number.POSITIVE_INFINITY;
    const rate = options.rate ?? 0;
    const batch = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.limiter = rate > 0 ? new RateLimiter(rate, Math.max(batch, rate / 10)) : undefined;
  }

  /** The next batch for one stream, within the budget and the rate. */
  next(stream: VrouterStream, seq: number, maxRecords: number): Flow | number | null {
    if (this.stopped) return null;
    const n = Math.min(maxRecords, this.options.batchSize ?? DEFAULT_BATCH_SIZE, this.remaining);
    if (n <= 0) return null;
    const wait = this.limiter?.take(n) ?? 0;
    if (wait > 0) return wait;
    this.remaining -= n;
    return stream.encoder.encode(seq, n);
  }

  outcome(stream: VrouterStream, batch: Flow, outcome: BatchOutcome): void {
    const rejected = outcome.rejected;
    const totals = batch.totals.slice();
    for (const i of rejected) subtractRecord(stream.encoder, totals, batch.templates[i]);
    for (let a = 1; a < ACTION_NAMES.length; a++) {
      const t = this.byAction[a];
      if (!t) continue;
      t.records += totals[a * 3] ?? 0;
      t.bytes += totals[a * 3 + 1] ?? 0;
      t.packets += totals[a * 3 + 2] ?? 0;
      stream.totals.records += totals[a * 3] ?? 0;
      stream.totals.bytes += totals[a * 3 + 1] ?? 0;
      stream.totals.packets += totals[a * 3 + 2] ?? 0;
    }
    if (this.options.flows !== undefined && rejected.length > 0) {
      // Rejected records do not count towards `flows`: hand them out again.
      this.remaining += rejected.length;
      this.streams.forEach((s) => s.session.kick());
    }
    this.checkDone();
  }

  acked(): number {
    return this.streams.reduce((n, s) => n + s.session.counters.acked, 0);
  }

  checkDone(): void {
    const flows = this.options.flows;
    if (flows !== undefined && this.acked() >= flows && this.streams.every((s) => s.session.pending === 0)) {
      this.finish();
    }
  }

  readonly abort = (): void => this.finish();

  finish(err?: Error): void {
    if (err && !this.fatal) this.fatal = err;
    this.stopped = true;
    this.doneResolve?.();
  }

  report(): SimulationReport {
    const elapsedMs = performance.now() - this.started;
    const sum = (key: 'sent' | 'acked' | 'rejected' | 'duplicates' | 'resent'): number =>
      this.streams.reduce((n, s) => n + s.session.counters[key], 0);
    const acked = sum('acked');
    const ackedByAction: Record<string, Totals> = {};
    this.byAction.forEach((t, a) => {
      if (t.records > 0) ackedByAction[ACTION_NAMES[a] ?? String(a)] = { ...t };
    });
    return {
      sent: sum('sent'),
      acked,
      rejected: sum('rejected'),
      duplicates: sum('duplicates'),
      resent: sum('resent'),
      elapsedMs: Math.round(elapsedMs),
      ackedPerSecond: elapsedMs > 0 ? Math.round((acked * 1000) / elapsedMs) : 0,
      ackedTotals: this.byAction.reduce(
        (acc, t) => ({
          records: acc.records + t.records,
          bytes: acc.bytes + t.bytes,
          packets: acc.packets + t.packets,
        }),
        { records: 0, bytes: 0, packets: 0 },
      ),
      ackedByVrouter: Object.fromEntries(this.streams.map((s) => [s.name, { ...s.totals }])),
      ackedByAction,
    };
  }
}

function subtractRecord(encoder: FlowBatchEncoder, totals: Float64Array, template: number | undefined): void {
  if (template === undefined) return;
  const a = (encoder.actionOf[template] ?? 0) * 3;
  totals[a] = (totals[a] ?? 0) - 1;
  totals[a + 1] = (totals[a + 1] ?? 0) - (encoder.scaledBytes[template] ?? 0);
  totals[a + 2] = (totals[a + 2] ?? 0) - (encoder.scaledPackets[template] ?? 0);
}

function validate(options: SimulateOptions): void {
  const positive = (v: number | undefined, name: string, allowZero = false): void => {
    if (v === undefined) return;
    if (!Number.isFinite(v) || v < (allowZero ? 0 : 1) || !Number.isInteger(v)) {
      throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer`);
    }
  };
  if (!options.target) throw new Error('target (host:port) is required');
  positive(options.vrouters, 'vrouters');
  positive(options.flows, 'flows');
  positive(options.batchSize, 'batchSize');
  positive(options.rate, 'rate', true);
  positive(options.dropConnectionEvery, 'dropConnectionEvery', true);
  positive(options.invalidEvery, 'invalidEvery', true);
  if (options.durationMs !== undefined && !(options.durationMs > 0))
    throw new Error('durationMs must be > 0');
}

function openStreams(run: Run, options: SimulateOptions): void {
  const topology = buildTopology({ vrouters: options.vrouters, seed: options.seed ?? 1 });
  const { pools } = buildFlowPools(topology);
  const epoch = nextEpoch();
  topology.vrouters.forEach((vr, i) => {
    const pool = pools[i] ?? [];
    if (pool.length === 0) return;
    const encoder = new FlowBatchEncoder(pool, {
      salt: (epoch % 0x100000000) ^ Math.imul(i + 1, 0x9e3779b1),
      invalidEvery: options.invalidEvery ?? 0,
    });
    const session = new GeneratorSession<Flow>({
      target: options.target,
      generator: vr.generator,
      ...(options.token !== undefined ? { token: options.token } : {}),
      epoch,
      maxBatchRecords: options.batchSize ?? DEFAULT_BATCH_SIZE,
      dropConnectionEvery: options.dropConnectionEvery ?? 0,
      source: { next: (seq, max) => run.next(stream, seq, max) },
      onOutcome: (batch, outcome) => run.outcome(stream, batch, outcome),
      onFatal: (err) => run.finish(err),
    });
    const stream: VrouterStream = {
      name: vr.name,
      encoder,
      session,
      totals: { records: 0, bytes: 0, packets: 0 },
    };
    run.streams.push(stream);
  });
}

/** Runs the simulation until `flows` records are acked, `durationMs` passes, or `signal` aborts. */
export async function simulate(options: SimulateOptions): Promise<SimulationReport> {
  validate(options);
  const run = new Run(options);
  openStreams(run, options);
  const timers = startTimers(run, options);
  run.streams.forEach((s) => s.session.start());
  try {
    await run.done;
    if (!run.fatal && !options.signal?.aborted) await drain(run, options.drainTimeoutMs ?? 30_000);
  } finally {
    timers.forEach((t) => clearTimeout(t));
    options.signal?.removeEventListener('abort', run.abort);
    await Promise.all(run.streams.map((s) => s.session.close()));
  }
  const report = run.report();
  options.onProgress?.(report);
  if (run.fatal) throw run.fatal;
  return report;
}

function startTimers(run: Run, options: SimulateOptions): NodeJS.Timeout[] {
  const timers: NodeJS.Timeout[] = [];
  if (options.signal?.aborted) run.finish();
  options.signal?.addEventListener('abort', run.abort, { once: true });
  if (options.durationMs !== undefined) timers.push(setTimeout(() => run.finish(), options.durationMs));
  if (options.onProgress) {
    const progress = options.onProgress;
    timers.push(setInterval(() => progress(run.report()), options.progressIntervalMs ?? 1000));
  }
  return timers;
}

/** After sending stops, wait for the acks of what is in flight, within a bound. */
async function drain(run: Run, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([Promise.all(run.streams.map((s) => s.session.whenIdle())), timeout]);
  clearTimeout(timer);
}

export { buildTopology } from './topology.js';
export type { Topology } from './topology.js';
export { buildFlowPools, buildConnections } from './flows.js';
export { FlowBatchEncoder } from './encoder.js';
export { GeneratorSession } from './client.js';
export { formatProgress, progressPrinter, formatSummary } from './progress.js';
