import { errorMessage } from '../errors.js';
import { logger } from '../log.js';
import { busRedeliveries, type BusHandler, type SubscribeOptions, type TopicKind } from './bus.js';
import type { TopicLog } from './topic-log.js';

const log = logger('bus');

/**
 * Feeds one consumer group of a topic of the local log, in order, from its committed position:
 * deliveries of about `maxBytes`, once the oldest message undelivered has lingered `lingerMs` for
 * more (so a busy consumer, finding messages that arrived during its last delivery, waits no longer);
 * a delivery is committed once its handler resolves, and delivered again, with backoff, when it rejects.
 * Commits are written in order while the next delivery is under way: a crash between a handler and
 * its commit has the delivery read again, as it would a moment earlier.
 */
export class LogConsumer {
  private wakeUp: (() => void) | undefined;
  private closed = false;
  /** Backing off after a failure: new messages do not cut the pause short, closing does. */
  private backingOff = false;
  private stopped: Promise<void> = Promise.resolve();
  /** When the oldest message not yet delivered was written; undefined when all are delivered. */
  private pendingSince: number | undefined;
  /** The commits written so far, in order. */
  private committing: Promise<void> = Promise.resolve();
  /** A delivery's write failed (the consumer is closing): neither it nor any after it is committed. */
  private unsettled = false;

  constructor(
    private readonly kind: TopicKind,
    private readonly topic: TopicLog,
    private readonly group: string,
    private readonly handler: BusHandler,
    private readonly options: SubscribeOptions,
  ) {}

  async start(): Promise<void> {
    const from = await this.topic.join(this.group, this);
    this.stopped = this.run(from);
  }

  /** New messages are written (readable; their fsync may be under way). */
  wake(): void {
    this.pendingSince ??= Date.now();
    if (!this.backingOff) this.interrupt();
  }

  private interrupt(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  /** Lets the delivery under way finish (and commit); what follows waits for the next subscriber. */
  async close(): Promise<void> {
    this.closed = true;
    this.interrupt();
    await this.stopped;
    await this.committing;
    this.topic.leave(this.group);
  }

  private sleep(ms?: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(from: number): Promise<void> {
    let next = from;
    let backoff = 100;
    while (!this.closed) {
      if (this.topic.writtenEnd <= next) {
        // Checked again once woken: the end decides, not the wake (what a wake told of may have been
        // read already, and a closing consumer is woken too).
        this.pendingSince = undefined;
        await this.sleep();
        continue;
      }
      const deadline = (this.pendingSince ?? Date.now()) + this.options.lingerMs;
      while (!this.closed && this.topic.writtenEnd - next < this.options.maxBytes && Date.now() < deadline) {
        await this.sleep(deadline - Date.now());
      }
      if (this.closed) break;
      // Messages past the position are written, so the log holds at least one: a batch is never empty.
      const batch = this.topic.read(next, this.options.maxBytes);
      const end = batch.at(-1)!.end;
      // What remains after this delivery has waited as long as its first message: it lingers no more.
      if (end >= this.topic.writtenEnd) this.pendingSince = undefined;
      try {
        const settling = await this.handler(
          batch.map((e) => e.message),
          { partition: 0 },
        );
        this.commit(end, settling?.settled);
        next = end;
        backoff = 100;
      } catch (err) {
        // Kept and delivered again: nothing published is dropped, and publishers stay held back.
        busRedeliveries.inc({ topic: this.kind });
        log.warn(
          { topic: this.kind, group: this.group, err: errorMessage(err), retryInMs: backoff },
          'consumer failed a delivery',
        );
        this.pendingSince ??= Date.now();
        this.backingOff = true;
        await this.sleep(backoff);
        this.backingOff = false;
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  /**
   * Queues the group's position behind the commits before it, once the delivery's write (if any) is
   * done. A commit that fails is logged and left to the next: positions only grow, and a restart reads
   * again from the last one written.
   */
  private commit(position: number, settled?: Promise<void>): void {
    this.committing = this.committing.then(async () => {
      if (this.unsettled) return;
      try {
        await settled;
      } catch (err) {
        this.unsettled = true;
        log.warn(
          { topic: this.kind, group: this.group, err: errorMessage(err) },
          'a delivery was not settled: it is read again from there by the next consumer',
        );
        return;
      }
      await this.topic
        .commit(this.group, position)
        .catch((err: unknown) =>
          log.warn({ topic: this.kind, group: this.group, err: errorMessage(err) }, 'commit failed'),
        );
    });
  }
}
