import { errorMessage } from '../errors.js';
import { logger } from '../log.js';
import { counter, gauge } from '../metrics.js';
import type { Bus, BusHandler, BusMessage, SubscribeOptions, Subscription, TopicKind } from './bus.js';

const log = logger('bus');
const usedBytes = gauge(
  'fabricscope_bus_buffered_bytes',
  'Bytes published and not yet committed by every consumer',
);
const redeliveries = counter(
  'fabricscope_bus_redeliveries_total',
  'Deliveries retried because a consumer failed them',
  ['topic'],
);

/** A published message; it is durable (its publisher released) once every group has committed it. */
interface Entry {
  message: BusMessage;
  size: number;
  pending: number;
  done: () => void;
}

class Group {
  readonly queue: Entry[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly stopped: Promise<void>;

  constructor(
    readonly kind: TopicKind,
    private readonly handler: BusHandler,
    private readonly options: SubscribeOptions,
    private readonly commit: (entries: Entry[]) => void,
  ) {
    this.stopped = this.run();
  }

  push(entry: Entry): void {
    this.queue.push(entry);
    this.notify();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.notify();
    await this.stopped;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private sleep(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private queuedBytes(): number {
    let bytes = 0;
    for (const e of this.queue) bytes += e.size;
    return bytes;
  }

  private take(): Entry[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.size <= this.options.maxBytes)) {
      bytes += this.queue[n]!.size;
      n++;
    }
    return this.queue.slice(0, n);
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (!this.closed) {
      if (this.queue.length === 0) await this.sleep();
      if (this.closed) break;
      const deadline = Date.now() + this.options.lingerMs;
      while (!this.closed && this.queuedBytes() < this.options.maxBytes && Date.now() < deadline) {
        await this.sleep(deadline - Date.now());
      }
      const batch = this.take();
      try {
        await this.handler(batch.map((e) => e.message));
        this.queue.splice(0, batch.length);
        this.commit(batch);
        backoff = 100;
      } catch (err) {
        // Kept and delivered again: nothing published is dropped, and publishers stay held back.
        redeliveries.inc({ topic: this.kind });
        log.warn(
          { topic: this.kind, err: errorMessage(err), retryInMs: backoff },
          'consumer failed a delivery',
        );
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}

/**
 * The embedded bus: bounded by bytes, publishers wait while it is full, and a publish resolves only
 * once every consumer group has committed the messages (for the writer: stored in the warehouse).
 */
export class MemoryBus implements Bus {
  private readonly groups = new Map<TopicKind, Group[]>();
  private readonly parked = new Map<TopicKind, Entry[]>();
  private used = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly maxBytes: number) {}

  async publish(kind: TopicKind, messages: BusMessage[]): Promise<void> {
    const size = messages.reduce((n, m) => n + m.value.length + m.key.length, 0);
    while (this.used > 0 && this.used + size > this.maxBytes) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.reserve(size);
    await Promise.all(messages.map((message) => this.deliver(kind, message)));
  }

  async subscribe(
    kind: TopicKind,
    _group: string,
    handler: BusHandler,
    options: SubscribeOptions,
  ): Promise<Subscription> {
    const group = new Group(kind, handler, options, (entries) => this.commit(entries));
    this.groups.set(kind, [...(this.groups.get(kind) ?? []), group]);
    for (const entry of this.parked.get(kind) ?? []) {
      entry.pending = 1;
      group.push(entry);
    }
    this.parked.delete(kind);
    return {
      close: async () => {
        this.groups.set(
          kind,
          (this.groups.get(kind) ?? []).filter((g) => g !== group),
        );
        await group.close();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.groups.values()].flat().map((g) => g.close()));
    this.groups.clear();
  }

  private deliver(kind: TopicKind, message: BusMessage): Promise<void> {
    return new Promise((done) => {
      const size = message.value.length + message.key.length;
      const groups = this.groups.get(kind) ?? [];
      const entry: Entry = { message, size, pending: groups.length, done };
      // With no consumer yet the message waits for one: nothing published is ever dropped.
      if (groups.length === 0) this.parked.set(kind, [...(this.parked.get(kind) ?? []), entry]);
      for (const g of groups) g.push(entry);
    });
  }

  private reserve(size: number): void {
    this.used += size;
    usedBytes.set(this.used);
  }

  private commit(entries: Entry[]): void {
    for (const entry of entries) {
      if (--entry.pending > 0) continue;
      this.reserve(-entry.size);
      entry.done();
    }
    while (this.waiters.length > 0 && this.used < this.maxBytes) this.waiters.shift()!();
  }
}
