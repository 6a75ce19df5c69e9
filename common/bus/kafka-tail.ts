import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { errorMessage } from '../errors.js';
import { logger } from '../log.js';
import {
  topicName,
  type BusMessage,
  type Positions,
  type Subscription,
  type TailHandler,
  type TopicKind,
} from './bus.js';

const log = logger('bus');

/** How long the broker holds a tail's fetch for more messages: the latency of a live view, at most. */
const TAIL_WAIT_MS = 100;

export const toBusMessage = (m: KafkaMessage): BusMessage => ({
  key: m.key?.toString('utf8') ?? '',
  value: m.value ?? Buffer.alloc(0),
});

/**
 * A Kafka tail: a consumer in a group of its own (one per tail, so one per query instance and
 * stream kind), which reads every partition from `from` (the ends when the tail was asked for) and
 * never commits. The group holds no offsets, so the broker forgets it once it is closed; restarted
 * after a crash, kafkajs finds no offset and starts at the ends again (what was published meanwhile
 * is not seen: a live view, logged).
 */
export async function startKafkaTail(
  kafka: Kafka,
  clientId: string,
  kind: TopicKind,
  handler: TailHandler,
  from: Positions,
): Promise<Subscription> {
  const topic = topicName(kind);
  const consumer: Consumer = kafka.consumer({
    groupId: `${clientId}-tail-${kind}-${randomUUID()}`,
    maxWaitTimeInMs: TAIL_WAIT_MS,
    allowAutoTopicCreation: false,
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000, restartOnFailure: async () => true },
  });
  consumer.on(consumer.events.CRASH, ({ payload }) =>
    log.warn({ topic: kind, err: errorMessage(payload.error), restart: payload.restart }, 'bus tail crashed'),
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        try {
          handler(batch.messages.map(toBusMessage));
        } catch (err) {
          log.error({ topic: kind, err: errorMessage(err) }, 'bus tail failed on a delivery');
        }
      },
    });
    // Applied when the group hands the partitions out: messages published since `from` are not missed.
    for (const [partition, offset] of from) consumer.seek({ topic, partition, offset: String(offset) });
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    throw err;
  }
  return { close: () => consumer.disconnect() };
}
