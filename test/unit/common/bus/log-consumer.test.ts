import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { BusMessage } from '../../../../common/bus/bus.js';
import { LogConsumer } from '../../../../common/bus/log-consumer.js';
import type { Entry, TopicLog } from '../../../../common/bus/topic-log.js';

/** A topic's log as a consumer sees it, in memory: what it reads, and where its group commits. */
class FakeTopic {
  writtenEnd = 0;
  readonly entries: Entry[] = [];
  readonly reads: number[] = [];
  readonly commits: number[] = [];

  append(message: BusMessage): void {
    const end = this.writtenEnd + message.value.length;
    this.entries.push({ offset: this.writtenEnd, end, message });
    this.writtenEnd = end;
  }

  join = (): Promise<number> => Promise.resolve(0);
  leave = (): void => undefined;
  read = (offset: number): Entry[] => {
    this.reads.push(offset);
    return this.entries.filter((e) => e.offset >= offset);
  };
  commit = (_group: string, position: number): Promise<void> => {
    this.commits.push(position);
    return Promise.resolve();
  };
}

describe('log consumer', () => {
  it('waits again, reading nothing, when woken for messages it already delivered', async () => {
    const topic = new FakeTopic();
    const delivered: string[] = [];
    const consumer = new LogConsumer(
      'uves',
      topic as unknown as TopicLog,
      'writer',
      (messages) => {
        delivered.push(...messages.map((m) => m.value.toString()));
        return Promise.resolve();
      },
      { maxBytes: 1 << 20, lingerMs: 5 },
    );
    await consumer.start();
    try {
      topic.append({ key: 'a', value: Buffer.from('first') });
      consumer.wake();
      await sleep(50);
      assert.deepEqual(delivered, ['first']);
      // Late wakes of the log (as after it rolled a segment): nothing past the position.
      consumer.wake();
      consumer.wake();
      await sleep(50);
      assert.deepEqual(topic.reads, [0], 'no read past the position for a wake with nothing new');
      topic.append({ key: 'a', value: Buffer.from('second') });
      consumer.wake();
      await sleep(50);
      assert.deepEqual(delivered, ['first', 'second']);
      assert.deepEqual(topic.commits, [5, 11]);
    } finally {
      await consumer.close();
    }
  });
});
