import {
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type KafkaMessage,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { FabricError, errorMessage } from '../errors.js';
import { logger } from '../log.js';
import { counter, gauge } from '../metrics.js';
import {
  busRedeliveries,
  topicKinds,
  topicName,
  type Bus,
  type Assignment,
  type BusHandler,
  type Settling,
  type BusMessage,
  type Positions,
  type SubscribeOptions,
  type Subscription,
  type TailHandler,
  type TopicKind,
} from './bus.js';
import { compressionType, type KafkaCompression } from './kafka-codecs.js';
import { ProduceQueue, type OutgoingMessage } from './kafka-produce-queue.js';
import { startKafkaTail, toBusMessage } from './kafka-tail.js';
import { withTimeout } from './timeout.js';

const log = logger('bus');

const published = counter('fabricscope_bus_published_messages_total', 'Messages acknowledged by Kafka', [
  'topic',
]);
const publishFailures = counter(
  'fabricscope_bus_publish_failures_total',
  'Publishes Kafka did not acknowledge in time (the sender is told to resend)',
  ['topic'],
);
const consumerLag = gauge(
  'fabricscope_bus_consumer_lag_messages',
  'Messages on the topic not yet committed by the consumer group',
  ['topic', 'group'],
);

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /** Partitions of each topic created at start (existing topics are left as they are). */
  partitions: number;
  replicationFactor: number;
  /** Largest record batch a topic accepts (topic `max.message.bytes`); 16 MiB unless set. */
  maxMessageBytes?: number;
  /** A publish not acknowledged within this time rejects with UNAVAILABLE; 30 s unless set. */
  publishTimeoutMs?: number;
  /** How often consumer lag is measured; 5 s unless set. */
  lagIntervalMs?: number;
  /** Consumer group session: how long a dead member keeps its partitions; 10 s unless set. */
  sessionTimeoutMs?: number;
  /** Codec of produced batches; zstd unless set (consumers read zstd and gzip whatever this is). */
  compression?: KafkaCompression;
}

/** A memoised async resource that is made again after a failure instead of caching the rejection. */
class Lazy<T> {
  private value: Promise<T> | undefined;

  constructor(private readonly make: () => Promise<T>) {}

  get(): Promise<T> {
    if (this.value) return this.value;
    const made = this.make();
    this.value = made;
    made.catch(() => this.forget(made));
    return made;
  }

  peek(): Promise<T> | undefined {
    return this.value;
  }

  /** Drops the value if it is still `stale`; says whether it did. */
  forget(stale: Promise<T>): boolean {
    if (this.value !== stale) return false;
    this.value = undefined;
    return true;
  }
}

/** kafkajs levels → pino levels, with retried per-request failures demoted so outages do not flood. */
function pinoLevel(entry: LogEntry): 'error' | 'warn' | 'info' | 'debug' {
  const { level, namespace, log: content } = entry;
  // We reset the producer after any failed request (see KafkaBus.resetProducer), so bounded retries are safe.
  if (String(content.message).startsWith('Limiting retries for the idempotent producer')) return 'debug';
  // One line per failed request or connect attempt; the outcome (publish failed, consumer crashed,
  // restarted) is logged once by the caller, so these would only flood the log during an outage.
  if (level === logLevel.ERROR && namespace === 'Connection') return 'debug';
  if (level === logLevel.ERROR) return namespace === 'BrokerPool' ? 'warn' : 'error';
  if (level === logLevel.WARN) return 'warn';
  if (level === logLevel.INFO) return 'info';
  return 'debug';
}

function kafkaLogCreator(): (entry: LogEntry) => void {
  const kafkaLog = log.child({ lib: 'kafkajs' });
  return (entry) => {
    // pino stamps its own time; kafkajs's timestamp would only duplicate it.
    const { message, ...extra } = entry.log as Record<string, unknown>;
    delete extra.timestamp;
    kafkaLog[pinoLevel(entry)]({ namespace: entry.namespace, ...extra }, String(message));
  };
}

