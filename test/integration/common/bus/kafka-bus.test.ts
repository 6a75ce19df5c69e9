import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { CompressionTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { topicName, type BusMessage, type Subscription, type TopicKind } from '../../../../common/bus/bus.js';
import { KafkaBus, type KafkaBusOptions } from '../../../../common/bus/kafka.js';
import { configureLogging } from '../../../../common/log.js';
import { registry } from '../../../../common/metrics.js';
import { kafkaTools, startKafka, type KafkaBroker } from '../../../../harness/kafka.js';
import { runTool } from '../../../../harness/child-processes.js';
import { needTools, suiteNeeds, tools } from '../../../../harness/system-tools.js';
import { until } from '../../../../harness/wait.js';

// kafkajs's joins and leaves at info would drown the test report.
configureLogging(process.env.FABRICSCOPE_LOG_LEVEL ?? 'warn');

const subscribeOptions = { maxBytes: 64 * 1024, lingerMs: 20 };

let kafka: KafkaBroker;
let bus: KafkaBus;
let admin: Admin;

// Keys and groups are unique per run, so a reused broker (KAFKA_BROKERS) holding older runs' data is fine.
const run = randomBytes(3).toString('hex');
const group = (name: string): string => `g-${name}-${run}`;
const messagesFor = (names: string[], perKey: number, tag: string): BusMessage[] =>
  Array.from({ length: perKey }, (_, i) =>
    names.map((name) => ({ key: `${name}-${run}`, value: Buffer.from(`${tag}:${name}:${i}`) })),
  ).flat();
/** This run's messages among those delivered. */
const ours = (ms: BusMessage[]): BusMessage[] => ms.filter((m) => m.key.endsWith(`-${run}`));
const texts = (ms: BusMessage[]): string[] => ms.map((m) => m.value.toString());
const sorted = (ms: BusMessage[]): string[] => texts(ms).sort();

/** Committed offset per partition of the group (-1 where nothing is committed). */
async function committed(groupId: string, kind: TopicKind): Promise<number[]> {
  const [topic] = await admin.fetchOffsets({ groupId, topics: [topicName(kind)] });
  return (topic?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
}

async function ends(kind: TopicKind): Promise<number[]> {
  const offsets = await admin.fetchTopicOffsets(topicName(kind));
  return offsets.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
}

const total = (offsets: number[]): number => offsets.reduce((a, b) => a + b, 0);

async function allCommitted(groupId: string, kind: TopicKind): Promise<boolean> {
  const [done, end] = await Promise.all([committed(groupId, kind), ends(kind)]);
  return end.every((high, i) => high === 0 || done[i] === high);
}

/** The bus's published-messages counter for the topic. */
async function publishedCount(kind: TopicKind): Promise<number> {
  const metric = await registry.getSingleMetric('fabricscope_bus_published_messages_total')?.get();
  return metric?.values.find((v) => v.labels.topic === kind)?.value ?? 0;
}

/**
 * Counts what the zstd codec compresses and decompresses while `work` runs (the codec is registered
 * once per process, for every client: wrapped here, then put back).
 */
async function zstdCalls(work: () => Promise<void>): Promise<{ compressed: number; decompressed: number }> {
  const { CompressionCodecs } = kafkajs;
  const registered = CompressionCodecs[CompressionTypes.ZSTD];
  const calls = { compressed: 0, decompressed: 0 };
  CompressionCodecs[CompressionTypes.ZSTD] = () => {
    const codec = registered();
    return {
      compress: (encoder: unknown) => (calls.compressed++, codec.compress(encoder)),
      decompress: (buffer: Buffer) => (calls.decompressed++, codec.decompress(buffer)),
    };
  };
  try {
    await work();
  } finally {
    CompressionCodecs[CompressionTypes.ZSTD] = registered;
  }
  return calls;
}

async function lagGauge(groupId: string, kind: TopicKind): Promise<number | undefined> {
  const metric = await registry.getSingleMetric('fabricscope_bus_consumer_lag_messages')?.get();
  return metric?.values.find((v) => v.labels.group === groupId && v.labels.topic === topicName(kind))?.value;
}

/** Subscribes a handler that keeps this run's messages in `into`. */
function collect(b: KafkaBus, kind: TopicKind, groupId: string, into: BusMessage[]): Promise<Subscription> {
  return b.subscribe(kind, groupId, async (ms) => void into.push(...ours(ms)), subscribeOptions);
}

const busOptions = (): KafkaBusOptions => ({
  brokers: kafka.brokers,
  clientId: 'fabricscope-test',
  partitions: 3,
  replicationFactor: 1,
  publishTimeoutMs: 10_000,
  lagIntervalMs: 200,
});

describe('Kafka bus on a real broker', { timeout: 120_000, ...suiteNeeds(...(await kafkaTools())) }, () => {
  before(async () => {
    kafka = await startKafka();
    const where = `${kafka.source} ${kafka.version ?? ''} on ${kafka.brokers.join(',')}`;
    console.log(`kafka from ${where}, started in ${kafka.startedInMs} ms`);
    bus = new KafkaBus(busOptions());
    await bus.start();
    admin = new Kafka({
      brokers: kafka.brokers,
      clientId: 'fabricscope-test-check',
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
  });

  after(async () => {
    await admin?.disconnect();
    await bus?.close();
    await kafka?.stop();
  });

  it('creates every topic with the configured partitions', async () => {
    const meta = await admin.fetchTopicMetadata({ topics: [topicName('flows'), topicName('alarms')] });
    assert.deepEqual(
      meta.topics.map((t) => t.partitions.length),
      [3, 3],
    );
  });

  it('delivers what was published, in order per key, and reports the lag back to zero', async () => {
    const sent = messagesFor(['vrouter-1', 'vrouter-2', 'vrouter-3', 'vrouter-4', 'vrouter-5'], 40, 'order');
    for (let i = 0; i < sent.length; i += 25) await bus.publish('uves', sent.slice(i, i + 25));
    const got: BusMessage[] = [];
    const sub = await collect(bus, 'uves', group('order'), got);
    await until('all messages', () => got.length >= sent.length);
    for (const key of new Set(sent.map((m) => m.key))) {
      const ofKey = (ms: BusMessage[]): string[] => texts(ms.filter((m) => m.key === key));
      assert.deepEqual(ofKey(got), ofKey(sent), key);
    }
    await until('commit of everything', () => allCommitted(group('order'), 'uves'));
    await until('lag gauge at zero', async () => (await lagGauge(group('order'), 'uves')) === 0);
    await sub.close();
  });

  it('redelivers what a handler failed, and commits only after it succeeded', async () => {
    const sent = messagesFor(['r1', 'r2'], 10, 'retry');
    await bus.publish('routes', sent);
    let healthy = false;
    const committedWhileFailing: number[][] = [];
    const got: BusMessage[] = [];
    const sub = await bus.subscribe(
      'routes',
      group('retry'),
      async (ms) => {
        if (!healthy) {
          committedWhileFailing.push(await committed(group('retry'), 'routes'));
          throw new Error('warehouse down');
        }
        got.push(...ours(ms));
      },
      subscribeOptions,
    );
    // The lag is measured on a timer of its own, so it may show before the first delivery: wait for both.
    await until(
      'a failed delivery and the lag measured while failing',
      async () => committedWhileFailing.length >= 1 && ((await lagGauge(group('retry'), 'routes')) ?? 0) > 0,
    );
    assert.ok(
      committedWhileFailing.flat().every((o) => o === -1),
      'nothing committed before success',
    );
    healthy = true;
    await until('all messages after recovery', () => got.length >= sent.length);
    assert.deepEqual(sorted(got), sorted(sent));
    await until('commit after success', () => allCommitted(group('retry'), 'routes'));
    await sub.close();
  });

  it('lets the next member of a group resume from the committed offsets', async () => {
    const first = messagesFor(['i1', 'i2', 'i3'], 10, 'first');
    await bus.publish('ifstats', first);
    const gotByFirst: BusMessage[] = [];
    const one = await collect(bus, 'ifstats', group('resume'), gotByFirst);
    await until('first member got everything', () => gotByFirst.length >= first.length);
    await until('first member committed', () => allCommitted(group('resume'), 'ifstats'));
    await one.close();

    const second = messagesFor(['i1', 'i2', 'i3'], 10, 'second');
    await bus.publish('ifstats', second);
    const gotBySecond: BusMessage[] = [];
    const two = await collect(bus, 'ifstats', group('resume'), gotBySecond);
    await until('second member got the rest', () => gotBySecond.length >= second.length);
    await until('second member committed', () => allCommitted(group('resume'), 'ifstats'));
    await sleep(300); // room for a wrong redelivery to show up
    await two.close();
    assert.deepEqual(sorted(gotByFirst), sorted(first));
    assert.deepEqual(sorted(gotBySecond), sorted(second), 'no redelivery, no loss');
  });

  it('lands many concurrent publishes to two topics, in order per key', async () => {
    const flows = messagesFor(['cf1', 'cf2', 'cf3', 'cf4'], 50, 'concurrent');
    const routes = messagesFor(['cr1', 'cr2'], 50, 'concurrent');
    const before = { flows: await publishedCount('flows'), routes: await publishedCount('routes') };
    // Called one after another without waiting: all but the first queue while a request is in flight
    // and go together in the next one, a record batch per partition (zstd compresses each).
    const { compressed } = await zstdCalls(async () => {
      await Promise.all([
        ...flows.map((m) => bus.publish('flows', [m])),
        ...routes.map((m) => bus.publish('routes', [m])),
      ]);
    });
    assert.ok(
      compressed <= 1 + 2 * 3,
      `${flows.length + routes.length} publishes in ${compressed} record batches`,
    );
    assert.deepEqual(
      { flows: await publishedCount('flows'), routes: await publishedCount('routes') },
      { flows: before.flows + flows.length, routes: before.routes + routes.length },
    );
    for (const [kind, sent] of [
      ['flows', flows],
      ['routes', routes],
    ] as const) {
      const keys = new Set(sent.map((m) => m.key));
      const got: BusMessage[] = [];
      const sub = await collect(bus, kind, group(`concurrent-${kind}`), got);
      await until(`all ${kind}`, () => got.filter((m) => keys.has(m.key)).length >= sent.length);
      await sub.close();
      for (const key of keys) {
        const ofKey = (ms: BusMessage[]): string[] => texts(ms.filter((m) => m.key === key));
        assert.deepEqual(ofKey(got), ofKey(sent), key);
      }
    }
  });

  it('produces zstd batches that the bus consumes, and gzip ones still', async (t) => {
    const zstdBus = new KafkaBus({ ...busOptions(), compression: 'zstd' });
    const gzipBus = new KafkaBus({ ...busOptions(), compression: 'gzip' });
    t.after(() => Promise.all([zstdBus.close(), gzipBus.close()]));
    const zstdSent = messagesFor(['z1', 'z2'], 20, 'zstd');
    const gzipSent = messagesFor(['z1', 'z2'], 20, 'gzip');
    const got: BusMessage[] = [];
    const calls = await zstdCalls(async () => {
      await zstdBus.publish('generators', zstdSent);
      await gzipBus.publish('generators', gzipSent);
      const sub = await collect(bus, 'generators', group('codecs'), got);
      await until('both codecs consumed', () => got.length >= zstdSent.length + gzipSent.length);
      await sub.close();
    });
    assert.deepEqual(sorted(got), sorted([...zstdSent, ...gzipSent]));
    assert.ok(calls.compressed > 0, 'the zstd bus compressed with zstd');
    assert.ok(calls.decompressed > 0, 'the consumer decompressed zstd batches');
  });

  it('leaves zstd batches an independent client (kcat) reads back', async (t) => {
    if (!needTools(t, tools.kcat)) return;
    const sent = messagesFor(['compute-1', 'compute-2'], 5, 'kcat');
    const { compressed } = await zstdCalls(() => bus.publish('flows', sent));
    assert.ok(compressed > 0, 'the bus produces zstd by default');
    const args = ['-C', '-b', kafka.brokers[0]!, '-t', topicName('flows'), '-o', 'beginning', '-e', '-q'];
    const { stdout } = await runTool('kcat', [...args, '-f', '%k\n'], { timeoutMs: 30_000 });
    const sentKeys = new Set(sent.map((m) => m.key));
    const keys = stdout.split('\n').filter((k) => sentKeys.has(k));
    assert.deepEqual(keys.sort(), sent.map((m) => m.key).sort());
  });

  it('rejects publishes in bounded time while the broker is down, and resumes by itself', async (t) => {
    if (!kafka.kill || !kafka.restart) return t.skip('the broker comes from KAFKA_BROKERS: cannot stop it');
    const quick = new KafkaBus({ ...busOptions(), publishTimeoutMs: 3000 });
    t.after(() => quick.close());
    const got: BusMessage[] = [];
    await collect(quick, 'uves', group('outage'), got);
    const acked = messagesFor(['o1', 'o2'], 5, 'before');
    await quick.publish('uves', acked);

    await kafka.kill();
    const began = Date.now();
    await assert.rejects(quick.publish('uves', messagesFor(['o1'], 1, 'down')), { code: 'UNAVAILABLE' });
    const failedInMs = Date.now() - began;
    assert.ok(failedInMs < 6000, `publish failed after ${failedInMs} ms`);

    const restartBegan = Date.now();
    await kafka.restart();
    const restartMs = Date.now() - restartBegan;
    const afterRestart = messagesFor(['o1', 'o2'], 5, 'after');
    await quick.publish('uves', afterRestart);
    const caughtUpBegan = Date.now();
    const expected = texts([...acked, ...afterRestart]);
    await until('consumer resumed', () => expected.every((v) => texts(got).includes(v)), 60_000);
    t.diagnostic(
      `publish rejected ${failedInMs} ms after the broker went down; broker back in ${restartMs} ms; ` +
        `consumer caught up ${Date.now() - caughtUpBegan} ms after the first publish`,
    );
  });

  it('publishes 1 MiB messages (throughput printed)', async (t) => {
    const value = randomBytes(1024 * 1024);
    const already = total(await ends('alarms'));
    const count = 48;
    const inFlight = 8;
    const began = process.hrtime.bigint();
    for (let i = 0; i < count; i += inFlight) {
      const keys = Array.from({ length: inFlight }, (_, j) => `k${(i + j) % 4}`);
      await Promise.all(keys.map((key) => bus.publish('alarms', [{ key, value }])));
    }
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    t.diagnostic(
      `${count} x 1 MiB (random, zstd) in ${seconds.toFixed(2)} s: ${(count / seconds).toFixed(1)} MiB/s`,
    );
    assert.equal(total(await ends('alarms')) - already, count);
  });
});
