import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryBus } from '../../../common/bus/memory.js';
import type { BusMessage } from '../../../common/bus/bus.js';

const message = (text: string): BusMessage => ({ key: 'k', value: Buffer.from(text) });

describe('in-process bus', () => {
  it('resolves a publish only once the consumer committed it', async () => {
    const bus = new MemoryBus(1024);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const got: string[] = [];
    await bus.subscribe(
      'flows',
      'writer',
      async (ms) => {
        await gate;
        got.push(...ms.map((m) => m.value.toString()));
      },
      { maxBytes: 1024, lingerMs: 0 },
    );
    let durable = false;
    const published = bus.publish('flows', [message('a')]).then(() => (durable = true));
    await sleep(20);
    assert.equal(durable, false);
    release();
    await published;
    assert.deepEqual(got, ['a']);
    await bus.close();
  });

  it('holds publishers back while full, and redelivers what a consumer failed', async () => {
    const bus = new MemoryBus(10);
    let failures = 1;
    const got: string[] = [];
    const published = [
      bus.publish('flows', [message('12345678')]),
      bus.publish('flows', [message('abcdefgh')]),
    ];
    let second = false;
    void published[1]!.then(() => (second = true));
    await sleep(20);
    assert.equal(second, false, 'the second publish waits for room');
    await bus.subscribe(
      'flows',
      'writer',
      async (ms) => {
        if (failures-- > 0) throw new Error('warehouse down');
        got.push(...ms.map((m) => m.value.toString()));
      },
      { maxBytes: 100, lingerMs: 0 },
    );
    await Promise.all(published);
    assert.deepEqual(got, ['12345678', 'abcdefgh']);
    await bus.close();
  });

  it('delivers up to maxBytes at once after lingering', async () => {
    const bus = new MemoryBus(1 << 20);
    const sizes: number[] = [];
    await bus.subscribe('flows', 'writer', async (ms) => void sizes.push(ms.length), {
      maxBytes: 30,
      lingerMs: 30,
    });
    await Promise.all(Array.from({ length: 6 }, (_, i) => bus.publish('flows', [message(`message-${i}`)])));
    assert.deepEqual(sizes, [3, 3]);
    await bus.close();
  });
});
