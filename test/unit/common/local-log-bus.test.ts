import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import type { BusHandler, BusMessage, SubscribeOptions } from '../../../common/bus/bus.js';
import { LocalLogBus } from '../../../common/bus/local-log.js';
import { registry } from '../../../common/metrics.js';
import { until } from '../../../harness/wait.js';

const message = (text: string): BusMessage => ({ key: 'k', value: Buffer.from(text) });
const texts = (ms: BusMessage[]): string[] => ms.map((m) => m.value.toString());
const now: SubscribeOptions = { maxBytes: 1 << 20, lingerMs: 0 };

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fs-bus-log-'));
  dirs.push(dir);
  return dir;
}
const flowsDir = (dir: string): string => join(dir, 'fabricscope.flows.v1');
/** The files this process holds open. */
const openPaths = (): string[] =>
  readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return []; // closed while listed (the listing's own descriptor)
    }
  });
const segments = (dir: string): string[] =>
  readdirSync(flowsDir(dir))
    .filter((n) => n.endsWith('.log'))
    .sort();

/** A handler that records what it is given; `received(n)` waits until n messages arrived. */
function recorder(): { handler: BusHandler; got: string[]; received(n: number): Promise<void> } {
  const got: string[] = [];
  return {
    got,
    handler: async (ms) => void got.push(...texts(ms)),
    received: (n) => until(`${n} messages`, () => got.length >= n, 10_000),
  };
}

async function metric(name: string, topic: string): Promise<number> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((v) => v.labels.topic === topic)?.value ?? 0;
}

/**
 * Holds every fsync of the bus's files (the log's and the offset files') until released or failed:
 * a fake disk, to see what happens between an append's write and its fsync.
 */
