import { counter } from '../metrics.js';
import type { BusPayloadKind } from '../proto.js';

/** The bus between the collector and its consumers (writer, alarms): Kafka or in-process. */
export const topicKinds = ['uves', 'flows', 'routes', 'ifstats', 'generators', 'alarms'] as const;
export type TopicKind = (typeof topicKinds)[number];

/** The topic each BusBatch payload travels on. */
export const topicOf: Record<BusPayloadKind, TopicKind> = {
  uves: 'uves',
  flows: 'flows',
  routes: 'routes',
  interface_stats: 'ifstats',
  generator_events: 'generators',
};

/** Versioned topic names, so old and new run side by side during upgrades. */
export const topicName = (kind: TopicKind): string => `fabricscope.${kind}.v1`;

/** The consumer group the writer reads a topic in: a consumer that follows the writer names it here. */
export const writerGroup = (kind: TopicKind): string => `writer-${kind}`;

export interface BusMessage {
  key: string;
  value: Buffer;
}

/** Where a delivery comes from: its messages are consecutive messages of one partition. */
export interface Delivery {
  partition: number;
}

/**
 * Resolving commits the delivered messages; rejecting has them delivered again. A handler whose work
 * on a delivery is done but for a write under way may resolve with `Settling` instead: the bus hands
 * it the next delivery at once and commits this one when the write is done, in order.
 */
export type BusHandler = (messages: BusMessage[], delivery: Delivery) => Promise<void | Settling>;

/**
 * What a delivery still waits for before it is committed. `settled` must not reject but when the
 * consumer is closing: the deliveries from that one on are then not committed, and the next member of
 * the group reads them again.
 */
export interface Settling {
  settled: Promise<void>;
}

/**
 * The partitions of a topic a group member reads. Kafka hands them out (and moves them when members
 * come and go); the local log has one partition, always its one member's.
 */
export interface Assignment {
  /** Changes when the member is a new one to the group: what it held before may have moved meanwhile. */
  member: string;
  partitions: number[];
  /** The partition a message with this key is published to. */
  partitionOf(key: string): number;
}

/** Per partition, an offset: where a group stands, or where a topic ends. */
export type Positions = ReadonlyMap<number, number>;

export interface SubscribeOptions {
  /** Deliver about this many bytes at once (a single larger message is delivered alone). */
  maxBytes: number;
  /** Wait this long for more messages before delivering a partial batch. */
  lingerMs: number;
  /**
   * Told the member's partitions at start and whenever they change, before any delivery from a
   * partition newly its own: a consumer keeping state per key follows it with this.
   */
  onAssignment?: (assignment: Assignment) => void;
}

export interface Subscription {
  close(): Promise<void>;
}

/**
 * Takes the messages a tail follows, as they are published. It must return at once (hand them on,
 * never wait): the bus does not wait for a tail, and a tail never holds a publisher back.
 */
export type TailHandler = (messages: BusMessage[]) => void;

export interface Bus {
  /** Resolves once the messages are durable on the bus; waits while the bus is full (backpressure). */
  publish(kind: TopicKind, messages: BusMessage[]): Promise<void>;
  /** Publishes each message to every partition of the topic: every member of a group reads it. */
  broadcast(kind: TopicKind, messages: BusMessage[]): Promise<void>;
  subscribe(
    kind: TopicKind,
    group: string,
    handler: BusHandler,
    options: SubscribeOptions,
  ): Promise<Subscription>;
  /**
   * Follows the topic from its end, outside every consumer group: nothing is committed and nothing is
   * kept for it (a live view, such as the API's subscriptions). Messages published once it resolves
   * reach `handler`; a tail that lost its place (Kafka restarted it) goes on from the end again.
   */
  tail(kind: TopicKind, handler: TailHandler): Promise<Subscription>;
  /** Where the topic ends now: the offset the next message of each partition will take. */
  ends(kind: TopicKind): Promise<Positions>;
  /** Where the group stands: the offset of the next message it reads, per partition. */
  committed(kind: TopicKind, group: string): Promise<Positions>;
  close(): Promise<void>;
}

/** Deliveries a consumer failed and gets again, on either bus. */
export const busRedeliveries = counter(
  'fabricscope_bus_redeliveries_total',
  'Deliveries retried because a consumer failed them',
  ['topic'],
);
