import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { CompressionTypes, type ProducerBatch, type RecordMetadata } from 'kafkajs';
import {
  ProduceQueue,
  publishBytes,
  type BatchProducer,
  type OutgoingMessage,
} from '../../../../common/bus/kafka-produce-queue.js';

/** One sendBatch call, held until the test acknowledges or fails it. */
interface Request {
  producer: number;
  batch: ProducerBatch;
  ack(): void;
  fail(err: Error): void;
}

/** Fake producers, numbered in the order they are made; a reset one is never handed out again. */
class FakeProducers {
  readonly requests: Request[] = [];
  readonly resets: number[] = [];
  private made = 0;
  private current: Promise<BatchProducer & { id: number }> | undefined;

  get(): Promise<BatchProducer & { id: number }> {
    this.current ??= Promise.resolve(this.make());
    return this.current;
  }

  reset(failed: Promise<BatchProducer & { id: number }>): void {
    if (failed !== this.current) return;
    this.current = undefined;
    void failed.then((p) => this.resets.push(p.id));
  }

  private make(): BatchProducer & { id: number } {
    const id = ++this.made;
    return {
      id,
      sendBatch: (batch) =>
        new Promise<RecordMetadata[]>((resolve, reject) => {
          this.requests.push({ producer: id, batch, ack: () => resolve([]), fail: reject });
        }),
    };
  }
}

const message = (key: string, bytes = 10): OutgoingMessage => ({ key, value: Buffer.alloc(bytes, key) });

function setup(options: { maxRequestBytes?: number; timeoutMs?: number } = {}) {
  const producers = new FakeProducers();
  const queue = new ProduceQueue({
    producers,
    maxRequestBytes: options.maxRequestBytes ?? 1024 * 1024,
    timeoutMs: options.timeoutMs ?? 10_000,
    compression: CompressionTypes.ZSTD,
  });
  return { producers, queue };
}

/** A publish whose outcome the test reads later: 'pending', 'acked' or the error's message. */
function track(publish: Promise<void>): { state: string } {
  const outcome = { state: 'pending' };
  publish.then(
    () => (outcome.state = 'acked'),
    (err: Error) => (outcome.state = err.message),
  );
  return outcome;
}

/** Per request, "topic:key,key" per topic entry: what each request carried, in order. */
const carried = (requests: Request[]): string[][] =>
  requests.map((r) =>
    (r.batch.topicMessages ?? []).map((t) => `${t.topic}:${t.messages.map((m) => String(m.key)).join(',')}`),
  );

/** Lets the queue make its next request (the producer is handed over asynchronously). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await tick();
};

describe('Kafka produce queue (group commit)', () => {
  it('sends the first publish at once and groups those made while it is in flight, across topics, in order', async () => {
    const { producers, queue } = setup();
    const first = track(queue.publish('flows', [message('a1')]));
    await settle();
    const waiting = [
      track(queue.publish('flows', [message('a2'), message('a3')])),
      track(queue.publish('uves', [message('u1')])),
      track(queue.publish('flows', [message('a4')])),
    ];
    await settle();
    assert.deepEqual(carried(producers.requests), [['flows:a1']], 'one request in flight at a time');

    producers.requests[0]!.ack();
    await settle();
    assert.equal(first.state, 'acked');
    assert.deepEqual(
      waiting.map((w) => w.state),
      ['pending', 'pending', 'pending'],
      'acked with the request carrying them, not before',
    );
    assert.deepEqual(carried(producers.requests).at(1), ['flows:a2,a3,a4', 'uves:u1']);
    const { acks, compression } = producers.requests[1]!.batch;
    assert.deepEqual({ acks, compression }, { acks: -1, compression: CompressionTypes.ZSTD });

    producers.requests[1]!.ack();
    await settle();
    assert.deepEqual(
      waiting.map((w) => w.state),
      ['acked', 'acked', 'acked'],
    );
    assert.equal(producers.requests.length, 2);
  });

  it('keeps a request within maxRequestBytes, and sends a larger publish alone', async () => {
    const size = publishBytes([message('x', 100)]);
    // Room for two 100-byte messages and the record batch header, not three.
    const { producers, queue } = setup({ maxRequestBytes: 2 * size + 100 });
    const all = [
      queue.publish('flows', [message('blocker')]),
      queue.publish('flows', [message('b1', 100)]),
      queue.publish('flows', [message('b2', 100)]),
      queue.publish('flows', [message('b3', 100)]),
      queue.publish('flows', [message('huge', 10_000)]),
      queue.publish('flows', [message('b4', 100)]),
    ];
    for (let i = 0; i < 5; i++) {
      await settle();
      producers.requests[i]!.ack();
    }
    await Promise.all(all);
    assert.deepEqual(carried(producers.requests), [
      ['flows:blocker'],
      ['flows:b1,b2'],
      ['flows:b3'],
      ['flows:huge'],
      ['flows:b4'],
    ]);
  });

  it('rejects every caller of a failed request and only those; the next request goes on a fresh producer', async () => {
    const { producers, queue } = setup();
    const first = track(queue.publish('flows', [message('c1')]));
    await settle();
    const failing = [
      track(queue.publish('flows', [message('c2')])),
      track(queue.publish('uves', [message('c3')])),
    ];
    producers.requests[0]!.ack();
    await settle();
    const after = track(queue.publish('flows', [message('c4')]));
    producers.requests[1]!.fail(new Error('NOT_ENOUGH_REPLICAS'));
    await settle();

    assert.equal(first.state, 'acked');
    assert.deepEqual(
      failing.map((f) => f.state),
      ['NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS'],
    );
    assert.equal(after.state, 'pending', 'a publish queued meanwhile is not failed with them');
    assert.deepEqual(producers.resets, [1]);
    assert.deepEqual(
      producers.requests.map((r) => r.producer),
      [1, 1, 2],
      'a new producer id: its sequence numbers start afresh',
    );
    producers.requests[2]!.ack();
    await settle();
    assert.equal(after.state, 'acked');
  });

  it('times callers out after timeoutMs: a hung request resets the producer, a queued caller is never sent', async () => {
    // One publish per request, so that d3 waits behind two requests in turn.
    const { producers, queue } = setup({
      timeoutMs: 100,
      maxRequestBytes: publishBytes([message('d1')]) + 70,
    });
    const callers = ['d1', 'd2', 'd3'].map((key) => track(queue.publish('flows', [message(key)])));
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.deepEqual(
      callers.map((c) => c.state),
      Array(3).fill('kafka publish timed out after 100 ms'),
    );
    assert.deepEqual(carried(producers.requests), [['flows:d1'], ['flows:d2']], 'd3 left the queue unsent');
    assert.deepEqual(producers.resets, [1, 2]);

    const next = track(queue.publish('flows', [message('d4')]));
    await settle();
    assert.equal(producers.requests[2]!.producer, 3);
    producers.requests[2]!.ack();
    await settle();
    assert.equal(next.state, 'acked');
  });

  it('rejects what is still queued when closed', async () => {
    const { producers, queue } = setup();
    const inFlight = track(queue.publish('flows', [message('e1')]));
    await settle();
    const queued = track(queue.publish('flows', [message('e2')]));
    queue.close();
    producers.requests[0]!.ack();
    await settle();
    assert.equal(inFlight.state, 'acked');
    assert.equal(queued.state, 'the Kafka bus is closed');
    await assert.rejects(queue.publish('flows', [message('e3')]), /closed/);
    assert.equal(producers.requests.length, 1);
  });
});