/** Splits a fetched batch into deliveries of about maxBytes (a larger single message goes alone). */
function chunks(messages: KafkaMessage[], maxBytes: number): KafkaMessage[][] {
  const out: KafkaMessage[][] = [];
  let current: KafkaMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = (m.value?.length ?? 0) + (m.key?.length ?? 0);
    if (current.length > 0 && bytes + size > maxBytes) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * One consumer group member for one topic. Offsets are committed only after the handler resolved,
 * chunk by chunk, so a crash or rebalance redelivers at most the chunk in progress (at least once;
 * the writer drops resent batches by id). A failing handler is retried here, in place, with backoff
 * and heartbeats: throwing into kafkajs instead would end in its retry budget and a consumer crash.
 */
class KafkaSubscription implements Subscription {
  private consumer: Consumer | undefined;
  private closed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly kafka: Kafka,
    readonly kind: TopicKind,
    readonly group: string,
    private readonly handler: BusHandler,
    private readonly options: SubscribeOptions,
    private readonly sessionTimeoutMs: number,
    private readonly partitionOf: Assignment['partitionOf'],
  ) {}

  async start(): Promise<void> {
    const consumer = this.makeConsumer();
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.restartLater(consumer, payload.error);
    });
    // Emitted once the group is synced, before the first fetch from the partitions it hands out.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.options.onAssignment?.({
        member: payload.memberId,
        partitions: payload.memberAssignment[topicName(this.kind)] ?? [],
        partitionOf: this.partitionOf,
      });
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topicName(this.kind)], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    this.consumer = consumer;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    this.wake?.();
    await this.consumer?.disconnect();
  }

  private makeConsumer(): Consumer {
    const { maxBytes, lingerMs } = this.options;
    return this.kafka.consumer({
      groupId: this.group,
      // The broker holds a fetch until maxBytes are there or the wait is over: the linger, server side.
      minBytes: maxBytes,
      maxBytes,
      maxBytesPerPartition: maxBytes,
      maxWaitTimeInMs: Math.max(lingerMs, 10),
      // A dead member (kill -9) holds its partitions until its session expires: keep that short.
      // Slow handlers stay members thanks to withHeartbeats.
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: Math.min(1000, this.sessionTimeoutMs / 3),
      allowAutoTopicCreation: false,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000, restartOnFailure: async () => true },
    });
  }

  /** kafkajs gives up on errors it deems fatal; we do not, so a broker outage never ends consumption. */
  private restartLater(crashed: Consumer, error: Error): void {
    if (this.closed) return;
    log.error(
      { topic: this.kind, group: this.group, err: errorMessage(error) },
      'consumer crashed; restarting',
    );
    this.restartTimer = setTimeout(() => void this.restart(crashed), 5000);
  }

  private async restart(crashed: Consumer): Promise<void> {
    await crashed.disconnect().catch(() => undefined);
    if (this.closed) return;
    try {
      await this.start();
    } catch (err) {
      this.restartLater(crashed, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Delivers the batch chunk by chunk, each as soon as the handler is done with the one before; a
   * chunk is committed once its handler's write (if it left one under way) is done, in order, and all
   * are before the batch returns: a rebalance waits for that, so no new owner reads a partition whose
   * writes are still under way here.
   */
  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    let committed: Promise<boolean> = Promise.resolve(true);
    for (const chunk of chunks(batch.messages, this.options.maxBytes)) {
      if (!this.current(payload)) break;
      const delivered = await this.deliver(chunk.map(toBusMessage), payload);
      if (!delivered) break;
      committed = this.commitAfter(committed, payload, chunk[chunk.length - 1]!.offset, delivered.settled);
      // Awaited below: marked handled so that a failed commit is not taken for an unhandled rejection.
      committed.catch(() => undefined);
    }
    await this.withHeartbeats(payload, async () => void (await committed));
  }

  /** Commits up to `offset` after the commits before it, once `settled`; false from a failed write on. */
  private commitAfter(
    before: Promise<boolean>,
    payload: EachBatchPayload,
    offset: string,
    settled: Promise<void> | undefined,
  ): Promise<boolean> {
    return before.then(async (ok) => {
      if (!ok) return false;
      try {
        await settled;
      } catch (err) {
        log.warn(
          { topic: this.kind, group: this.group, err: errorMessage(err) },
          'a delivery was not settled: it is read again from there by the next member',
        );
        return false;
      }
      payload.resolveOffset(offset);
      await payload.commitOffsetsIfNecessary(payload.uncommittedOffsets());
      return true;
    });
  }

  /** Still ours to process: not closing, and no seek or rebalance has overtaken this batch. */
  private current(payload: EachBatchPayload): boolean {
    return !this.closed && payload.isRunning() && !payload.isStale();
  }

  /**
   * Calls the handler until it succeeds, and answers what the delivery still waits for; false when we
   * must stop first (nothing is committed then).
   */
  private async deliver(
    messages: BusMessage[],
    payload: EachBatchPayload,
  ): Promise<Partial<Settling> | false> {
    let backoff = 100;
    for (;;) {
      try {
        let settling: Settling | void = undefined;
        await this.withHeartbeats(payload, async () => {
          settling = await this.handler(messages, { partition: payload.batch.partition });
        });
        return settling ?? {};
      } catch (err) {
        busRedeliveries.inc({ topic: this.kind });
        log.warn(
          { topic: this.kind, group: this.group, err: errorMessage(err), retryInMs: backoff },
          'consumer failed a delivery',
        );
      }
      await this.pause(backoff);
      backoff = Math.min(backoff * 2, 5000);
      if (!this.current(payload)) return false;
      // Throws when the group rebalances: kafkajs rejoins and the new owner gets these messages again.
      await payload.heartbeat();
    }
  }

  /** Keeps the group membership alive while a slow handler (a big warehouse insert) runs. */
  private async withHeartbeats(payload: EachBatchPayload, work: () => Promise<void>): Promise<void> {
    const beat = (): void => {
      payload.heartbeat().catch((err: unknown) => log.debug({ err: errorMessage(err) }, 'heartbeat failed'));
    };
    const timer = setInterval(beat, Math.min(1000, this.sessionTimeoutMs / 3));
    try {
      await work();
    } finally {
      clearInterval(timer);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * The bus on Kafka (kafkajs). A publish resolves once every in-sync replica has the messages
 * (acks -1) and rejects with UNAVAILABLE within publishTimeoutMs otherwise, so the collector holds
 * its senders back instead of buffering while the broker is away. Publishes made while a request is
 * in flight go together in the next one (ProduceQueue).
 */
export class KafkaBus implements Bus {
  private readonly kafka: Kafka;
  private readonly admin: Lazy<Admin>;
  private readonly producer: Lazy<Producer>;
  private readonly produceQueue: ProduceQueue<Producer>;
  private readonly ready: Lazy<void>;
  private readonly subscriptions = new Set<KafkaSubscription>();
  private readonly tails = new Set<Subscription>();
  private readonly lagTimer: NodeJS.Timeout;
  private measuring = false;

  constructor(private readonly options: KafkaBusOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: 3000,
      requestTimeout: 30_000,
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 },
      logLevel: logLevel.INFO,
      logCreator: kafkaLogCreator,
    });
    this.admin = new Lazy(() => this.connectAdmin());
    this.producer = new Lazy(() => this.connectProducer());
    this.ready = new Lazy(() => this.createTopics());
    this.produceQueue = new ProduceQueue({
      producers: {
        get: () => this.producer.get(),
        reset: (failed) => this.resetProducer(failed),
      },
      // A request holds no more than a topic's largest record batch, so no partition's batch exceeds it.
      maxRequestBytes: this.maxMessageBytes(),
      timeoutMs: options.publishTimeoutMs ?? 30_000,
      compression: compressionType[options.compression ?? 'zstd'],
    });
    this.lagTimer = setInterval(() => void this.measureLag(), options.lagIntervalMs ?? 5000).unref();
  }

  /** Creates the missing topics; publish and subscribe call it too, so calling it is optional. */
  start(): Promise<void> {
    return this.ready.get();
  }

  publish(kind: TopicKind, messages: BusMessage[]): Promise<void> {
    return this.publishTo(kind, messages);
  }

  /** Sent with an explicit partition each: the key no longer chooses one. */
  async broadcast(kind: TopicKind, messages: BusMessage[]): Promise<void> {
    const count = await this.partitionCount(kind);
    const partitions = Array.from({ length: count }, (_, partition) => partition);
    await this.publishTo(
      kind,
      messages.flatMap((m) => partitions.map((partition) => ({ ...m, partition }))),
    );
  }

  private async publishTo(kind: TopicKind, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      await this.produceQueue.publish(topicName(kind), messages);
      published.inc({ topic: kind }, messages.length);
    } catch (err) {
      publishFailures.inc({ topic: kind });
      throw new FabricError('UNAVAILABLE', `kafka publish to ${topicName(kind)}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  async subscribe(
    kind: TopicKind,
    group: string,
    handler: BusHandler,
    options: SubscribeOptions,
  ): Promise<Subscription> {
    await this.start();
    const sessionTimeoutMs = this.options.sessionTimeoutMs ?? 10_000;
    // Partitions added to a topic later move keys to others: a consumer keeping state per key would
    // then share keys with another member (ARCHITECTURE.md says not to add any to the alarms topic).
    const partitionOf = keyPartitioner(kind, await this.partitionCount(kind));
    const subscription = new KafkaSubscription(
      this.kafka,
      kind,
      group,
      handler,
      options,
      sessionTimeoutMs,
      partitionOf,
    );
    await subscription.start();
    this.subscriptions.add(subscription);
    return {
      close: async () => {
        this.subscriptions.delete(subscription);
        await subscription.close();
      },
    };
  }

  async tail(kind: TopicKind, handler: TailHandler): Promise<Subscription> {
    const tail = await startKafkaTail(
      this.kafka,
      this.options.clientId,
      kind,
      handler,
      await this.ends(kind),
    );
    this.tails.add(tail);
    return {
      close: async () => {
        this.tails.delete(tail);
        await tail.close();
      },
    };
  }

  async ends(kind: TopicKind): Promise<Positions> {
    await this.start();
    const admin = await this.admin.get();
    const offsets = await admin.fetchTopicOffsets(topicName(kind));
    return new Map(offsets.map((p) => [p.partition, Number(p.high)]));
  }

  /** A partition the group never committed in is read from its start (fromBeginning): its low watermark. */
  async committed(kind: TopicKind, group: string): Promise<Positions> {
    await this.start();
    const admin = await this.admin.get();
    const topic = topicName(kind);
    const [committed, bounds] = await Promise.all([
      admin.fetchOffsets({ groupId: group, topics: [topic] }),
      admin.fetchTopicOffsets(topic),
    ]);
    const done = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
    return new Map(
      bounds.map((p) => {
        const at = done.get(p.partition) ?? -1;
        return [p.partition, at < 0 ? Number(p.low) : at];
      }),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.lagTimer);
    this.produceQueue.close();
    const subscriptions = [...this.subscriptions, ...this.tails];
    this.subscriptions.clear();
    this.tails.clear();
    await Promise.allSettled(subscriptions.map((s) => s.close()));
    await Promise.allSettled([this.producer, this.admin].map((lazy) => disconnect(lazy.peek())));
  }

  /**
   * After a failed send its outcome is unknown, and kafkajs has rolled back its sequence numbers: the
   * next batch would reuse them and the broker would drop it as a duplicate. A new producer gets a new
   * producer id, so nothing is ever dropped; the batch the sender resends may land twice, which the
   * writer removes by batch id.
   */
  private resetProducer(failed: Promise<Producer>): void {
    if (this.producer.forget(failed)) void disconnect(failed);
  }

  private async partitionCount(kind: TopicKind): Promise<number> {
    const admin = await this.admin.get();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topicName(kind)] });
    return topics[0]?.partitions.length ?? 0;
  }

  /** The topics are made first, so that a publish never waits on a topic still missing. */
  private async connectProducer(): Promise<Producer> {
    await this.start();
    const producer = this.kafka.producer({
      idempotent: true,
      // kafkajs requires one request in flight per broker for idempotence (ordering of sequences).
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      // Bounded, so a publish fails while the broker is down (the total is also capped by publishTimeoutMs).
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 3000 },
    });
    await producer.connect();
    return producer;
  }

  private async connectAdmin(): Promise<Admin> {
    const admin = this.kafka.admin();
    await admin.connect();
    return admin;
  }

  private async createTopics(): Promise<void> {
    const admin = await this.admin.get();
    const existing = new Set(await admin.listTopics());
    const missing = topicKinds.map(topicName).filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    const { partitions, replicationFactor } = this.options;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor,
        configEntries: this.topicConfig(),
      })),
    });
    log.info({ topics: missing, partitions, replicationFactor }, 'created kafka topics');
  }

  private maxMessageBytes(): number {
    return this.options.maxMessageBytes ?? 16 * 1024 * 1024;
  }

  /** acks -1 waits for the in-sync replicas; requiring all but one of them keeps one broker's loss writable. */
  private topicConfig(): { name: string; value: string }[] {
    const { replicationFactor } = this.options;
    return [
      { name: 'max.message.bytes', value: String(this.maxMessageBytes()) },
      { name: 'min.insync.replicas', value: String(Math.max(1, replicationFactor - 1)) },
    ];
  }

  private async measureLag(): Promise<void> {
    if (this.measuring || this.subscriptions.size === 0) return;
    this.measuring = true;
    try {
      const admin = await withTimeout(this.admin.get(), 10_000, 'kafka admin connect');
      const seen = new Set<string>();
      for (const s of this.subscriptions) {
        const key = `${s.group}\0${s.kind}`;
        if (seen.has(key)) continue;
        seen.add(key);
        consumerLag.set({ topic: topicName(s.kind), group: s.group }, await groupLag(admin, s.group, s.kind));
      }
    } catch (err) {
      log.debug({ err: errorMessage(err) }, 'could not measure consumer lag');
      // A fresh admin client next time, in case this one is stuck on a broker that went away.
      const stale = this.admin.peek();
      if (stale && this.admin.forget(stale)) void disconnect(stale);
    } finally {
      this.measuring = false;
    }
  }
}

/** The partition Kafka's default partitioner (the producer's) gives a key, over `count` partitions. */
export function keyPartitioner(kind: TopicKind, count: number): (key: string) => number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
    offlineReplicas: [],
  }));
  const topic = topicName(kind);
  return (key) => partitioner({ topic, partitionMetadata, message: { key, value: null } });
}

/** High watermark minus committed offset, summed over partitions (all of it when nothing is committed). */
async function groupLag(admin: Admin, group: string, kind: TopicKind): Promise<number> {
  const topic = topicName(kind);
  const [committed, ends] = await Promise.all([
    admin.fetchOffsets({ groupId: group, topics: [topic] }),
    admin.fetchTopicOffsets(topic),
  ]);
  const byPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
  let lag = 0;
  for (const end of ends) {
    const done = byPartition.get(end.partition) ?? -1;
    lag += Number(end.high) - (done < 0 ? Number(end.low) : done);
  }
  return lag;
}

async function disconnect(client: Promise<{ disconnect(): Promise<void> }> | undefined): Promise<void> {
  if (!client) return;
  try {
    await (await client).disconnect();
  } catch {
    // Never connected, or already gone: nothing to release.
  }
}
