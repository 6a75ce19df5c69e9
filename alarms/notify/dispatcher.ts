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

/** Why a delivery was given up: too old to retry, or its receiver disabled or deleted. */
type DeadReason = 'expired' | 'disabled';

interface Queue {
  channel: Channel;
  waiting: Delivery[];
  active: number;
  /** Aborted when the receiver is disabled or deleted: its attempts stop, its deliveries are given up. */
  off: AbortController;
}

/**
 * Sends each delivery to its receiver until accepted or dead, then records the outcome in the outbox.
 * Each receiver has its own queue and slots, so one that fails or hangs delays only its own
 * deliveries; each attempt has the receiver's timeout. Order is not kept beyond one slot: events
 * carry their time. Closing abandons the attempts under way; their deliveries stay pending in the
 * outbox and the next start sends them again (same idempotency key). The receivers change at run
 * time (useChannels): a receiver disabled or deleted has its deliveries given up, dead.
 */
export class Dispatcher {
  private readonly queues = new Map<string, Queue>();
  /** Receivers disabled or deleted: a delivery for one is dead at once. */
  private refused = new Set<string>();
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
    this.useChannels(channels, []);
  }

  /**
   * The receivers from now on. A channel of a name already queued takes over its deliveries (their
   * next attempts are made with it: a new URL, secret or concurrency). Each name of `refused` (a
   * receiver disabled or deleted) is stopped: its attempts in flight abandoned and every delivery it
   * holds, or is given later, dead (reason `disabled`, counted and logged), so that it is sent nothing
   * and, enabled again, resumes with new notifications only (never a raise whose clear it missed).
   * A queued name in neither list keeps its channel.
   */
  useChannels(channels: readonly Channel[], refused: readonly string[]): void {
    this.refused = new Set(refused);
    for (const name of this.refused) {
      const queue = this.queues.get(name);
      if (queue) this.stop(queue);
    }
    for (const channel of channels) {
      this.refused.delete(channel.name);
      const queue = this.queues.get(channel.name);
      if (!queue) {
        this.queues.set(channel.name, { channel, waiting: [], active: 0, off: new AbortController() });
        continue;
      }
      queue.channel = channel;
      this.pump(queue);
    }
  }

  /** Queues the deliveries; one for a receiver not configured stays pending (counted and logged). */
  enqueue(deliveries: readonly Delivery[]): void {
    for (const delivery of deliveries) {
      if (this.held.has(delivery.id) || this.abort.signal.aborted) continue;
      const queue = this.queues.get(delivery.receiver);
      if (this.refused.has(delivery.receiver)) {
        limited.warn(
          `disabled ${delivery.receiver}`,
          { receiver: delivery.receiver, id: delivery.id },
          'alarm notification dead: its receiver is disabled or deleted',
        );
        this.held.add(delivery.id);
        notifyMetrics.queued.inc({ receiver: delivery.receiver });
        this.giveUp(delivery, 0, 'disabled');
        continue;
      }
      if (!queue) {
        notifyMetrics.unrouted.inc({ receiver: delivery.receiver });
        limited.warn(
          `unrouted ${delivery.receiver}`,
          { receiver: delivery.receiver },
          'pending alarm notifications for a receiver no longer configured: left pending',
        );
        continue;
      }
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

  /** A receiver disabled or deleted: what it waits for is dead now, what is in flight once abandoned. */
  private stop(queue: Queue): void {
    const { name } = queue.channel;
    this.queues.delete(name);
    queue.off.abort(new Error(`receiver ${name} disabled`));
    const waiting = queue.waiting.splice(0);
    for (const delivery of waiting) this.giveUp(delivery, 0, 'disabled');
    log.warn(
      { receiver: name, waiting: waiting.length, inFlight: queue.active },
      'alarm receiver disabled or deleted: the notifications it had pending are given up (dead)',
    );
  }

  private pump(queue: Queue): void {
    if (this.abort.signal.aborted || queue.off.signal.aborted) return;
    while (queue.active < queue.channel.concurrency && queue.waiting.length > 0) {
      const delivery = queue.waiting.shift()!;
      queue.active += 1;
      const run = this.deliver(queue, delivery).finally(() => {
        queue.active -= 1;
        this.running.delete(run);
        this.pump(queue);
      });
      this.running.add(run);
    }
  }

  private async deliver(queue: Queue, delivery: Delivery): Promise<void> {
    if (delivery.transient) return this.sendOnce(queue.channel, delivery);
    const labels = { receiver: queue.channel.name };
    const signal = AbortSignal.any([this.abort.signal, queue.off.signal]);
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
            // The channel of now: a receiver replaced meanwhile is tried with its new definition.
            await queue.channel.send(delivery, signal);
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
              labels.receiver,
              { receiver: labels.receiver, id: delivery.id, attempt: attempts, err: err.message },
              'alarm notification attempt failed: retrying',
            );
          },
        },
      );
      notifyMetrics.delivered.inc(labels);
      notifyMetrics.delaySeconds.observe(labels, (Date.now() - delivery.created) / 1000);
      this.settle({ delivery, state: 'delivered', attempts, at: Date.now() });
      this.release(delivery);
    } catch (err) {
      if (this.abort.signal.aborted) return this.release(delivery);
      if (queue.off.signal.aborted) return this.giveUp(delivery, attempts, 'disabled');
      log.error(
        { receiver: labels.receiver, id: delivery.id, attempts, err: errorMessage(err) },
        'alarm notification dead: given up after --alarm-delivery-dead-after',
      );
      this.giveUp(delivery, attempts, 'expired');
    } finally {
      markRetrying(false);
    }
  }

  /** A delivery no longer held: neither queued nor in flight. */
  private release(delivery: Delivery): void {
    notifyMetrics.queued.dec({ receiver: delivery.receiver });
    this.held.delete(delivery.id);
  }

  /** A delivery given up: dead in the outbox, counted with its reason. */
  private giveUp(delivery: Delivery, attempts: number, reason: DeadReason): void {
    notifyMetrics.dead.inc({ receiver: delivery.receiver, reason });
    this.settle({ delivery, state: 'dead', attempts, at: Date.now() });
    this.release(delivery);
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
