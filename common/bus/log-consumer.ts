import { errorMessage } from '../errors.js';
import { logger } from '../log.js';
import { busRedeliveries, type BusHandler, type SubscribeOptions, type TopicKind } from './bus.js';
import type { TopicLog } from './topic-log.js';

const log = logger('bus');

/**
 * Feeds one consumer group of a topic of the local log, in order, from its committed position:
 * deliveries of about `maxBytes`, after lingering up to `lingerMs` for more; a delivery is committed
 * once its handler resolves, and delivered again, with backoff, when it rejects.
 */
export class LogConsumer {
  private wakeUp: (() => void) | undefined;
  private closed = false;
  /** Backing off after a failure: new messages do not cut the pause short, closing does. */
  private backingOff = false;
  private stopped: Promise<void> = Promise.resolve();

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

  /** New messages are durable. */
  wake(): void {
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
      if (this.topic.durableEnd <= next) await this.sleep();
      if (this.closed) break;
      const deadline = Date.now() + this.options.lingerMs;
      while (!this.closed && this.topic.durableEnd - next < this.options.maxBytes && Date.now() < deadline) {
        await this.sleep(deadline - Date.now());
      }
      if (this.closed) break;
      const batch = this.topic.read(next, this.options.maxBytes);
      const end = batch.at(-1)!.end;
      try {
        await this.handler(
          batch.map((e) => e.message),
          { partition: 0 },
        );
        await this.topic.commit(this.group, end);
        next = end;
        backoff = 100;
      } catch (err) {
        // Kept and delivered again: nothing published is dropped, and publishers stay held back.
        busRedeliveries.inc({ topic: this.kind });
        log.warn(
          { topic: this.kind, group: this.group, err: errorMessage(err), retryInMs: backoff },
          'consumer failed a delivery',
        );
        this.backingOff = true;
        await this.sleep(backoff);
        this.backingOff = false;
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}
