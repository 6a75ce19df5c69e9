import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { fromBinary, toJson, type JsonObject } from '@bufbuild/protobuf';
import {
  AckSchema,
  Collector,
  encodeFields,
  methodPath,
  PublishBatchRequestSchema,
} from '../../common/proto.js';
import { simulate, type SimulationReport, type Totals } from '../../simulator/index.js';
import {
  graphql,
  graphqlRaw,
  startPipelineProcess,
  type PipelineProcess,
} from '../../harness/pipeline-process.js';
import { freePort } from '../../harness/kafka.js';
import { pipelineDrained, until } from '../../harness/wait.js';

const window = 'from: "now-1h", to: "now+1h"';
interface TotalsAnswer {
  flowTotals: Totals & { table: string };
}
interface GroupsAnswer {
  flowGroups: { table: string; groups: (Totals & { keys: string[] })[] };
}

const byKey = (groups: GroupsAnswer['flowGroups']['groups']) =>
  Object.fromEntries(
    groups.map(({ keys, records, bytes, packets }) => [keys[0], { records, bytes, packets }]),
  );
const lowerKeys = (totals: Record<string, Totals>) =>
  Object.fromEntries(Object.entries(totals).map(([k, v]) => [k.toLowerCase(), v]));

/** A deadline for the hand-made calls below: a pipeline that stops answering fails the test, not hangs it. */
const callOptions = (): grpc.CallOptions => ({ deadline: Date.now() + 30_000 });

/** Sends one batch with the unary PublishBatch, as a simple client would. */
async function publishBatch(target: string, generator: string, seq: number, records: object[]) {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  const request = encodeFields(PublishBatchRequestSchema, {
    hello: { generator, epoch: 77 },
    batch: { seq, flows: { records } },
  });
  try {
    return await new Promise<Record<string, unknown>>((resolve, reject) =>
      client.makeUnaryRequest(
        methodPath(Collector.method.publishBatch),
        (b: Buffer) => b,
        (b: Buffer) =>
          toJson(AckSchema, fromBinary(AckSchema, b), { alwaysEmitImplicit: true }) as JsonObject,
        request,
        callOptions(),
        (err, ack) => (err ? reject(err) : resolve(ack!)),
      ),
    );
  } finally {
    client.close();
  }
}

/** Calls a gRPC method with raw bytes both ways, for services we only probe. */
function rawCall(target: string, path: string, request: Buffer, streaming: boolean): Promise<Buffer> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  const identity = (b: Buffer) => b;
  return new Promise<Buffer>((resolve, reject) => {
    if (!streaming) {
      client.makeUnaryRequest(path, identity, identity, request, callOptions(), (err, reply) =>
        err ? reject(err) : resolve(reply!),
      );
      return;
    }
    const call = client.makeBidiStreamRequest(path, identity, identity, callOptions());
    call.on('data', (reply: Buffer) => {
      resolve(reply);
      call.end();
    });
    call.on('error', reject);
    call.write(request);
  }).finally(() => client.close());
}

