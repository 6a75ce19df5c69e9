import { GraphQLError } from 'graphql';
import { errorStatus } from '../../common/errors.js';

/** Why a stream was ended by the server rather than by its subscriber. */
export type CutOffReason = 'slow' | 'lagging' | 'shutdown';

/** The last event of a stream cut off: its field resolver throws it, so the client is told why. */
export class CutOff {
  constructor(
    readonly reason: CutOffReason,
    readonly message: string,
  ) {}

  /** A slow client went over its bound (as a request over a limit); the others are the server's. */
  toError(): GraphQLError {
    const code = this.reason === 'slow' ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE';
    return new GraphQLError(this.message, {
      extensions: { code: errorStatus[code].graphql, reason: this.reason },
    });
  }
}

/**
 * One subscriber's events on their way to its connection. The transport (SSE, WebSocket) takes the
 * next event only once the last one is written, so events wait here while the client reads slowly;
 * a subscriber still behind when a delivery would leave more than `maxQueued` waiting is cut off (its
 * queue is dropped, the cut-off is its last event): a slow client costs at most the bound plus one
 * delivery of memory and never holds anything else back. `onEnd` is told once, however it ends.
 */
export class StreamQueue<T> implements AsyncIterableIterator<T | CutOff> {
  private items: (T | CutOff)[] = [];
  private waiting: ((result: IteratorResult<T | CutOff>) => void) | undefined;
  private ending = false;

  constructor(
    private readonly maxQueued: number,
    private readonly onEnd: (cutOff?: CutOff) => void,
  ) {}

  /** False once the subscriber is gone or cut off: the caller stops offering it events. */
  get open(): boolean {
    return !this.ending;
  }

  /**
   * The events of one delivery that the subscriber takes. A subscriber with nothing waiting takes a
   * delivery whole (a batch of any size); one still behind is cut off, with `slow`'s message, when
   * the delivery would leave more than the bound waiting.
   */
  push(events: readonly T[], slow: () => CutOff): void {
    if (this.ending || events.length === 0) return;
    if (this.items.length > 0 && this.items.length + events.length > this.maxQueued)
      return this.cutOff(slow());
    this.items.push(...events);
    if (this.waiting) this.hand({ value: this.items.shift()!, done: false });
  }

  /** Drops what waits and ends the stream with the cut-off as its last event. */
  cutOff(cutOff: CutOff): void {
    if (this.ending) return;
    this.ending = true;
    this.items = [cutOff];
    this.onEnd(cutOff);
    if (this.waiting) this.hand({ value: this.items.shift()!, done: false });
  }

  next(): Promise<IteratorResult<T | CutOff>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.ending) return Promise.resolve(this.finish());
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** The subscriber left (the connection closed, or the client completed the subscription). */
  return(): Promise<IteratorResult<T | CutOff>> {
    if (!this.ending) {
      this.ending = true;
      this.onEnd();
    }
    this.items = [];
    const result = this.finish();
    if (this.waiting) this.hand(result);
    return Promise.resolve(result);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): IteratorResult<T | CutOff> {
    return { value: undefined, done: true };
  }

  private hand(result: IteratorResult<T | CutOff>): void {
    const waiting = this.waiting!;
    this.waiting = undefined;
    waiting(result);
  }

  /** Events waiting for the transport. */
  get queued(): number {
    return this.items.length;
  }
}
