import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Dispatcher, type Channel } from '../../../../alarms/notify/dispatcher.js';
import type { Delivery, Settled } from '../../../../alarms/notify/outbox.js';
import { registry } from '../../../../common/metrics.js';
import { until } from '../../../../harness/wait.js';

const retry = { minMs: 1, maxMs: 5, deadAfterMs: 60_000 };
const delivery = (receiver: string, id: string, created = Date.now()): Delivery => ({
  id,
  receiver,
  created,
  body: `{"id":"${id}"}`,
});

/** An outbox that keeps what is settled. */
function outbox(): { settled: Settled[]; settle(s: readonly Settled[]): Promise<void> } {
  const box = {
    settled: [] as Settled[],
    settle: async (s: readonly Settled[]) => void box.settled.push(...s),
  };
  return box;
}

/** Resolves `send` only when its release is called, or rejects when aborted. */
function hanging(name: string, concurrency: number) {
  const inFlight: string[] = [];
  let maxInFlight = 0;
  const channel: Channel = {
    name,
    concurrency,
    send: (d, signal) =>
      new Promise<void>((_resolve, reject) => {
        inFlight.push(d.id);
        maxInFlight = Math.max(maxInFlight, inFlight.length);
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      }),
  };
  return { channel, inFlight, max: () => maxInFlight };
}

describe('notification dispatcher', () => {
  it('retries a refused delivery with the same body until accepted, then settles it delivered', async () => {
    const bodies: string[] = [];
    const box = outbox();
    const flaky: Channel = {
      name: 'flaky',
      concurrency: 1,
      send: async (d) => {
        bodies.push(d.body);
        if (bodies.length <= 3) throw new Error('503');
      },
    };
    const dispatcher = new Dispatcher([flaky], box, retry);
    dispatcher.enqueue([delivery('flaky', 'a')]);
    await until('settled', () => box.settled.length === 1);
    await dispatcher.close();
    assert.deepEqual(
      box.settled.map((s) => [s.delivery.id, s.state, s.attempts]),
      [['a', 'delivered', 4]],
    );
    assert.deepEqual(new Set(bodies), new Set(['{"id":"a"}']));
  });

  it('gives a delivery up as dead once it fails past its age', async () => {
    const box = outbox();
    const down: Channel = {
      name: 'down',
      concurrency: 1,
      send: async () => {
        throw new Error('connection refused');
      },
    };
    const dispatcher = new Dispatcher([down], box, { ...retry, deadAfterMs: 1000 });
    dispatcher.enqueue([delivery('down', 'old', Date.now() - 2000)]);
    await until('settled', () => box.settled.length === 1);
    await dispatcher.close();
    assert.deepEqual(
      box.settled.map((s) => [s.delivery.id, s.state, s.attempts]),
      [['old', 'dead', 1]],
    );
  });

  it("keeps a receiver that hangs to its own slots: the others' deliveries go on", async () => {
    const box = outbox();
    const stuck = hanging('stuck', 2);
    const fine: Channel = { name: 'fine', concurrency: 1, send: async () => undefined };
    const dispatcher = new Dispatcher([stuck.channel, fine], box, retry);
    dispatcher.enqueue(['1', '2', '3', '4'].map((id) => delivery('stuck', id)));
    dispatcher.enqueue(['5', '6', '7'].map((id) => delivery('fine', id)));
    await until('fine settled', () => box.settled.length === 3);
    assert.deepEqual(stuck.inFlight, ['1', '2'], 'two in flight, the concurrency limit');
    await dispatcher.close();
    assert.equal(stuck.max(), 2);
    assert.deepEqual(
      box.settled.map((s) => s.delivery.id),
      ['5', '6', '7'],
      'closing settles nothing it abandoned: those stay pending for the next start',
    );
  });

  it('sends a delivery enqueued twice once, and leaves one for an unknown receiver pending', async () => {
    const box = outbox();
    const sent: string[] = [];
    const fine: Channel = { name: 'fine', concurrency: 4, send: async (d) => void sent.push(d.id) };
    const dispatcher = new Dispatcher([fine], box, retry);
    const a = delivery('fine', 'a');
    dispatcher.enqueue([a, a, delivery('gone', 'b')]);
    await until('settled', () => box.settled.length === 1);
    await dispatcher.close();
    assert.deepEqual(sent, ['a']);
  });

  it('gives up, dead, what a receiver disabled holds (waiting and in flight) and is given later, counted by reason', async () => {
    const box = outbox();
    const stuck = hanging('off', 1);
    const dispatcher = new Dispatcher([stuck.channel], box, retry);
    const before = await deadCount('off', 'disabled');
    dispatcher.enqueue([delivery('off', '1'), delivery('off', '2')]);
    await until('one in flight', () => stuck.inFlight.length === 1);
    dispatcher.useChannels([], ['off']);
    dispatcher.enqueue([delivery('off', '3')]);
    await until('settled', () => box.settled.length === 3);
    assert.deepEqual(box.settled.map((s) => [s.delivery.id, s.state]).sort(), [
      ['1', 'dead'],
      ['2', 'dead'],
      ['3', 'dead'],
    ]);
    assert.equal((await deadCount('off', 'disabled')) - before, 3);
    assert.deepEqual(stuck.inFlight, ['1'], 'nothing more sent');

    const sent: string[] = [];
    dispatcher.useChannels([{ name: 'off', concurrency: 1, send: async (d) => void sent.push(d.id) }], []);
    dispatcher.enqueue([delivery('off', '4')]);
    await until('enabled again', () => box.settled.length === 4);
    await dispatcher.close();
    assert.deepEqual(sent, ['4'], 'enabled again: new deliveries only, none of those given up');
  });

  it('tries what a receiver replaced holds with its new definition', async () => {
    const box = outbox();
    const tried: string[] = [];
    const version = (name: string, accept: boolean): Channel => ({
      name: 'r',
      concurrency: 1,
      send: async (d) => {
        tried.push(`${name}:${d.id}`);
        if (!accept) throw new Error('503');
      },
    });
    const dispatcher = new Dispatcher([version('v1', false)], box, { ...retry, minMs: 20, maxMs: 20 });
    dispatcher.enqueue([delivery('r', 'a')]);
    await until('tried once', () => tried.length > 0);
    dispatcher.useChannels([version('v2', true)], []);
    await until('settled', () => box.settled.length === 1);
    await dispatcher.close();
    assert.equal(tried.at(-1), 'v2:a');
    assert.deepEqual(
      box.settled.map((s) => s.state),
      ['delivered'],
    );
  });
});

async function deadCount(receiver: string, reason: string): Promise<number> {
  const { values } = await registry.getSingleMetric('fabricscope_alarm_notifications_dead_total')!.get();
  return values.find((v) => v.labels.receiver === receiver && v.labels.reason === reason)?.value ?? 0;
}
