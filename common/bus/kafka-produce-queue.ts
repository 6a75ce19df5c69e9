import type { CompressionTypes, Producer, TopicMessages } from 'kafkajs';
import type { BusMessage } from './bus.js';
import { withTimeout } from './timeout.js';

/** A message to publish, to the partition its key chooses unless one is given. */
export type OutgoingMessage = BusMessage & { partition?: number };

/** The part of a kafkajs producer the queue uses. */
export type BatchProducer = Pick<Producer, 'sendBatch'>;

export interface ProducerSource<P extends BatchProducer> {
  /** The current producer, connected (and the topics made) first if there is none. */
  get(): Promise<P>;
  /** Drops `failed` if it is still the current one, so that the next `get` makes a new one. */
  reset(failed: Promise<P>): void;
}

export interface ProduceQueueOptions<P extends BatchProducer> {
  producers: ProducerSource<P>;
  /** Record bytes of one request at most (a single larger publish still goes, alone). */
  maxRequestBytes: number;
  /** A publish not acknowledged this long after it was made rejects; so does a request. */
  timeoutMs: number;
  compression: CompressionTypes;
}

/** A publish whose caller is waiting for its acknowledgement. */
interface Pending {
  topic: string;
  messages: OutgoingMessage[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

/** Kafka's framing of a record beside its key and value (length, attributes, deltas: varints), at most. */
const RECORD_OVERHEAD = 32;
/** The header of a record batch (v2). */
const RECORD_BATCH_HEADER = 61;

/** What the messages take in a record batch, uncompressed, at most. */
export const publishBytes = (messages: OutgoingMessage[]): number =>
  messages.reduce((sum, m) => sum + Buffer.byteLength(m.key) + m.value.length + RECORD_OVERHEAD, 0);

/**
 * Group commit of publishes. The idempotent producer has one request in flight per broker, so
 * publishes sent one by one would wait for each other's acks; instead, those made while a request is
 * in flight queue up and go together as the next request, one `sendBatch` across topics. Each caller
 * learns the outcome of the request that carried its messages. The queue holds only publishes whose
 * callers are waiting, each for `timeoutMs` at most: the callers bound it.
 */
export class ProduceQueue<P extends BatchProducer> {
  private readonly queue: Pending[] = [];
  private inFlight = false;
  private closed = false;

  constructor(private readonly options: ProduceQueueOptions<P>) {}

  /** Resolves once the request carrying the messages is acknowledged (acks -1). */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the Kafka bus is closed'));
    return new Promise((resolve, reject) => {
      const pending: Pending = { topic, messages, bytes: publishBytes(messages), resolve, reject };
      pending.timer = setTimeout(() => this.expire(pending), this.options.timeoutMs);
      this.queue.push(pending);
      this.sendNext();
    });
  }

  /** Rejects the publishes not yet sent and sends no more; a request in flight still settles its callers. */
  close(): void {
    this.closed = true;
    for (const pending of this.queue.splice(0)) settle(pending, new Error('the Kafka bus is closed'));
  }

  private sendNext(): void {
    if (this.inFlight || this.closed || this.queue.length === 0) return;
    this.inFlight = true;
    void this.send(this.takeGroup()).finally(() => {
      this.inFlight = false;
      this.sendNext();
    });
  }

  /** The publishes at the head of the queue whose bytes fit in one request (the first always does). */
  private takeGroup(): Pending[] {
    const room = this.options.maxRequestBytes - RECORD_BATCH_HEADER;
    let bytes = this.queue[0]!.bytes;
    let count = 1;
    while (count < this.queue.length && bytes + this.queue[count]!.bytes <= room) {
      bytes += this.queue[count]!.bytes;
      count += 1;
    }
    return this.queue.splice(0, count);
  }

  private async send(group: Pending[]): Promise<void> {
    const { producers, timeoutMs, compression } = this.options;
    const producer = producers.get();
    try {
      const request = producer.then((p) =>
        p.sendBatch({ topicMessages: topicMessages(group), acks: -1, timeout: timeoutMs, compression }),
      );
      await withTimeout(request, timeoutMs, 'kafka publish');
      for (const pending of group) settle(pending);
    } catch (err) {
      // The outcome is unknown and kafkajs rolled back the sequence numbers: see KafkaBus.resetProducer.
      producers.reset(producer);
      for (const pending of group) settle(pending, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** A caller out of time: taken out of the queue if it is still there, so it is never sent. */
  private expire(pending: Pending): void {
    const at = this.queue.indexOf(pending);
    if (at >= 0) this.queue.splice(at, 1);
    pending.reject(new Error(`kafka publish timed out after ${this.options.timeoutMs} ms`));
  }
}

function settle(pending: Pending, err?: Error): void {
  clearTimeout(pending.timer);
  if (err) pending.reject(err);
  else pending.resolve();
}

/** One entry per topic, its messages in the order they were published. */
function topicMessages(group: Pending[]): TopicMessages[] {
  const byTopic = new Map<string, OutgoingMessage[][]>();
  for (const { topic, messages } of group) {
    const publishes = byTopic.get(topic);
    if (publishes) publishes.push(messages);
    else byTopic.set(topic, [messages]);
  }
  return [...byTopic].map(([topic, publishes]) => ({
    topic,
    messages: publishes.flat().map(({ key, value, partition }) => ({ key, value, partition })),
  }));
}