describe('embedded pipeline end to end: simulator → gRPC → bus → chdb → GraphQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-e2e-'));
  let pipeline: PipelineProcess;
  let report: SimulationReport;

  before(async () => {
    pipeline = await startPipelineProcess(dataDir);
  });
  after(() => pipeline?.stop());

  it('stores exactly what was acked, also when streams drop and batches are resent', async () => {
    report = await simulate({
      target: pipeline.grpcTarget,
      vrouters: 3,
      flows: 30_000,
      batchSize: 1000,
      seed: 7,
      dropConnectionEvery: 4,
    });
    assert.equal(report.acked, 30_000);
    assert.ok(report.resent > 0, 'the forced reconnects resent unacked batches');
    await pipelineDrained(pipeline);
    const { flowTotals } = await graphql<TotalsAnswer>(
      pipeline.graphqlUrl,
      `{ flowTotals(${window}) { records bytes packets table } }`,
    );
    const { table, ...totals } = flowTotals;
    assert.deepEqual(totals, report.ackedTotals);
    assert.equal(table, 'flows_1m');
  });

  it('answers groups by vRouter and by action as acked, and the raw table agrees with the rollup', async () => {
    const groups = async (by: string) =>
      (
        await graphql<GroupsAnswer>(
          pipeline.graphqlUrl,
          `{ flowGroups(${window}, by: [${by}], metric: RECORDS, top: 100) { table groups { keys records bytes packets } } }`,
        )
      ).flowGroups;
    assert.deepEqual(byKey((await groups('VROUTER')).groups), report.ackedByVrouter);
    assert.deepEqual(byKey((await groups('ACTION')).groups), lowerKeys(report.ackedByAction));
    const raw = await graphql<TotalsAnswer>(
      pipeline.graphqlUrl,
      `{ flowTotals(${window}, filter: [{ ip: ["0.0.0.0/0", "::/0"] }]) { records bytes packets table } }`,
    );
    assert.equal(raw.flowTotals.table, 'flows');
    assert.equal(raw.flowTotals.records, report.ackedTotals.records);
    assert.equal(raw.flowTotals.bytes, report.ackedTotals.bytes);
  });

  it('pages through every record exactly once, newest first', async () => {
    const seen = new Set<string>();
    let after: string | null = null;
    let previous = '9999';
    for (;;) {
      const page: {
        flows: {
          edges: { cursor: string; node: { time: string; flowUuid: string; generator: string } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      } = await graphql(
        pipeline.graphqlUrl,
        `query($after: String) { flows(${window}, first: 1000, after: $after) { edges { cursor node { time flowUuid generator } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      for (const { cursor, node } of page.flows.edges) {
        assert.ok(node.time <= previous, 'newest first');
        previous = node.time;
        seen.add(cursor);
      }
      if (!page.flows.pageInfo.hasNextPage) break;
      after = page.flows.pageInfo.endCursor;
    }
    assert.equal(seen.size, report.acked);
  });

  const generator = 'bad-input:Compute:contrail-vrouter-agent:0';
  const record = (i: number, overrides: object = {}) => ({
    flow_uuid: Buffer.alloc(16, i + 1),
    vrouter: 'bad-input',
    source_ip: Buffer.from([10, 9, 9, i]),
    dest_ip: Buffer.from([10, 9, 8, i]),
    protocol: 17,
    dport: 53,
    diff_bytes: 60,
    diff_packets: 1,
    timestamp: Date.now() * 1000,
    ...overrides,
  });
  const badInputTotals = async () =>
    (
      await graphql<TotalsAnswer>(
        pipeline.graphqlUrl,
        `{ flowTotals(${window}, filter: [{ vrouter: ["bad-input"] }]) { records bytes } }`,
      )
    ).flowTotals;

  it('refuses malformed records with the field and reason, and stores the good ones of the same batch', async () => {
    const records = [
      record(0),
      record(1, { dport: 70000 }),
      record(2),
      record(3, { source_ip: Buffer.alloc(5) }),
      record(4),
    ];
    const ack = await publishBatch(pipeline.grpcTarget, generator, 1, records);
    assert.equal(ack.status, 'OK');
    assert.equal(ack.accepted, 3);
    assert.deepEqual(ack.rejections, [
      { index: 1, field: 'dport', reason: '70000 is above 65535' },
      { index: 3, field: 'source_ip', reason: '5 bytes; must be 4 (IPv4) or 16 (IPv6)' },
    ]);
    await pipelineDrained(pipeline);
    assert.deepEqual(await badInputTotals(), { records: 3, bytes: 180 });
    const metrics = await (await fetch(`${pipeline.httpUrl}/metrics`)).text();
    assert.match(metrics, /fabricscope_collector_rejected_records_total\{kind="flows",field="dport"\} 1/);
  });

  it('answers a bad query argument with an error naming it', async () => {
    const answer = await graphqlRaw(
      pipeline.graphqlUrl,
      `{ flowTotals(filter: [{ ip: ["10.0.0.300"] }]) { records } }`,
    );
    assert.match(
      answer.errors?.[0]?.message ?? '',
      /filter\.ip: "10\.0\.0\.300" is not an IP address or CIDR/,
    );
    assert.equal(answer.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const time = await graphqlRaw(pipeline.graphqlUrl, `{ flowTotals(from: "yesterday") { records } }`);
    assert.match(time.errors?.[0]?.message ?? '', /from: "yesterday" is neither RFC 3339 nor like now-15m/);
  });

  it('serves gRPC health and reflection', async () => {
    const serving = Buffer.from([0x08, 0x01]); // HealthCheckResponse { status: SERVING }
    const health = await rawCall(pipeline.grpcTarget, '/grpc.health.v1.Health/Check', Buffer.alloc(0), false);
    assert.deepEqual(health, serving);
    const listServices = Buffer.from([0x3a, 0x00]); // ServerReflectionRequest { list_services: "" }
    const reflection = await rawCall(
      pipeline.grpcTarget,
      '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
      listServices,
      true,
    );
    assert.match(reflection.toString('latin1'), /fabricscope\.v1\.Collector/);
  });

  it('keeps everything acked through a crash, and stores a batch resent after restart once', async () => {
    await pipeline.stop('SIGKILL');
    pipeline = await startPipelineProcess(dataDir);
    await pipelineDrained(pipeline);
    const { flowTotals } = await graphql<TotalsAnswer>(
      pipeline.graphqlUrl,
      `{ flowTotals(${window}) { records } }`,
    );
    assert.equal(flowTotals.records, report.acked + 3);
    const ack = await publishBatch(pipeline.grpcTarget, generator, 1, [record(0), record(2), record(4)]);
    assert.equal(ack.status, 'OK');
    await pipelineDrained(pipeline);
    assert.deepEqual(await badInputTotals(), { records: 3, bytes: 180 });
    const health = await fetch(`${pipeline.httpUrl}/healthz`);
    assert.equal(health.status, 200);
  });

  it('stores every acked record once when killed -9 mid-stream: acked means in the bus log, replayed at restart', async (t) => {
    const records = async (raw = false) =>
      (
        await graphql<TotalsAnswer>(
          pipeline.graphqlUrl,
          `{ flowTotals(${window}${raw ? ', filter: [{ ip: ["0.0.0.0/0", "::/0"] }]' : ''}) { records } }`,
        )
      ).flowTotals.records;
    // A fixed port, so the simulator's sessions reconnect to the restarted pipeline and resend.
    const port = String(await freePort());
    const start = () => startPipelineProcess(dataDir, { args: ['--grpc-port', port] });
    await pipeline.stop();
    pipeline = await start();
    const stored = { rollup: await records(), raw: await records(true) };
    let acked = 0;
    const streaming = simulate({
      target: pipeline.grpcTarget,
      vrouters: 3,
      flows: 60_000,
      batchSize: 500,
      rate: 20_000,
      seed: 9,
      progressIntervalMs: 100,
      onProgress: (r) => (acked = r.acked),
      signal: t.signal, // a failed assertion ends the stream too
    });
    await until('acks under way', () => acked >= 5000);
    const metrics = await (await fetch(`${pipeline.httpUrl}/metrics`)).text();
    t.diagnostic(
      `acked before the kill: ${acked}; ${/^fabricscope_bus_buffered_bytes .*$/m.exec(metrics)?.[0]}`,
    );
    await pipeline.stop('SIGKILL');
    pipeline = await start();
    const report = await streaming;
    assert.equal(report.acked, 60_000);
    await pipelineDrained(pipeline);
    assert.deepEqual(
      { rollup: await records(), raw: await records(true) },
      { rollup: stored.rollup + report.acked, raw: stored.raw + report.acked },
    );
  });
});
