import type { PayloadKind } from '../common/proto.js';
import { FlowBatchEncoder, type EncodedBatch } from './sender/flow-encoder.js';
import type { EventSpec } from './fabric/events.js';
import { buildFlowPools, type FlowPools } from './fabric/flows/templates.js';
import { GeneratorSession, type BatchOutcome, type RecordCounters } from './sender/generator-session.js';
import type { StateBatch } from './sender/outbox.js';
import { STATE_KINDS, type StateKind } from './fabric/records.js';
import { StatePlayer, type PlayedEvent } from './run/state-player.js';
import { buildTopology } from './fabric/topology/build.js';
import type { Topology } from './fabric/topology/types.js';

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
  /** Publish the fabric's UVEs and routes before any flow (default true). */
  state?: boolean;
  /** Interface-stats samples per interface, one every `interfaceStatsIntervalMs` (default: none). */
  interfaceStatsSamples?: number;
  /** Sample interface stats this often (default 1 s); without a sample count, until the run ends. */
  interfaceStatsIntervalMs?: number;
  /** Faults to play once the state is published; the run ends only after they have (unless stopped). */
  events?: EventSpec[];
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
  /** Records of the other kinds sent the first time, and stored (OK or DUPLICATE acks, minus rejections). */
  sentByKind: Record<StateKind, number>;
  ackedByKind: Record<StateKind, number>;
  interfaceStatsSamples: number;
  events: PlayedEvent[];
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
type Batch = Flow | StateBatch;

const isState = (batch: Batch): batch is StateBatch => 'initial' in batch;

/** One generator's stream: a vRouter agent's carries flows, a control node's only state. */
interface GeneratorStream {
  name: string;
  generator: string;
  session: GeneratorSession<Batch>;
  flows?: { encoder: FlowBatchEncoder; totals: Totals };
}

class Run {
  readonly started = performance.now();
  readonly byAction = ACTION_NAMES.map((): Totals => ({ records: 0, bytes: 0, packets: 0 }));
  streams: GeneratorStream[] = [];
  player: StatePlayer | undefined;
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

  /** The next batch for one stream: state first, then flows within the budget and the rate. */
  next(stream: GeneratorStream, seq: number, maxRecords: number): Batch | number | null {
    if (this.stopped) return null;
    const state = this.player?.next(stream.generator, seq, maxRecords);
    if (state) return state;
    if (!stream.flows || !(this.player?.flowsOpen ?? true)) return null;
    const n = Math.min(maxRecords, this.options.batchSize ?? DEFAULT_BATCH_SIZE, this.remaining);
    if (n <= 0) return null;
    const wait = this.limiter?.take(n) ?? 0;
    if (wait > 0) return wait;
    this.remaining -= n;
    return stream.flows.encoder.encode(seq, n);
  }

  outcome(stream: GeneratorStream, batch: Batch, outcome: BatchOutcome): void {
    if (isState(batch)) this.player?.settle(stream.generator, batch);
    else if (stream.flows) this.flowOutcome(stream.flows, batch, outcome);
    this.checkDone();
  }

  private flowOutcome(
    flows: NonNullable<GeneratorStream['flows']>,
    batch: Flow,
    outcome: BatchOutcome,
  ): void {
    const rejected = outcome.rejected;
    const totals = batch.totals.slice();
    for (const i of rejected) subtractRecord(flows.encoder, totals, batch.templates[i]);
    for (let a = 1; a < ACTION_NAMES.length; a++) {
      const t = this.byAction[a];
      if (!t) continue;
      t.records += totals[a * 3] ?? 0;
      t.bytes += totals[a * 3 + 1] ?? 0;
      t.packets += totals[a * 3 + 2] ?? 0;
      flows.totals.records += totals[a * 3] ?? 0;
      flows.totals.bytes += totals[a * 3 + 1] ?? 0;
      flows.totals.packets += totals[a * 3 + 2] ?? 0;
    }
    if (this.options.flows !== undefined && rejected.length > 0) {
      // Rejected records do not count towards `flows`: hand them out again.
      this.remaining += rejected.length;
      this.kick();
    }
  }

  /** Sessions pull from their sources again: after a gate opened or records were queued. */
  kick(generator?: string): void {
    this.streams.forEach((s) => (generator === undefined || s.generator === generator) && s.session.kick());
  }

  counted(kind: PayloadKind, key: keyof RecordCounters): number {
    return this.streams.reduce((n, s) => n + s.session.countersOf(kind)[key], 0);
  }

  checkDone(): void {
    const flows = this.options.flows;
    if (
      flows !== undefined &&
      this.counted('flows', 'acked') >= flows &&
      (this.player?.finished ?? true) &&
      this.streams.every((s) => s.session.pending === 0)
    ) {
      this.finish();
    }
  }

  readonly abort = (): void => this.finish();

  finish(err?: Error): void {
    if (err && !this.fatal) this.fatal = err;
    this.stopped = true;
    this.player?.stop();
    this.doneResolve?.();
  }

