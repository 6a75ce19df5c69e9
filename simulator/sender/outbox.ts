import type { StateKind, StateRecordOf } from '../fabric/records.js';
import type { OutgoingBatch } from './generator-session.js';
import { encodeStateBatch } from './state-encoder.js';

/**
 * One generator's queue of low-volume records (UVEs, routes, interface stats), handed to its session
 * as batches of one kind each, oldest first.
 */
export interface StateBatch extends OutgoingBatch {
  kind: StateKind;
  /** Part of the state published at start, which flows wait for. */
  initial: boolean;
}

type AnyRecord = StateRecordOf[StateKind];

interface Chunk {
  kind: StateKind;
  records: AnyRecord[];
  initial: boolean;
}

export class Outbox {
  private readonly queue: Chunk[] = [];
  private unsettled = 0; // records queued or sent without a final ack
  private unsettledInitial = 0;

  push<K extends StateKind>(kind: K, records: readonly StateRecordOf[K][], initial = false): void {
    if (records.length === 0) return;
    this.queue.push({ kind, records: [...records], initial });
    this.unsettled += records.length;
    if (initial) this.unsettledInitial += records.length;
  }

  /** The next batch (at most maxRecords, never mixing kinds), or undefined when nothing is queued. */
  next(seq: number, maxRecords: number): StateBatch | undefined {
    const head = this.queue[0];
    if (!head) return undefined;
    const records = head.records.splice(0, Math.max(1, maxRecords));
    if (head.records.length === 0) this.queue.shift();
    return {
      seq,
      kind: head.kind,
      initial: head.initial,
      records: records.length,
      payload: encodeStateBatch(head.kind, seq, records),
    };
  }

  /** A batch got its final ack (whatever its status). */
  settle(batch: StateBatch): void {
    this.unsettled -= batch.records;
    if (batch.initial) this.unsettledInitial -= batch.records;
  }

  get idle(): boolean {
    return this.unsettled === 0;
  }

  get initialSettled(): boolean {
    return this.unsettledInitial === 0;
  }
}
