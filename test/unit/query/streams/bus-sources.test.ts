import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { test } from 'node:test';
import type { Bus, BusMessage, TailHandler } from '../../../../common/bus/bus.js';
import { busSource } from '../../../../query/streams/bus-sources.js';

/** A bus whose tail hands over what the test gives it, as a Kafka fetch or a local publish would. */
function fakeBus(): { bus: Bus; hand: TailHandler } {
  let handler: TailHandler = () => {};
  const bus = {
    tail: async (_kind: string, h: TailHandler) => {
      handler = h;
      return { close: async () => {} };
    },
  } as unknown as Bus;
  return { bus, hand: (messages) => handler(messages) };
}

/** Bus messages of 1 MiB each (the stream's bound is 32 MiB waiting). */
const messages = (n: number, from = 0): BusMessage[] =>
  Array.from({ length: n }, (_, i) => ({ key: String(from + i), value: Buffer.alloc(1024 * 1024) }));

test('a bus stream takes a large delivery whole when it is caught up, and is lagging when it falls behind', async () => {
  const { bus, hand } = fakeBus();
  const read: string[] = [];
  let lagging = 0;
  const source = busSource(bus, 'flows', (m) => [m.key]);
  const subscription = await source.start(
    (events) => read.push(...events),
    () => lagging++,
  );
  // A Kafka fetch of 200 MiB to a stream that holds none: every message read, in order.
  hand(messages(200));
  while (read.length < 200 && lagging === 0) await tick();
  assert.deepEqual(
    read,
    messages(200).map((m) => m.key),
  );
  assert.equal(lagging, 0);
  // Behind: messages still waiting when more than the bound would wait: dropped, and lagging.
  hand(messages(10, 200));
  hand(messages(20, 210));
  assert.equal(lagging, 0, '30 MiB wait');
  hand(messages(3, 230));
  assert.equal(lagging, 1);
  await subscription.close();
});
