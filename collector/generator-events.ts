import pRetry from 'p-retry';
import type { Bus } from '../common/bus/bus.js';
import { errorMessage } from '../common/errors.js';
import { logger } from '../common/log.js';
import { counter } from '../common/metrics.js';
import {
  encode,
  GeneratorEventBatchSchema,
  GeneratorEventType,
  type Fields,
  type GeneratorEvent as GeneratorEventRecord,
} from '../common/proto.js';
import { encodeBusBatch } from '../common/bus/envelope.js';

const log = logger('collector');
const published = counter(
  'fabricscope_collector_generator_events_total',
  'Generator session events put on the bus, by event and outcome',
  ['event', 'outcome'],
);

export type GeneratorEventName = Exclude<keyof typeof GeneratorEventType, 'GENERATOR_EVENT_UNSPECIFIED'>;

/** A session event as the collector reports it: the record without its time, the event by name. */
export type GeneratorEvent = Omit<Fields<GeneratorEventRecord>, 'time' | 'event'> & {
  event: GeneratorEventName;
};

/** Reports generator sessions on the `generators` topic, where the writer stores them. */
export class GeneratorEvents {
  constructor(private readonly bus: Bus) {}

  /** Retries while the bus is down; an event that still cannot be published is counted and logged. */
  async publish(event: GeneratorEvent): Promise<void> {
    const time = Date.now() * 1000;
    const { generator, peer, epoch } = event;
    const payload = encode(GeneratorEventBatchSchema, {
      records: [
        { generator, peer, event: GeneratorEventType[event.event], epoch: BigInt(epoch), time: BigInt(time) },
      ],
    });
    const header = { generator: event.generator, epoch: event.epoch, seq: 0, receivedAt: time };
    const value = encodeBusBatch(header, 'generator_events', payload);
    try {
      await pRetry(() => this.bus.publish('generators', [{ key: event.generator, value }]), { retries: 5 });
      published.inc({ event: event.event, outcome: 'published' });
    } catch (err) {
      published.inc({ event: event.event, outcome: 'failed' });
      log.error({ ...event, err: errorMessage(err) }, 'generator event not published');
    }
  }
}
