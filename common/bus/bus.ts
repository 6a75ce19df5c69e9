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

export interface BusMessage {
  key: string;
  value: Buffer;
}

/** Resolving commits the delivered messages; rejecting has them delivered again. */
export type BusHandler = (messages: BusMessage[]) => Promise<void>;

export interface SubscribeOptions {
  /** Deliver about this many bytes at once (a single larger message is delivered alone). */
  maxBytes: number;
  /** Wait this long for more messages before delivering a partial batch. */
  lingerMs: number;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface Bus {
  /** Resolves once the messages are durable on the bus; waits while the bus is full (backpressure). */
  publish(kind: TopicKind, messages: BusMessage[]): Promise<void>;
  subscribe(
    kind: TopicKind,
    group: string,
    handler: BusHandler,
    options: SubscribeOptions,
  ): Promise<Subscription>;
  close(): Promise<void>;
}
