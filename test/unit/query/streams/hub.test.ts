import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registry } from '../../../../common/metrics.js';
import { Streams, type Source } from '../../../../query/streams/hub.js';
import { CutOff } from '../../../../query/streams/queue.js';

/** A source the test feeds by hand, counting its starts and closes. */
function handSource() {
  const fed = { deliver: (_events: readonly number[]) => {}, lagging: () => {}, starts: 0, closes: 0 };
  const source: Source<number> = {
    start: async (deliver, lagging) => {
      Object.assign(fed, { deliver, lagging, starts: fed.starts + 1 });
      return { close: async () => void fed.closes++ };
    },
  };
  return { fed, source: source as Source<unknown> };
}

async function cutOffs(reason: string): Promise<number> {
  const metric = await registry.getSingleMetric('fabricscope_query_subscription_cutoffs_total')!.get();
  return metric.values.find((v) => v.labels.stream === 'flows' && v.labels.reason === reason)?.value ?? 0;
}

async function drain<T>(queue: AsyncIterator<T>): Promise<T[]> {
  const taken: T[] = [];
  for (let next = await queue.next(); !next.done; next = await queue.next()) taken.push(next.value);
  return taken;
}

describe('live streams: subscribers, bounds and cut-offs', () => {
  it('cuts off a subscriber behind by more than its bound, counted, while a reading one gets every event', async () => {
    const { fed, source } = handSource();
    const streams = new Streams({ flows: source }, { maxSubscriptions: 10, maxQueued: 5 });
    const before = await cutOffs('slow');
    const slow = await streams.subscribe<number>('flows', () => true);
    const even = await streams.subscribe<number>('flows', (n) => n % 2 === 0);
    const got: number[] = [];
    for (let n = 0; n < 20; n++) {
      fed.deliver([n]);
      if (n % 2 === 0) got.push((await even.next()).value as number);
    }
    assert.deepEqual(got, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    // `slow` never read: 5 events waited, the 6th would have been one too many: the cut-off is all it gets.
    const rest = await drain(slow);
    assert.equal(rest.length, 1);
    assert.ok(rest[0] instanceof CutOff && rest[0].reason === 'slow');
    assert.match(
      rest[0].message,
      /more than 5 events would wait for the client \(query-subscription-queue\)/,
    );
    assert.equal(await cutOffs('slow'), before + 1);
    assert.equal(fed.closes, 0, 'the source runs on for the other subscriber');
    // Caught up, a subscriber takes a delivery larger than the bound whole (a big batch).
    fed.deliver(Array.from({ length: 24 }, (_, i) => i * 2));
    for (let i = 0; i < 24; i++) assert.equal((await even.next()).value, i * 2);
    await even.return();
    await new Promise(setImmediate); // the source is closed asynchronously, once its last one left
    assert.equal(fed.closes, 1, 'closed with its last subscriber');
  });

  it('refuses subscriptions over query-max-subscriptions and streams it has no source for, named', async () => {
    const { source } = handSource();
    const streams = new Streams({ flows: source }, { maxSubscriptions: 1, maxQueued: 5 }, 'no bus here');
    const first = await streams.subscribe('flows', () => true);
    await assert.rejects(
      streams.subscribe('flows', () => true),
      /1 subscriptions are open.*query-max-subscriptions/,
    );
    await first.return!();
    await streams.subscribe('flows', () => true);
    await assert.rejects(
      streams.subscribe('uveChanges', () => true),
      /subscription uveChanges: no bus here/,
    );
  });

  it('cuts every subscriber off when the source lags, and all with shutdown when closing', async () => {
    const { fed, source } = handSource();
    const streams = new Streams({ flows: source }, { maxSubscriptions: 10, maxQueued: 5 });
    const a = await streams.subscribe<number>('flows', () => true);
    fed.lagging();
    const [cut] = await drain(a);
    assert.ok(cut instanceof CutOff && cut.reason === 'lagging');
    assert.equal(cut.toError().extensions.code, 'UNAVAILABLE');
    const b = await streams.subscribe<number>('flows', () => true);
    await streams.close();
    const [last] = await drain(b);
    assert.ok(last instanceof CutOff && last.reason === 'shutdown');
    assert.equal(fed.starts, 2);
    assert.equal(fed.closes, 2);
  });
});