async function holdFsyncs(): Promise<{
  held(): number;
  release(): void;
  fail(err: Error): void;
  restore(): void;
}> {
  const probe = await open(join(newDir(), 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
  await probe.close();
  const real = proto.datasync;
  const waiting: { resolve(): void; reject(err: Error): void }[] = [];
  proto.datasync = () => new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
  return {
    held: () => waiting.length,
    release: () => waiting.splice(0).forEach((w) => w.resolve()),
    fail: (err) => waiting.splice(0).forEach((w) => w.reject(err)),
    restore: () => {
      proto.datasync = real;
      waiting.splice(0).forEach((w) => w.resolve());
    },
  };
}

describe('local log bus', () => {
  it('resolves a publish once on disk, before any consumer took it', async () => {
    const dir = newDir();
    const bus = new LocalLogBus({ dir, maxBytes: 1024 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const got: string[] = [];
    let called!: () => void;
    const delivered = new Promise<void>((r) => (called = r));
    await bus.subscribe(
      'flows',
      'writer',
      async (ms) => {
        called();
        await gate;
        got.push(...texts(ms));
      },
      now,
    );
    await bus.publish('flows', [message('a')]);
    assert.ok(readFileSync(join(flowsDir(dir), segments(dir)[0]!)).includes('a'), 'on disk');
    await delivered;
    assert.deepEqual(got, [], 'the consumer still holds it');
    release();
    await bus.close();
    assert.deepEqual(got, ['a']);
  });

  it('hands a message to its consumers once written, and resolves its publish once fsynced', async () => {
    const dir = newDir();
    const bus = new LocalLogBus({ dir, maxBytes: 1 << 20 });
    const writer = recorder();
    await bus.subscribe('flows', 'writer', writer.handler, now);
    const fsync = await holdFsyncs();
    try {
      let acked = false;
      const publish = bus.publish('flows', [message('a')]).then(() => (acked = true));
      await writer.received(1);
      assert.ok(fsync.held() >= 1, 'read while its fsync is under way');
      assert.ok(readFileSync(join(flowsDir(dir), segments(dir)[0]!)).includes('a'), 'written');
      assert.equal(acked, false, 'not acked before its fsync');
      fsync.release();
      await publish;
    } finally {
      fsync.restore();
    }
    await bus.close();
  });

  it('refuses every append after a failed fsync, naming the topic; what was read stays read', async () => {
    const bus = new LocalLogBus({ dir: newDir(), maxBytes: 1 << 20 });
    const writer = recorder();
    await bus.subscribe('flows', 'writer', writer.handler, now);
    await bus.publish('flows', [message('before')]);
    const fsync = await holdFsyncs();
    try {
      const failed = bus.publish('flows', [message('unsynced')]);
      await writer.received(2);
      fsync.fail(new Error('EIO: i/o error, fsync'));
      const refused = { message: /^bus log of fabricscope\.flows\.v1 not written: EIO/ };
      await assert.rejects(failed, refused);
      await assert.rejects(bus.publish('flows', [message('after')]), refused);
    } finally {
      fsync.restore();
    }
    assert.deepEqual(writer.got, ['before', 'unsynced']);
    await bus.close();
  });

  it('delivers in publish order, concurrent publishes sharing appends', async () => {
    const bus = new LocalLogBus({ dir: newDir(), maxBytes: 1 << 20 });
    const r = recorder();
    await bus.subscribe('flows', 'writer', r.handler, { maxBytes: 100, lingerMs: 0 });
    const sent = Array.from({ length: 200 }, (_, i) => `m${i}`);
    await Promise.all(sent.map((t) => bus.publish('flows', [message(t)])));
    await r.received(sent.length);
    assert.deepEqual(r.got, sent);
    await bus.close();
  });

  it('delivers up to maxBytes at once', async () => {
    const bus = new LocalLogBus({ dir: newDir(), maxBytes: 1 << 20 });
    const sizes: number[] = [];
    // Each message is a 22-byte frame: 8 of header, 4 of key length, the key, 9 of value.
    await bus.subscribe('flows', 'writer', async (ms) => void sizes.push(ms.length), {
      maxBytes: 66,
      lingerMs: 10_000,
    });
    await Promise.all(Array.from({ length: 6 }, (_, i) => bus.publish('flows', [message(`message-${i}`)])));
    await until('two deliveries', () => sizes.length === 2);
    assert.deepEqual(sizes, [3, 3]);
    await bus.close();
  });

  it('delivers again what a consumer failed, in order, and counts it', async () => {
    const bus = new LocalLogBus({ dir: newDir(), maxBytes: 1 << 20 });
    const before = await metric('fabricscope_bus_redeliveries_total', 'routes');
    let failures = 2;
    const attempts: string[][] = [];
    await bus.subscribe(
      'routes',
      'writer',
      async (ms) => {
        attempts.push(texts(ms));
        if (failures-- > 0) throw new Error('warehouse down');
      },
      now,
    );
    await bus.publish('routes', [message('a'), message('b')]);
    await until('a successful attempt', () => attempts.length === 3);
    assert.deepEqual(attempts, [
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
    ]);
    assert.equal((await metric('fabricscope_bus_redeliveries_total', 'routes')) - before, 2);
    await bus.close();
  });

  it('holds publishers back while uncommitted bytes exceed the bound, keeping messages for a late consumer', async () => {
    const bus = new LocalLogBus({ dir: newDir(), maxBytes: 10 });
    await bus.publish('flows', [message('12345678')]);
    let second = false;
    const published = bus.publish('flows', [message('abcdefgh')]).then(() => (second = true));
    await sleep(50);
    assert.equal(second, false, 'the second publish waits for room');
    const r = recorder();
    await bus.subscribe('flows', 'writer', r.handler, now);
    await published;
    await r.received(2);
    assert.deepEqual(r.got, ['12345678', 'abcdefgh']);
    await bus.close();
  });

  it('feeds each group every message, and frees a segment only once every group committed past it', async () => {
    const dir = newDir();
    const bus = new LocalLogBus({ dir, maxBytes: 1 << 20, segmentBytes: 20 });
    const sent = ['first-message', 'second-message', 'third-message'];
    // One at a time: each is an append of its own, past 20 bytes, so each rolls the segment.
    for (const t of sent) await bus.publish('flows', [message(t)]);
    assert.equal(segments(dir).length, 4);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const alarms = recorder();
    await bus.subscribe(
      'flows',
      'alarms',
      async (ms) => {
        await gate;
        await alarms.handler(ms, { partition: 0 });
      },
      now,
    );
    const writer = recorder();
    const sub = await bus.subscribe('flows', 'writer', writer.handler, now);
    await writer.received(3);
    await sub.close();
    assert.equal(segments(dir).length, 4, 'kept for the group that has not committed');
    release();
    await alarms.received(3);
    await bus.close();
    assert.deepEqual(writer.got, sent);
    assert.deepEqual(alarms.got, sent);
    assert.deepEqual(segments(dir), ['00000000000000000079.log'], 'only the active segment is left');
  });

  it('replays after a restart what a group had not committed, from its committed position', async () => {
    const dir = newDir();
    const first = new LocalLogBus({ dir, maxBytes: 1 << 20 });
    const r = recorder();
    const sub = await first.subscribe('uves', 'writer', r.handler, now);
    await first.publish('uves', [message('a'), message('b')]);
    await r.received(2);
    await sub.close();
    let taken!: () => void;
    const inFlight = new Promise<void>((resolve) => (taken = resolve));
    let crash!: (err: Error) => void;
    await first.subscribe(
      'uves',
      'writer',
      // Taken, then never finished: the process dies holding it.
      () => new Promise<void>((_, reject) => ((crash = reject), taken())),
      now,
    );
    await first.publish('uves', [message('c')]);
    await inFlight;
    await first.publish('uves', [message('d')]);

    const second = new LocalLogBus({ dir, maxBytes: 1 << 20 });
    const replayed = recorder();
    await second.subscribe('uves', 'writer', replayed.handler, now);
    await replayed.received(2);
    assert.deepEqual(replayed.got, ['c', 'd']);
    await second.close();
    crash(new Error('killed'));
    await first.close();
  });

  it('commits a group’s position in place: one offset file, never replaced, read back after a restart', async () => {
    const dir = newDir();
    const first = new LocalLogBus({ dir, maxBytes: 1 << 20 });
    const r = recorder();
    const sub = await first.subscribe('flows', 'writer', r.handler, now);
    const offsetFile = join(flowsDir(dir), 'writer.offset');
    const inode = statSync(offsetFile).ino;
    for (const [i, text] of ['a', 'b', 'c'].entries()) {
      await first.publish('flows', [message(text)]);
      await r.received(i + 1);
    }
    await sub.close();
    // A file created per commit (renamed over the last) would cost a file creation and a deletion each.
    assert.equal(statSync(offsetFile).ino, inode, 'the same file, overwritten');
    assert.deepEqual(
      readdirSync(flowsDir(dir)).filter((n) => n.includes('.offset')),
      ['writer.offset'],
    );
    await first.publish('flows', [message('d')]);
    assert.equal(openPaths().filter((p) => p === offsetFile).length, 1, 'kept open between commits, once');
    await first.close();
    assert.deepEqual(
      openPaths().filter((p) => p.startsWith(dir)),
      [],
      'closed with the bus',
    );
    const second = new LocalLogBus({ dir, maxBytes: 1 << 20 });
    const replayed = recorder();
    await second.subscribe('flows', 'writer', replayed.handler, now);
    await replayed.received(1);
    assert.deepEqual(replayed.got, ['d']);
    await second.close();
  });

  it('starts past an offset file created empty (a crash before its first position): a group never committed', async () => {
    const dir = newDir();
    const first = new LocalLogBus({ dir, maxBytes: 1 << 20 });
    await first.publish('flows', [message('a')]);
    await first.close();
    writeFileSync(join(flowsDir(dir), 'writer.offset'), '');
    const second = new LocalLogBus({ dir, maxBytes: 1 << 20 });
    const r = recorder();
    await second.subscribe('flows', 'writer', r.handler, now);
    await r.received(1);
    assert.deepEqual(r.got, ['a']);
    await second.close();
  });

  it('cuts a torn tail at start, counts it, and appends after the cut', async () => {
    const dir = newDir();
    const first = new LocalLogBus({ dir, maxBytes: 1 << 20 });
    await first.publish('flows', [message('a'), message('b')]);
    await first.close();
    const segment = join(flowsDir(dir), segments(dir)[0]!);
    const whole = statSync(segment).size;
    // A frame header announcing 100 bytes of body, and 3 of them: an append cut short by a crash.
    appendFileSync(segment, Buffer.from([0, 0, 0, 100, 1, 2, 3, 4, 9, 9, 9]));
    const before = await metric('fabricscope_bus_log_torn_tails_total', 'fabricscope.flows.v1');

    const second = new LocalLogBus({ dir, maxBytes: 1 << 20 });
    const r = recorder();
    await second.subscribe('flows', 'writer', r.handler, now);
    assert.equal(statSync(segment).size, whole);
    assert.equal((await metric('fabricscope_bus_log_torn_tails_total', 'fabricscope.flows.v1')) - before, 1);
    await second.publish('flows', [message('c')]);
    await r.received(3);
    assert.deepEqual(r.got, ['a', 'b', 'c']);
    await second.close();
  });

  it('refuses to start on corruption before the end, naming the file and the byte', async () => {
    const dir = newDir();
    const first = new LocalLogBus({ dir, maxBytes: 1 << 20 });
    await first.publish('flows', [message('a'), message('b')]);
    await first.close();
    const segment = join(flowsDir(dir), segments(dir)[0]!);
    const bytes = readFileSync(segment);
    bytes[bytes.indexOf('a')] = 'z'.charCodeAt(0);
    writeFileSync(segment, bytes);

    const second = new LocalLogBus({ dir, maxBytes: 1 << 20 });
    await assert.rejects(second.subscribe('flows', 'writer', recorder().handler, now), {
      message: `corrupt bus log ${segment} at byte 0: checksum mismatch`,
    });
    await second.close();
  });

  it('gives its one partition to a group at once, and says where the topic ends and a group stands', async () => {
    const bus = new LocalLogBus({ dir: newDir(), maxBytes: 1 << 20 });
    const owned: number[][] = [];
    await bus.broadcast('flows', [message('one'), message('two')]);
    const [end] = (await bus.ends('flows')).values();
    assert.ok(end! > 0);
    assert.deepEqual(
      [...(await bus.committed('flows', 'writer'))],
      [[0, 0]],
      'a group never seen starts at the floor',
    );
    const writer = recorder();
    const sub = await bus.subscribe('flows', 'writer', writer.handler, {
      ...now,
      onAssignment: ({ partitions, partitionOf }) => owned.push([...partitions, partitionOf('any key')]),
    });
    assert.deepEqual(owned, [[0, 0]], 'told before any delivery');
    await writer.received(2);
    await until('committed', async () => (await bus.committed('flows', 'writer')).get(0) === end, 10_000);
    // Nothing published wakes no consumer to nothing (the first stage of the alarms may route nothing).
    await bus.publish('flows', []);
    await bus.publish('flows', [message('three')]);
    await writer.received(3);
    await sub.close();
    await bus.close();
  });

  it('tails from the end: each publish once fsynced, in order, with no group, no file and nothing held', async () => {
    const dir = newDir();
    const bus = new LocalLogBus({ dir, maxBytes: 1 << 20 });
    const writer = recorder();
    await bus.subscribe('flows', 'writer', writer.handler, now);
    await bus.publish('flows', [message('before')]);
    const tailed: string[] = [];
    let never = true;
    const tail = await bus.tail('flows', (ms) => void tailed.push(...texts(ms)));
    const stuck = await bus.tail('flows', () => void (never = false));
    await stuck.close();
    await Promise.all([
      bus.publish('flows', [message('one')]),
      bus.publish('flows', [message('two'), message('three')]),
    ]);
    assert.deepEqual(tailed, ['one', 'two', 'three'], 'from the end, in log order, once fsynced');
    assert.ok(never, 'a closed tail is told nothing');
    await writer.received(4);
    assert.deepEqual(
      readdirSync(flowsDir(dir)).filter((n) => n.endsWith('.offset')),
      ['writer.offset'],
      'a tail has no position on disk',
    );
    const buffered = async () =>
      (await registry.getSingleMetric('fabricscope_bus_buffered_bytes')!.get()).values[0]?.value;
    await until('nothing held once the writer committed', async () => (await buffered()) === 0, 10_000);
    await tail.close();
    await bus.close();
  });

  it('never holds a publisher back for a tail that throws', async () => {
    const bus = new LocalLogBus({ dir: newDir(), maxBytes: 1 << 20 });
    await bus.tail('uves', () => {
      throw new Error('a broken tail');
    });
    await bus.publish('uves', [message('still acked')]);
    await bus.close();
  });
});
