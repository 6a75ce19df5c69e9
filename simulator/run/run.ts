import { FlowAction, type PayloadKind } from '../../common/proto.js';
import { STATE_KINDS, type StateKind } from '../fabric/records.js';
import { ACTION_SLOTS, type EncodedBatch, type FlowBatchEncoder } from '../sender/flow-encoder.js';
import type { BatchOutcome, GeneratorSession, RecordCounters } from '../sender/generator-session.js';
import type { StateBatch } from '../sender/outbox.js';
import { DEFAULT_BATCH_SIZE, type SimulateOptions } from './options.js';
import { RateLimiter } from './rate-limiter.js';
import type { SimulationReport, Totals } from './report.js';
import type { StatePlayer } from './state-player.js';

/**
 * One run's state: its generator streams, what each stream sends next (state first, then flows
 * within the budget and the rate), the flow totals the acks confirm, and when the run is done.
 */

const zeroTotals = (): Totals => ({ records: 0, bytes: 0, packets: 0 });

type Flow = EncodedBatch;
export type Batch = Flow | StateBatch;

const isState = (batch: Batch): batch is StateBatch => 'initial' in batch;

/** One generator's stream: a vRouter agent's carries flows, a control node's only state. */
export interface GeneratorStream {
  name: string;
  generator: string;
  session: GeneratorSession<Batch>;
  flows?: { encoder: FlowBatchEncoder; totals: Totals };
}

export class Run {
  readonly started = performance.now();
  /** Per FlowAction (the encoder's totals slots). */
  readonly byAction = Array.from({ length: ACTION_SLOTS }, zeroTotals);
  streams: GeneratorStream[] = [];
  player: StatePlayer | undefined;
  /**
   * Flow records each vRouter's stream still hands out when `flows` is set: the budget split evenly,
   * so that every vRouter exports its whole flow mix (first come, the fastest streams would take it all).
   */
  private readonly remaining = new Map<GeneratorStream, number>();
  stopped = false;
  private readonly limiter: RateLimiter | undefined;
  private doneResolve: (() => void) | undefined;
  readonly done = new Promise<void>((resolve) => (this.doneResolve = resolve));
  fatal: Error | undefined;

  constructor(readonly options: SimulateOptions) {
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
    const left = this.budget(stream);
    const n = Math.min(maxRecords, this.options.batchSize ?? DEFAULT_BATCH_SIZE, left);
    if (n <= 0) return null;
    const wait = this.limiter?.take(n) ?? 0;
    if (wait > 0) return wait;
    this.remaining.set(stream, left - n);
    return stream.flows.encoder.encode(seq, n);
  }

  /** What a flow stream may still send: its share of `flows` (the first streams take the remainder). */
  private budget(stream: GeneratorStream): number {
    const flows = this.options.flows;
    if (flows === undefined) return Number.POSITIVE_INFINITY;
    if (!this.remaining.has(stream)) {
      const senders = this.streams.filter((s) => s.flows);
      const i = senders.indexOf(stream);
      this.remaining.set(stream, Math.floor(flows / senders.length) + (i < flows % senders.length ? 1 : 0));
    }
    return this.remaining.get(stream) ?? 0;
  }

  outcome(stream: GeneratorStream, batch: Batch, outcome: BatchOutcome): void {
    if (isState(batch)) this.player?.settle(stream.generator, batch);
    else if (stream.flows) this.flowOutcome(stream, batch, outcome);
    this.checkDone();
  }

  private flowOutcome(stream: GeneratorStream, batch: Flow, outcome: BatchOutcome): void {
    const flows = stream.flows;
    if (!flows) return;
    const rejected = outcome.rejected;
    const totals = batch.totals.slice();
    for (const i of rejected) subtractRecord(flows.encoder, totals, batch.templates[i]);
    for (let a = 1; a < ACTION_SLOTS; a++) {
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
      this.remaining.set(stream, this.budget(stream) + rejected.length);
      this.kick(stream.generator);
    }
  }

  /** Sessions pull from their sources again: after a gate opened or records were queued. */
  kick(generator?: string): void {
    this.streams.forEach((s) => (generator === undefined || s.generator === generator) && s.session.kick());
  }

  counted(kind: PayloadKind, key: keyof RecordCounters): number {
    return this.streams.reduce((n, s) => n + s.session.countersOf(kind)[key], 0);
  }

  /** Done once the flows asked for are acked and the state through, unless a duration says how long. */
  checkDone(): void {
    const flows = this.options.flows;
    if (
      this.options.durationMs === undefined &&
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
      if (t.records > 0) ackedByAction[FlowAction[a] ?? String(a)] = { ...t };
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
