import { setMaxListeners } from 'node:events';
import pRetry from 'p-retry';
import { errorMessage } from '../../common/errors.js';
import { logger, rateLimited } from '../../common/log.js';
import { notifyMetrics } from './metrics.js';
import type { Delivery, Outbox, Settled } from './outbox.js';

const log = logger('alarms');
const limited = rateLimited(log);

/** Where deliveries of one receiver go: one attempt at a time per slot. */
export interface Channel {
  /** The receiver as the outbox names it. */
  name: string;
  /** Attempts in flight at most. */
  concurrency: number;
  /** One attempt: resolves once the receiver accepted it. */
  send(delivery: Delivery, signal: AbortSignal): Promise<void>;
}

export interface RetryOptions {
  /** The first retry's delay; each next one doubles, up to `maxMs`, each randomised ×1–2 (jitter). */
  minMs: number;
  maxMs: number;
  /** A delivery still failing this long after its transition is dead. */
  deadAfterMs: number;
}

/**
 * How often settled deliveries are written to the outbox, in one insert: less often costs the
 * warehouse less, and a crash resends at most this long's deliveries (same keys).
 */
const SETTLE_EVERY_MS = 1000;

class DeadError extends Error {}

interface Queue {
  channel: Channel;
  waiting: Delivery[];
  active: number;
}

/**
 * Sends each delivery to its receiver until accepted or dead, then records the outcome in the outbox.
 * Each receiver has its own queue and slots, so one that fails or hangs delays only its own
 * deliveries; each attempt has the receiver's timeout. Order is not kept beyond one slot: events
 * carry their time. Closing abandons the attempts under way; their deliveries stay pending in the
 * outbox and the next start sends them again (same idempotency key).
 */
export class Dispatcher {
  private readonly queues = new Map<string, Queue>();
  /** Deliveries queued or in flight, by id: the same one enqueued twice (a step retried) is sent once. */
  private readonly held = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private settled: Settled[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();

  constructor(
    channels: readonly Channel[],
    private readonly outbox: Pick<Outbox, 'settle'>,
    private readonly retry: RetryOptions,
  ) {
    // Every attempt in flight listens to this one signal: as many as the receivers' slots allow.
    setMaxListeners(0, this.abort.signal);
    for (const channel of channels) this.queues.set(channel.name, { channel, waiting: [], active: 0 });
  }

  /** Queues the deliveries; one for a receiver not configured stays pending (counted and logged). */
  enqueue(deliveries: readonly Delivery[]): void {
    for (const delivery of deliveries) {
      const queue = this.queues.get(delivery.receiver);
      if (!queue) {
        notifyMetrics.unrouted.inc({ receiver: delivery.receiver });
        limited.warn(
          `unrouted ${delivery.receiver}`,
          { receiver: delivery.receiver },
          'pending alarm notifications for a receiver no longer configured: left pending',
        );
        continue;
      }
      if (this.held.has(delivery.id) || this.abort.signal.aborted) continue;
      this.held.add(delivery.id);
      queue.waiting.push(delivery);
      notifyMetrics.queued.inc({ receiver: queue.channel.name });
      this.pump(queue);
    }
  }

  async close(): Promise<void> {
    this.abort.abort(new Error('closing'));
    await Promise.all(this.running);
    clearTimeout(this.flushTimer);
    await this.flush();
  }

  private pump(queue: Queue): void {
    if (this.abort.signal.aborted) return;
    while (queue.active < queue.channel.concurrency && queue.waiting.length > 0) {
      const delivery = queue.waiting.shift()!;
      queue.active += 1;
      const run = this.deliver(queue.channel, delivery).finally(() => {
        queue.active -= 1;
        this.running.delete(run);
        this.pump(queue);
      });
      this.running.add(run);
    }
  }

  private async deliver(channel: Channel, delivery: Delivery): Promise<void> {
    if (delivery.transient) return this.sendOnce(channel, delivery);
    const labels = { receiver: channel.name };
    const signal = this.abort.signal;
    let attempts = 0;
    let retrying = false;
    const markRetrying = (on: boolean): void => {
      if (on !== retrying) notifyMetrics.retrying.inc(labels, on ? 1 : -1);
      retrying = on;
    };
    try {
      await pRetry(
        async () => {
          attempts += 1;
          markRetrying(false);
          const stop = notifyMetrics.attemptSeconds.startTimer(labels);
          try {
            await channel.send(delivery, signal);
          } finally {
            stop();
          }
        },
        {
          retries: 10,
          forever: true,
          factor: 2,
          minTimeout: this.retry.minMs,
          maxTimeout: this.retry.maxMs,
          randomize: true,
          signal,
          onFailedAttempt: (err) => {
            notifyMetrics.failed.inc(labels);
            if (signal.aborted) throw err;
            if (Date.now() - delivery.created >= this.retry.deadAfterMs) throw new DeadError(err.message);
            markRetrying(true);
            limited.warn(
              channel.name,
              { receiver: channel.name, id: delivery.id, attempt: attempts, err: err.message },
              'alarm notification attempt failed: retrying',
            );
          },
        },
      );
      notifyMetrics.delivered.inc(labels);
      notifyMetrics.delaySeconds.observe(labels, (Date.now() - delivery.created) / 1000);
      this.settle({ delivery, state: 'delivered', attempts, at: Date.now() });
    } catch (err) {
      if (signal.aborted) return;
      notifyMetrics.dead.inc(labels);
      log.error(
        { receiver: channel.name, id: delivery.id, attempts, err: errorMessage(err) },
        'alarm notification dead: given up after --alarm-delivery-dead-after',
      );
      this.settle({ delivery, state: 'dead', attempts, at: Date.now() });
    } finally {
      markRetrying(false);
      notifyMetrics.queued.dec(labels);
      this.held.delete(delivery.id);
    }
  }

  /** One attempt, counted and logged: the next resend is the retry. */
  private async sendOnce(channel: Channel, delivery: Delivery): Promise<void> {
    const labels = { receiver: channel.name };
    try {
      await channel.send(delivery, this.abort.signal);
      notifyMetrics.resent.inc({ ...labels, outcome: 'sent' });
    } catch (err) {
      notifyMetrics.resent.inc({ ...labels, outcome: 'failed' });
      limited.warn(
        `resend ${channel.name}`,
        { receiver: channel.name, err: errorMessage(err) },
        'could not send the active alarms again',
      );
    } finally {
      notifyMetrics.queued.dec(labels);
      this.held.delete(delivery.id);
    }
  }

  private settle(outcome: Settled): void {
    this.settled.push(outcome);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, SETTLE_EVERY_MS);
  }

  /**
   * Writes the outcomes so far; a failed write keeps them for the next. Until written, a restart
   * sends them again: at-least-once, the receiver drops the repeat by its key.
   */
  private async flush(): Promise<void> {
    await this.flushing;
    const batch = this.settled;
    this.settled = [];
    this.flushing = this.outbox.settle(batch).catch((err: unknown) => {
      this.settled.unshift(...batch);
      limited.warn('settle', { err: errorMessage(err) }, 'could not record alarm notifications settled');
      if (!this.abort.signal.aborted) this.scheduleFlush();
    });
    await this.flushing;
  }
}
