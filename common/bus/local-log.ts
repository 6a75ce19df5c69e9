import { join } from 'node:path';
import { FabricError, errorMessage } from '../errors.js';
import { logger } from '../log.js';
import { gauge } from '../metrics.js';
import {
  topicName,
  type Bus,
  type BusHandler,
  type BusMessage,
  type Positions,
  type SubscribeOptions,
  type Subscription,
  type TailHandler,
  type TopicKind,
} from './bus.js';
import { LogConsumer } from './log-consumer.js';
import { TopicLog } from './topic-log.js';

const log = logger('bus');
const usedBytes = gauge(
  'fabricscope_bus_buffered_bytes',
  'Bytes published and not yet committed by every consumer',
);

export interface LocalLogOptions {
  /** Where the topics' folders go (`<dataDir>/bus`). */
  dir: string;
  /** Bytes published and not committed by every group, at most: publishers wait beyond it. */
  maxBytes: number;
  /** A segment file is closed and a new one started past this size; maxBytes / 8 unless set. */
  segmentBytes?: number;
}

/**
 * The embedded bus: a durable log on local disk, a folder of segment files per topic
 * (topic-log.ts). A publish resolves once its messages are appended and fsynced, not once they are
 * consumed, so an ack never waits for the warehouse; consumer groups are fed from memory, in order,
 * once the messages are written (before their fsync: topic-log.ts says why), and their commits are
 * files too, so after a crash each group is fed again from where it had
 * committed. Bounded: publishers wait while more than maxBytes are not committed by every group, and
 * a segment is deleted once every group has committed past it.
 */
export class LocalLogBus implements Bus {
  private readonly topics = new Map<TopicKind, Promise<TopicLog>>();
  private readonly opened: TopicLog[] = [];
  private readonly consumers = new Set<LogConsumer>();
  private readonly tails = new Map<TopicKind, Set<TailHandler>>();
  private readonly segmentBytes: number;
  private used = 0;
  private readonly waiters: (() => void)[] = [];
  /** Publishers are waiting for room (logged once each time it fills up). */
  private full = false;
  private closed = false;

  constructor(private readonly options: LocalLogOptions) {
    this.segmentBytes =
      options.segmentBytes ?? Math.min(64 << 20, Math.max(1 << 20, Math.floor(options.maxBytes / 8)));
  }

  async publish(kind: TopicKind, messages: BusMessage[]): Promise<void> {
    if (this.closed) throw new FabricError('UNAVAILABLE', 'the bus is closed');
    // Nothing to append: an empty append would wake the consumers to nothing.
    if (messages.length === 0) return;
    const topic = await this.topic(kind);
    const size = messages.reduce((n, m) => n + m.value.length + Buffer.byteLength(m.key), 0);
    while (this.used > 0 && this.used + size > this.options.maxBytes) {
      if (!this.full) this.filledUp();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      if (this.closed) throw new FabricError('UNAVAILABLE', 'the bus is closed');
    }
    // The topic counts the messages once appended; reserved meanwhile, so concurrent publishers wait.
    this.reserve(size);
    try {
      await topic.append(messages);
    } finally {
      this.reserve(-size);
    }
    // Appends resolve in the order they were written, so tails see the log's order.
    for (const tail of this.tails.get(kind) ?? []) feedTail(kind, tail, messages);
  }

  /** One partition: every group's one member reads every message. */
  broadcast(kind: TopicKind, messages: BusMessage[]): Promise<void> {
    return this.publish(kind, messages);
  }

  async subscribe(
    kind: TopicKind,
    group: string,
    handler: BusHandler,
    options: SubscribeOptions,
  ): Promise<Subscription> {
    const consumer = new LogConsumer(kind, await this.topic(kind), group, handler, options);
    options.onAssignment?.({ member: group, partitions: [0], partitionOf: () => 0 });
    await consumer.start();
    this.consumers.add(consumer);
    return {
      close: async () => {
        this.consumers.delete(consumer);
        await consumer.close();
      },
    };
  }

  /** Handed each publish once it is durable, from memory: no position, no file, nothing held. */
  async tail(kind: TopicKind, handler: TailHandler): Promise<Subscription> {
    if (this.closed) throw new FabricError('UNAVAILABLE', 'the bus is closed');
    const tails = this.tails.get(kind) ?? new Set<TailHandler>();
    this.tails.set(kind, tails.add(handler));
    return { close: async () => void tails.delete(handler) };
  }

  async ends(kind: TopicKind): Promise<Positions> {
    return new Map([[0, (await this.topic(kind)).writtenEnd]]);
  }

  async committed(kind: TopicKind, group: string): Promise<Positions> {
    return new Map([[0, (await this.topic(kind)).committed(group)]]);
  }

  /** Lets each consumer finish its delivery and the appends under way reach the disk. */
  async close(): Promise<void> {
    this.closed = true;
    this.tails.clear();
    for (const wake of this.waiters.splice(0)) wake();
    await Promise.all([...this.consumers].map((c) => c.close()));
    this.consumers.clear();
    const topics = await Promise.allSettled(this.topics.values());
    for (const t of topics) if (t.status === 'fulfilled') await t.value.close();
  }

  private topic(kind: TopicKind): Promise<TopicLog> {
    let topic = this.topics.get(kind);
    if (!topic) {
      const name = topicName(kind);
      topic = TopicLog.open(join(this.options.dir, name), name, this.segmentBytes, (n) => this.reserve(n));
      this.topics.set(kind, topic);
      void topic.then((t) => this.opened.push(t)).catch(() => undefined);
    }
    return topic;
  }

  /**
   * A group known from its offset file but not subscribed in this process (a service not started,
   * or one removed) holds publishers back for good: named, so its offset file can be deleted.
   */
  private filledUp(): void {
    this.full = true;
    const absent = this.opened.flatMap((t) => t.absentGroups().map((g) => `${t.topic}/${g}`));
    if (absent.length === 0) return;
    log.warn(
      { bytes: this.used, maxBytes: this.options.maxBytes, absent },
      'bus full, held by groups not reading in this process: delete their .offset files if they are gone',
    );
  }

  private reserve(bytes: number): void {
    this.used += bytes;
    usedBytes.set(this.used);
    if (this.used < this.options.maxBytes) this.full = false;
    while (this.waiters.length > 0 && this.used < this.options.maxBytes) this.waiters.shift()!();
  }
}

/** A tail that throws is a fault of its own: logged, never the publisher's failure. */
function feedTail(kind: TopicKind, tail: TailHandler, messages: BusMessage[]): void {
  try {
    tail(messages);
  } catch (err) {
    log.error({ topic: kind, err: errorMessage(err) }, 'bus tail failed on a publish');
  }
}
