import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { topicName, type BusMessage } from '../../../common/bus/bus.js';
import { KafkaBus } from '../../../common/bus/kafka.js';
import { startHttpServer, type HttpServer } from '../../../common/http.js';
import { configureLogging } from '../../../common/log.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';
import { cleanUp } from '../../../harness/child-processes.js';
import { busMessage } from '../../../harness/bus-records.js';
import { kafkaTools, startKafka, type KafkaBroker } from '../../../harness/kafka.js';
import { suiteNeeds } from '../../../harness/system-tools.js';
import { until } from '../../../harness/wait.js';
import { sseSubscribe, wsSubscribe, type HeldSubscription } from '../../support/subscriptions.js';

configureLogging(process.env.FABRICSCOPE_LOG_LEVEL ?? 'warn');

/** Unique per run: a reused broker (KAFKA_BROKERS) holding older runs' groups is fine. */
const run = randomBytes(3).toString('hex');
const PASS = 1;
const DENY = 2;

/** A flows batch of one generator (its host is the key: hosts land on different partitions). */
const batch = (host: number, seq: number, action: number): BusMessage =>
  busMessage(
    'flows',
    { generator: `compute-${host}-${run}:Compute:agent:0`, seq, receivedAt: Date.now() * 1000 },
    [
      {
        flow_uuid: Buffer.from([...Buffer.alloc(12), host, 0, (seq >> 8) & 255, seq & 255]),
        vrouter: `compute-${host}-${run}`,
        source_ip: Buffer.from([10, 3, host, seq & 255]),
        dest_ip: Buffer.from([10, 4, 0, 1]),
        protocol: 17,
        dport: 53,
        action,
        direction: 2,
        timestamp: Date.now() * 1000,
      },
    ],
  );

/** One query instance: its own bus client (so its own tail groups) and its API served over HTTP. */
interface Instance {
  bus: KafkaBus;
  api: QueryApi;
  http: HttpServer;
  url: string;
}

describe(
  'live streams fed by Kafka (distributed)',
  { timeout: 300_000, ...suiteNeeds(...(await kafkaTools())) },
  () => {
    let kafka: KafkaBroker;
    let publisher: KafkaBus;
    let admin: Admin;
    let warehouse: ChdbWarehouse;
    const instances: Instance[] = [];
    const held: HeldSubscription[] = [];

    async function instance(name: string): Promise<Instance> {
      const bus = new KafkaBus({
        brokers: kafka.brokers,
        clientId: `${name}-${run}`,
        partitions: 3,
        replicationFactor: 1,
      });
      const api = createQueryApi(warehouse, {}, undefined, undefined, bus);
      const http = await startHttpServer({
        host: '127.0.0.1',
        port: 0,
        routes: { '/graphql': api.handler },
        upgrades: { '/graphql': api.upgrade },
      });
      const started = { bus, api, http, url: `http://127.0.0.1:${http.port}/graphql` };
      instances.push(started);
      return started;
    }

    before(async () => {
      kafka = await startKafka();
      publisher = new KafkaBus({
        brokers: kafka.brokers,
        clientId: `collector-${run}`,
        partitions: 3,
        replicationFactor: 1,
      });
      await publisher.start();
      admin = new Kafka({
        brokers: kafka.brokers,
        clientId: `check-${run}`,
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-streams-kafka-')));
      await migrate(warehouse);
    });

    after(() =>
      cleanUp(
        async () => held.forEach((s) => s.close()),
        ...instances.map((i) => async () => {
          await i.api.close();
          await i.http.close();
          await i.bus.close();
        }),
        () => admin?.disconnect(),
        () => publisher?.close(),
        () => warehouse?.close(),
        () => kafka?.stop(),
      ),
    );

    it('gives each query instance every partition from its own group, committing nothing', async () => {
      const [a, b] = [await instance('query-a'), await instance('query-b')];
      // Published before any subscription: a tail starts at the end, so these are never streamed.
      for (let host = 1; host <= 6; host++) await publisher.publish('flows', [batch(host, 0, DENY)]);
      const query = 'subscription { flows(filter: [{ action: ["deny"] }]) { vrouter sourceIp action } }';
      const overSse = sseSubscribe(a.url, query);
      const overWs = wsSubscribe(b.url, query);
      held.push(overSse, overWs);
      const vrouters = (s: HeldSubscription) =>
        new Set(s.events.map((e) => (e.data?.flows as { vrouter: string } | undefined)?.vrouter));
      // Six hosts over three partitions; publishing goes on until both have flows of every host, at a
      // pace a live view keeps up with on a loaded machine (one that falls behind is cut off as lagging).
      let seq = 0;
      await until('both instances to stream flows of all six hosts', async () => {
        seq++;
        for (let host = 1; host <= 6; host++)
          await publisher.publish('flows', [batch(host, seq, DENY), batch(host, seq, PASS)]);
        await sleep(250);
        return vrouters(overSse).size === 6 && vrouters(overWs).size === 6;
      });
      for (const s of [overSse, overWs]) {
        const flows = s.events.map((e) => e.data?.flows as { action: string; sourceIp: string });
        assert.ok(
          flows.every((f) => f.action === 'deny'),
          'filtered',
        );
        assert.ok(
          flows.every((f) => !f.sourceIp.endsWith('.0')),
          'nothing published before subscribing',
        );
      }
      // Each instance tails in a group of its own, which holds no committed offset.
      const { groups } = await admin.listGroups();
      const tails = groups.map((g) => g.groupId).filter((id) => id.includes(`-${run}-tail-flows-`));
      assert.equal(tails.length, 2, `one tail group per instance: ${tails.join(', ')}`);
      for (const groupId of tails) {
        const [topic] = await admin.fetchOffsets({ groupId, topics: [topicName('flows')] });
        assert.ok(
          topic!.partitions.every((p) => p.offset === '-1'),
          `${groupId} committed nothing`,
        );
      }
    });
  },
);
