import { FabricError } from '../../common/errors.js';
import type { Subscription } from '../../common/bus/bus.js';
import { logger, rateLimited } from '../../common/log.js';
import { counter, gauge } from '../../common/metrics.js';
import { CutOff, StreamQueue, type CutOffReason } from './queue.js';

const limited = rateLimited(logger('streams'));

const open = gauge('fabricscope_query_subscriptions', 'GraphQL subscriptions open, by stream', ['stream']);
const cutOffs = counter(
  'fabricscope_query_subscription_cutoffs_total',
  'Subscriptions the API ended: slow (its queue over --query-subscription-queue), lagging (the stream fell behind the bus), shutdown',
  ['stream', 'reason'],
);
const refused = counter(
  'fabricscope_query_subscriptions_refused_total',
  'Subscriptions refused: --query-max-subscriptions were open, or the service has no bus to follow',
  ['stream', 'reason'],
);

export const streamNames = ['flows', 'uveChanges', 'generatorEvents', 'alarms'] as const;
export type StreamName = (typeof streamNames)[number];

/**
 * Where a stream's events come from: started with its first subscriber, closed after its last.
 * `deliver` takes events in order; `lagging` says the source fell behind and dropped events.
 */
export interface Source<T> {
  start(deliver: (events: readonly T[]) => void, lagging: () => void): Promise<Subscription>;
}

export interface StreamLimits {
  /** Subscriptions open at once in this service, all streams together. */
  maxSubscriptions: number;
  /** Events one subscriber still behind may have waiting; a delivery beyond it cuts it off. */
  maxQueued: number;
}

interface Subscriber<T> {
  test: (event: T) => boolean;
  queue: StreamQueue<T>;
}

/** A stream's subscribers, and its source while it has any. */
class Feed<T> {
  readonly subscribers = new Set<Subscriber<T>>();
  running: Promise<Subscription> | undefined;

  constructor(
    readonly name: StreamName,
    readonly source: Source<T>,
  ) {}

  deliver(events: readonly T[], slow: () => CutOff): void {
    for (const s of this.subscribers) if (s.queue.open) s.queue.push(events.filter(s.test), slow);
  }
}

/**
 * The live streams of one query service: each subscription gets a queue fed from its stream's one
 * source (a bus tail, shared by every subscriber of the stream), with its own test. A slow
 * subscriber is cut off at its own bound, counted and logged; the source, the bus and the other
 * subscribers never wait for it.
 */
export class Streams {
  private readonly feeds = new Map<StreamName, Feed<unknown>>();
  private count = 0;
  private closed = false;

  constructor(
    sources: Partial<Record<StreamName, Source<unknown>>>,
    private readonly limits: StreamLimits,
    /** Why a stream with no source cannot be followed here. */
    private readonly missing = 'this query service follows no bus',
  ) {
    for (const [name, source] of Object.entries(sources) as [StreamName, Source<unknown>][])
      this.feeds.set(name, new Feed(name, source));
  }

  /** A subscriber's events: those of `name` that pass `test`, from now on. */
  async subscribe<T>(name: StreamName, test: (event: T) => boolean): Promise<StreamQueue<T>> {
    const feed = this.feeds.get(name) as Feed<T> | undefined;
    if (this.closed)
      throw new FabricError('UNAVAILABLE', `subscription ${name}: the query service is stopping`);
    if (!feed) {
      refused.inc({ stream: name, reason: 'no-bus' });
      throw new FabricError('UNAVAILABLE', `subscription ${name}: ${this.missing}`);
    }
    if (this.count >= this.limits.maxSubscriptions) {
      refused.inc({ stream: name, reason: 'limit' });
      limited.warn(
        'refused',
        { stream: name, open: this.count },
        'subscription refused: query-max-subscriptions open',
      );
      throw new FabricError(
        'RESOURCE_EXHAUSTED',
        `subscription ${name}: ${this.limits.maxSubscriptions} subscriptions are open, the most this service takes (query-max-subscriptions)`,
      );
    }
    this.count++;
    open.inc({ stream: name });
    const subscriber: Subscriber<T> = {
      test,
      queue: new StreamQueue<T>(this.limits.maxQueued, (cutOff) => this.ended(feed, subscriber, cutOff)),
    };
    feed.subscribers.add(subscriber);
    try {
      await this.started(feed);
    } catch (err) {
      await subscriber.queue.return();
      throw err;
    }
    return subscriber.queue;
  }

  /** Ends every subscription (told `shutdown`) and closes the sources. */
  async close(): Promise<void> {
    this.closed = true;
    for (const feed of this.feeds.values())
      for (const s of [...feed.subscribers])
        s.queue.cutOff(new CutOff('shutdown', `subscription ${feed.name}: the query service is stopping`));
    await Promise.all([...this.feeds.values()].map((feed) => this.stopped(feed)));
  }

  private started<T>(feed: Feed<T>): Promise<Subscription> {
    feed.running ??= feed.source
      .start(
        (events) => feed.deliver(events, () => this.slow(feed)),
        () => this.lagging(feed),
      )
      .catch((err: unknown) => {
        feed.running = undefined;
        throw err;
      });
    return feed.running;
  }

  private async stopped<T>(feed: Feed<T>): Promise<void> {
    const running = feed.running;
    feed.running = undefined;
    await (await running?.catch(() => undefined))?.close();
  }

  private slow<T>(feed: Feed<T>): CutOff {
    return new CutOff(
      'slow',
      `subscription ${feed.name} cut off: more than ${this.limits.maxQueued} events would wait for the client (query-subscription-queue)`,
    );
  }

  /** The source dropped events: every subscriber of the stream missed them, so each is cut off. */
  private lagging<T>(feed: Feed<T>): void {
    const cutOff = new CutOff(
      'lagging',
      `subscription ${feed.name} cut off: the stream fell behind the bus and lost events`,
    );
    for (const s of [...feed.subscribers]) s.queue.cutOff(cutOff);
  }

  private ended<T>(feed: Feed<T>, subscriber: Subscriber<T>, cutOff: CutOff | undefined): void {
    if (!feed.subscribers.delete(subscriber)) return;
    this.count--;
    open.dec({ stream: feed.name });
    if (cutOff) this.counted(feed.name, cutOff.reason);
    if (feed.subscribers.size === 0) void this.stopped(feed);
  }

  private counted(stream: StreamName, reason: CutOffReason): void {
    cutOffs.inc({ stream, reason });
    if (reason !== 'shutdown')
      limited.warn(`${stream}:${reason}`, { stream, reason }, 'subscription cut off');
  }
}
