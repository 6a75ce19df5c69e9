import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { AckStatus } from '../../common/proto.js';
import { buildTopology, simulate, vrfName, type SimulationReport } from '../../simulator/index.js';
import { startModernClickHouse, type ClickHouseServer } from '../../harness/clickhouse.js';
import { kafkaTools, startKafka, type KafkaBroker } from '../../harness/kafka.js';
import { cleanUp, runTool } from '../../harness/child-processes.js';
import { graphql, startPipelineProcess, type PipelineProcess } from '../../harness/pipeline-process.js';
import { openPublishStream } from '../../harness/publish-stream.js';
import { needTools, suiteNeeds, tools } from '../../harness/system-tools.js';
import { readUntil } from '../../harness/wait.js';
import { podNetworkInBytesQuery, vnPart, type PodNetworkAnswer } from '../support/uve-fixtures.js';

const window = 'from: "now-1h", to: "now+1h"';
/** Both suites run a Kafka broker: skipped (or failed, once) together when its tools are missing. */
const needsKafka = suiteNeeds(...(await kafkaTools()));

/**
 * The collector runs apart from the writer, over a real Kafka broker. chdb lives inside one process,
 * so the writer and the query API share one (with a ClickHouse server every service could run apart).
 */
describe('distributed pipeline: collector → Kafka → writer → warehouse', needsKafka, () => {
  let kafka: KafkaBroker;
  let collector: PipelineProcess;
  let writer: PipelineProcess;
  let stored = 0;
  let first: SimulationReport;
  let firstEndedMs = 0;
  const writerDir = mkdtempSync(join(tmpdir(), 'fs-dist-writer-'));
  const kafkaArgs = () => ['--kafka-brokers', kafka.brokers.join(','), '--kafka-partitions', '2'];
  const startWriter = () =>
    startPipelineProcess(writerDir, { services: ['writer', 'query'], args: kafkaArgs() });

  /** Records stored: as the rollup the totals read over this window, or in the raw table (any IP). */
  const records = async (raw = false): Promise<number> =>
    (
      await graphql<{ flowTotals: { records: number } }>(
        writer.graphqlUrl,
        `{ flowTotals(${window}${raw ? ', filter: [{ ip: ["0.0.0.0/0", "::/0"] }]' : ''}) { records } }`,
      )
    ).flowTotals.records;

  /** Acked means durable on Kafka: the warehouse catches up shortly after; it must then hold exactly that. */
  async function expectStored(expected: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while ((await records()) < expected && Date.now() < deadline) await sleep(200);
    await sleep(1000); // anything doubled would show up by now
    assert.deepEqual(
      { rollup: await records(), raw: await records(true) },
      { rollup: expected, raw: expected },
    );
  }

  before(async () => {
    kafka = await startKafka();
    writer = await startWriter();
    collector = await startPipelineProcess(mkdtempSync(join(tmpdir(), 'fs-dist-collector-')), {
      services: ['collector'],
      args: [...kafkaArgs(), '--generator-grace', '1s'],
    });
  });
  after(() =>
    cleanUp(
      () => collector?.stop(),
      () => writer?.stop(),
      () => kafka?.stop(),
    ),
  );

  it('stores exactly what the collector acked', async () => {
    const report = await simulate({
      target: collector.grpcTarget,
      vrouters: 3,
      flows: 20_000,
      batchSize: 1000,
      interfaceStatsSamples: 2,
      interfaceStatsIntervalMs: 500,
    });
    first = report;
    firstEndedMs = Date.now();
    stored += report.acked;
    await expectStored(stored);
  });

  it('carries the simulated routes and interface counters over Kafka too', async () => {
    // The table as it stood when the run ended: the control nodes' streams close then, and after the
    // 1 s grace period their tables are withdrawn.
    const at = new Date(firstEndedMs).toISOString();
    const vrfs = buildTopology({ vrouters: 3 }).virtualNetworks.map((vn) => vrfName(vn.fqName));
    const present = async () => {
      let paths = 0;
      for (const vrf of vrfs) {
        const { routes } = await graphql<{ routes: { edges: unknown[] } }>(
          writer.graphqlUrl,
          `{ routes(vrf: "${vrf}", at: "${at}", first: 1000) { edges { cursor } } }`,
        );
        paths += routes.edges.length;
      }
      return paths;
    };
    // Every route the control nodes sent is an add of a path of its own: as many paths as acked.
    const deadline = Date.now() + 30_000;
    while ((await present()) < first.ackedByKind.routes && Date.now() < deadline) await sleep(200);
    assert.equal(await present(), first.ackedByKind.routes);
    assert.ok(first.ackedByKind.interface_stats > 0);
    const { interfaceTotals } = await graphql<{ interfaceTotals: { inBytes: number } }>(
      writer.graphqlUrl,
      '{ interfaceTotals(from: "now-10m", to: "now+1m") { inBytes } }',
    );
    assert.ok(interfaceTotals.inBytes > 0);
  });

  it('loses and doubles nothing when the writer is killed mid-stream and restarted', async (t) => {
    const streaming = simulate({
      target: collector.grpcTarget,
      vrouters: 3,
      flows: 60_000,
      batchSize: 500,
      rate: 30_000,
      signal: t.signal, // a failed assertion ends the stream too
    });
    await sleep(800);
    await writer.stop('SIGKILL');
    await sleep(500);
    writer = await startWriter();
    const report = await streaming;
    stored += report.acked;
    await expectStored(stored);
  });

  it('holds senders back while the broker is down, with bounded memory, and resumes by itself', async (t) => {
    if (!kafka.kill || !kafka.restart)
      return t.skip('the broker comes from KAFKA_BROKERS: this test cannot stop it');
    let acked = 0;
    const streaming = simulate({
      target: collector.grpcTarget,
      vrouters: 2,
      flows: 40_000,
      batchSize: 500,
      rate: 10_000,
      progressIntervalMs: 200,
      onProgress: (r: SimulationReport) => (acked = r.acked),
      signal: t.signal,
    });
    await sleep(1000);
    await kafka.kill();
    await sleep(1500);
    const ackedWhileDown = acked;
    await sleep(3000);
    assert.equal(acked, ackedWhileDown, 'no acks while the broker is down');
    const rssKiB = Number(
      /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${collector.child.pid}/status`, 'utf8'))?.[1],
    );
    assert.ok(rssKiB < 1024 * 1024, `collector memory stays bounded (${rssKiB} KiB)`);
    await kafka.restart();
    const report = await streaming;
    assert.equal(report.acked, 40_000);
    stored += report.acked;
    await expectStored(stored);
  });

  it('carries UVEs and generator sessions over Kafka: aggregated, then withdrawn after the grace period', async () => {
    const generators = ['compute-1', 'compute-2'].map((h) => `${h}:Compute:contrail-vrouter-agent:0`);
    const streams = generators.map((g) => openPublishStream(collector.grpcTarget, g, 1));
    for (const [i, stream] of streams.entries()) {
      assert.equal((await stream.send('uves', [vnPart(100 * (i + 1))])).status, AckStatus.OK);
    }
    const inBytes = async () =>
      (await graphql<PodNetworkAnswer>(writer.graphqlUrl, podNetworkInBytesQuery)).uve?.value
        .UveVirtualNetworkAgent.in_bytes;
    const inBytesBecome = (expected: number | undefined) =>
      readUntil(`in_bytes ${expected}`, inBytes, (value) => value === expected);
    await inBytesBecome(300);
    await streams[1]!.close();
    await inBytesBecome(100);
    await streams[0]!.close();
    await inBytesBecome(undefined);
  });
  it('puts batches on the versioned topic, keyed by vRouter, readable by an independent client (kcat)', async (t) => {
    if (!needTools(t, tools.kcat)) return;
    const args = ['-C', '-b', kafka.brokers[0]!, '-t', 'fabricscope.flows.v1', '-e', '-q', '-f', '%k\\n'];
    const { stdout } = await runTool('kcat', args, { timeoutMs: 30_000 });
    const keys = new Set(stdout.split('\n').filter(Boolean));
    assert.ok(keys.has('compute-0') || keys.has('compute-1'), `keys seen: ${[...keys].join(', ')}`);
    assert.ok([...keys].every((k) => /^compute-\d+$/.test(k)));
  });
});

describe('distributed pipeline on a ClickHouse server: every service in its own process', needsKafka, () => {
  let server: ClickHouseServer | string;
  let kafka: KafkaBroker | undefined;
  const processes: PipelineProcess[] = [];

  before(async () => {
    server = await startModernClickHouse();
    if (typeof server === 'string') return;
    kafka = await startKafka();
    const args = ['--kafka-brokers', kafka.brokers.join(','), '--clickhouse-url', server.url];
    for (const service of ['writer', 'query', 'collector']) {
      processes.push(
        await startPipelineProcess(mkdtempSync(join(tmpdir(), `fs-${service}-`)), {
          services: [service],
          args,
        }),
      );
    }
  });
  after(() =>
    cleanUp(
      ...processes.reverse().map((p) => () => p.stop()),
      () => kafka?.stop(),
      () => (typeof server === 'string' ? undefined : server?.stop()),
    ),
  );

  it('stores exactly what the collector acked', async (t) => {
    if (typeof server === 'string') return t.skip(server);
    const [, query, collector] = processes as [PipelineProcess, PipelineProcess, PipelineProcess];
    const report = await simulate({
      target: collector.grpcTarget,
      vrouters: 3,
      flows: 20_000,
      batchSize: 1000,
    });
    const total = async () =>
      (
        await graphql<{ flowTotals: { records: number } }>(
          query.graphqlUrl,
          `{ flowTotals(${window}) { records } }`,
        )
      ).flowTotals.records;
    const deadline = Date.now() + 60_000;
    while ((await total()) < report.acked && Date.now() < deadline) await sleep(200);
    assert.equal(await total(), report.acked);
  });
});