  report(): SimulationReport {
    const elapsedMs = performance.now() - this.started;
    const sum = (key: keyof RecordCounters): number => this.counted('flows', key);
    const byKind = (key: keyof RecordCounters): Record<StateKind, number> =>
      Object.fromEntries(STATE_KINDS.map((k) => [k, this.counted(k, key)])) as Record<StateKind, number>;
    const acked = sum('acked');
    const played = this.player?.report() ?? { interfaceStatsSamples: 0, events: [] };
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
      ackedByVrouter: Object.fromEntries(
        this.streams.flatMap((s) => (s.flows ? [[s.name, { ...s.flows.totals }]] : [])),
      ),
      ackedByAction,
      sentByKind: byKind('sent'),
      ackedByKind: byKind('acked'),
      ...played,
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
  positive(options.flows, 'flows', true);
  positive(options.interfaceStatsSamples, 'interfaceStatsSamples', true);
  positive(options.interfaceStatsIntervalMs, 'interfaceStatsIntervalMs');
  positive(options.batchSize, 'batchSize');
  positive(options.rate, 'rate', true);
  positive(options.dropConnectionEvery, 'dropConnectionEvery', true);
  positive(options.invalidEvery, 'invalidEvery', true);
  if (options.durationMs !== undefined && !(options.durationMs > 0))
    throw new Error('durationMs must be > 0');
}

function statePlayer(run: Run, options: SimulateOptions, topology: Topology, pools: FlowPools): StatePlayer {
  const samples = options.interfaceStatsSamples;
  const interval = options.interfaceStatsIntervalMs;
  const sampling = samples !== undefined || interval !== undefined;
  return new StatePlayer({
    topology,
    pools,
    state: options.state ?? true,
    ...(sampling
      ? { interfaceStats: { intervalMs: interval ?? 1000, ...(samples !== undefined ? { samples } : {}) } }
      : {}),
    events: options.events ?? [],
    onChange: (generator) => {
      run.kick(generator);
      run.checkDone();
    },
    disconnect: (generator, ms) =>
      run.streams.find((s) => s.generator === generator)?.session.disconnectFor(ms),
  });
}

function openStreams(run: Run, options: SimulateOptions): void {
  const topology = buildTopology({ vrouters: options.vrouters, seed: options.seed ?? 1 });
  const flowPools = buildFlowPools(topology);
  const { pools } = flowPools;
  const player = (run.player = statePlayer(run, options, topology, flowPools));
  const publishing = player.generators();
  const epoch = nextEpoch();
  const open = (name: string, generator: string, flows: GeneratorStream['flows']): void => {
    const session = new GeneratorSession<Batch>({
      target: options.target,
      generator,
      ...(options.token !== undefined ? { token: options.token } : {}),
      epoch,
      maxBatchRecords: options.batchSize ?? DEFAULT_BATCH_SIZE,
      dropConnectionEvery: options.dropConnectionEvery ?? 0,
      source: { next: (seq, max) => run.next(stream, seq, max) },
      onOutcome: (batch, outcome) => run.outcome(stream, batch, outcome),
      onFatal: (err) => run.finish(err),
      onReconnected: () => player.resync(generator),
    });
    const stream: GeneratorStream = { name, generator, session, ...(flows ? { flows } : {}) };
    run.streams.push(stream);
  };
  topology.vrouters.forEach((vr, i) => {
    const pool = pools[i] ?? [];
    const flows =
      pool.length === 0 || options.flows === 0
        ? undefined
        : {
            encoder: new FlowBatchEncoder(pool, {
              salt: (epoch % 0x100000000) ^ Math.imul(i + 1, 0x9e3779b1),
              invalidEvery: options.invalidEvery ?? 0,
            }),
            totals: { records: 0, bytes: 0, packets: 0 },
          };
    if (flows || publishing.has(vr.generator)) open(vr.name, vr.generator, flows);
  });
  for (const c of topology.controlNodes)
    if (publishing.has(c.generator)) open(c.name, c.generator, undefined);
}

/**
 * Runs the simulation until `flows` records are acked (and the state, samples and events asked for
 * are through), `durationMs` passes, or `signal` aborts.
 */
export async function simulate(options: SimulateOptions): Promise<SimulationReport> {
  validate(options);
  const run = new Run(options);
  openStreams(run, options);
  const timers = startTimers(run, options);
  run.streams.forEach((s) => s.session.start());
  run.player?.start();
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

export { buildTopology } from './fabric/topology/build.js';
export type { Topology } from './fabric/topology/types.js';
export { buildFabricState, type GeneratorState } from './fabric/state/fabric-state.js';
export { buildRoutes, vrfName } from './fabric/state/routes.js';
export { buildInterfaceStats, interfaceRates } from './fabric/state/interface-stats.js';
export { planEvents, parseEventKinds, EVENT_KINDS, type EventKind, type EventSpec } from './fabric/events.js';
export type { PlayedEvent } from './run/state-player.js';
export { buildConnections } from './fabric/flows/connections.js';
export { buildFlowPools } from './fabric/flows/templates.js';
export { FlowBatchEncoder } from './sender/flow-encoder.js';
export { GeneratorSession } from './sender/generator-session.js';
export { formatProgress, progressPrinter, formatSummary } from './run/progress.js';
export { createRng, type Rng } from './fabric/random.js';
