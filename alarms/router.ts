import type { Bus, BusMessage, SubscribeOptions, Subscription, TopicKind } from '../common/bus/bus.js';
import { errorMessage } from '../common/errors.js';
import { logger, rateLimited } from '../common/log.js';
import { routeUves, routeWithdrawals } from './bus-records.js';
import { alarmMetrics } from './metrics.js';

const limited = rateLimited(logger('alarms'));

/**
 * The engine's first stage: the collector's topics are keyed by generator host, but one UVE's parts
 * come from several generators, so no partition of them holds all of a UVE. Each batch of `uves` is
 * republished on the `alarms` topic as one message per UVE, keyed by it; each batch of withdrawals
 * to every partition of it (a withdrawal concerns every UVE its generator has parts of). Stateless:
 * any instance routes any partition, and a batch routed twice (an instance died before committing)
 * is recognised downstream by its generator's receipt times (uve-state.ts).
 */
export async function startRouter(bus: Bus, options: SubscribeOptions): Promise<Subscription[]> {
  const route =
    (topic: TopicKind, split: (m: BusMessage) => BusMessage[], send: (m: BusMessage[]) => Promise<void>) =>
    (messages: BusMessage[]) =>
      send(messages.flatMap((message) => routed(topic, message, split)));
  // A group per topic (as the writer's): one group over two topics would mix their partitions.
  return [
    await bus.subscribe(
      'uves',
      'alarms-uves',
      route('uves', routeUves, (m) => bus.publish('alarms', m)),
      options,
    ),
    await bus.subscribe(
      'generators',
      'alarms-generators',
      route('generators', routeWithdrawals, (m) => bus.broadcast('alarms', m)),
      options,
    ),
  ];
}

/**
 * A message the engine cannot read is logged, counted and skipped: the collector checked every
 * record, so it can only be a fault of ours, and stalling the topic would stall the collector too.
 */
function routed(topic: TopicKind, message: BusMessage, split: (m: BusMessage) => BusMessage[]): BusMessage[] {
  try {
    return split(message);
  } catch (err) {
    alarmMetrics.skipped.inc({ topic });
    limited.error(
      topic,
      { topic, key: message.key, err: errorMessage(err) },
      'skipped an unreadable message',
    );
    return [];
  }
}
