import { gauge } from '../common/metrics.js';

const inFlightBytes = gauge(
  'fabricscope_collector_in_flight_bytes',
  'Bytes of batches received and not yet acked, over every stream (bounded by --max-in-flight-bytes)',
);

/**
 * The bytes of batches the collector holds until they are durable, over all its streams. Each
 * stream holds at most --max-in-flight batches, but streams are many: while the bus makes the
 * collector wait, thousands of them would each hold theirs. Past the budget, a stream stops reading
 * (HTTP/2 flow control then holds its sender back) until acks bring the total under it again.
 */
export class InFlightBudget {
  private used = 0;
  /** Streams stopped for the budget: each resumes (if its own limit allows) once there is room. */
  private readonly waiting = new Set<() => void>();

  constructor(private readonly maxBytes: number) {}

  get exceeded(): boolean {
    return this.used > this.maxBytes;
  }

  take(bytes: number): void {
    this.used += bytes;
    inFlightBytes.set(this.used);
  }

  give(bytes: number): void {
    this.used -= bytes;
    inFlightBytes.set(this.used);
    if (this.exceeded) return;
    const resume = [...this.waiting];
    this.waiting.clear();
    for (const wake of resume) wake();
  }

  /** Calls `wake` once the total is back under the budget; `forget` it when the stream ends first. */
  whenRoom(wake: () => void): void {
    this.waiting.add(wake);
  }

  forget(wake: () => void): void {
    this.waiting.delete(wake);
  }
}
