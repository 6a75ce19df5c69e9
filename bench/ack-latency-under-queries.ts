/**
 * Ack latency under queries, run by hand (`npm run build && node dist/bench/ack-latency-under-queries.js
 * [preload flows] [acks] [query clients]
 * [seconds per phase]`): an embedded pipeline (one process, chdb) is loaded by the
 * simulator and left to store it all, then one generator sends small batches with the unary
 * PublishBatch, one at a time, and each ack's latency is timed: first with the API idle, then while
 * clients send the heaviest requests the default query limits allow, back to back. Prints p50/p99 of
 * both and the ratio, and how long storing lagged behind the acks (issue 9: every chdb call shares
 * one queue, so a read delays inserts; an embedded ack waits for the bus log on disk, not for them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { fromBinary } from '@bufbuild/protobuf';
import {
  AckSchema,
  Collector,
  encodeFields,
  methodPath,
  PublishBatchRequestSchema,
} from '../common/proto.js';
import { graphqlRaw, startPipelineProcess } from '../harness/pipeline-process.js';
import { pipelineDrained } from '../harness/wait.js';
import { simulate } from '../simulator/index.js';
import { percentile } from './timing.js';

const preload = Number(process.argv[2] ?? 200_000);
const acks = Number(process.argv[3] ?? 200);
const clients = Number(process.argv[4] ?? 4);
const phaseMs = Number(process.argv[5] ?? 60) * 1000;
const generator = 'bench-acks:Compute:contrail-vrouter-agent:0';

const record = (i: number) => ({
  flow_uuid: Buffer.alloc(16, (i % 250) + 1),
  vrouter: 'bench-acks',
  source_ip: Buffer.from([10, 200, (i >> 8) & 255, i & 255]),
  dest_ip: Buffer.from([10, 201, 0, 1]),
  protocol: 6,
  dport: 443,
  diff_bytes: 100,
  diff_packets: 1,
  timestamp: Date.now() * 1000,
});

let seq = 0;

/** One batch of 100 records through the unary PublishBatch; the ms until its ack. */
async function timedAck(client: grpc.Client): Promise<number> {
  seq++;
  const records = Array.from({ length: 100 }, (_, i) => record(seq * 100 + i));
  const request = encodeFields(PublishBatchRequestSchema, {
    hello: { generator, epoch: 1 },
    batch: { seq, flows: { records } },
  });
  const started = performance.now();
  await new Promise<void>((resolve, reject) =>
    client.makeUnaryRequest(
      methodPath(Collector.method.publishBatch),
      (b: Buffer) => b,
      (b: Buffer) => fromBinary(AckSchema, b),
      request,
      { deadline: Date.now() + 120_000 },
      (err) => (err ? reject(err) : resolve()),
    ),
  );
  return performance.now() - started;
}

/** Acks one after another until `acks` are timed or `phaseMs` has passed, whichever comes first. */
async function latencies(client: grpc.Client): Promise<number[]> {
  const out: number[] = [];
  const until = performance.now() + phaseMs;
  while (out.length < acks && performance.now() < until) out.push(await timedAck(client));
  return out.sort((a, b) => a - b);
}

/**
 * The heaviest request the default limits allow: four root fields (cost 400 of 500) over seven days,
 * grouped by addresses, with 950 CIDR values in the filters (1000 argument values in all).
 */
function heavyQuery(): string {
  const cidrs = (n: number) => Array.from({ length: 95 }, (_, i) => `"10.${n}.${i}.0/24"`).join(',');
  const filter = `[${Array.from({ length: 10 }, (_, n) => `{ ip: [${cidrs(n)}] }`).join(',')}]`;
  const range = 'from: "now-7d", to: "now"';
  return `{
    a: flowGroups(${range}, by: [SOURCE_IP, DEST_IP], top: 1000, filter: ${filter}) { groups { bytes } }
    b: flowSeries(${range}, by: [SOURCE_IP], top: 1000, step: "10m") { step }
    c: flowTotals(${range}) { records }
    d: flows(${range}, first: 1000) { edges { cursor } }
  }`;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-bench-acks-'));
  const pipeline = await startPipelineProcess(dataDir);
  const client = new grpc.Client(pipeline.grpcTarget, grpc.credentials.createInsecure());
  try {
    await simulate({ target: pipeline.grpcTarget, vrouters: 4, flows: preload, batchSize: 5000, seed: 1 });
    await pipelineDrained(pipeline);
    const checkStarted = performance.now();
    const check = await graphqlRaw(pipeline.graphqlUrl, heavyQuery());
    console.log(`one heavy request alone: ${Math.round(performance.now() - checkStarted)} ms`);
    if (check.errors) throw new Error(`the heavy query is refused: ${JSON.stringify(check.errors)}`);

    const idle = await latencies(client);

    let stop = false;
    let requests = 0;
    let refused = 0;
    const errors = new Set<string>();
    const hammer = async (): Promise<void> => {
      while (!stop) {
        const body = await graphqlRaw(pipeline.graphqlUrl, heavyQuery());
        requests++;
        if (body.errors) refused++;
        for (const e of body.errors ?? []) errors.add(String(e.extensions?.code ?? e.message));
      }
    };
    const hammers = Array.from({ length: clients }, hammer);
    const loaded = await latencies(client);
    const loadedEnded = performance.now();
    // While the clients still query: how long the inserts of what was acked wait behind their reads.
    await pipelineDrained(pipeline);
    const storedLagMs = performance.now() - loadedEnded;
    stop = true;
    await Promise.all(hammers);

    const line = (label: string, sorted: number[]) =>
      console.log(
        `${label}: ${sorted.length} acks, p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`,
      );
    console.log(
      `${preload} flows preloaded; acks of 100 records each, one at a time (at most ${acks} or ${phaseMs / 1000} s a phase)`,
    );
    line('idle              ', idle);
    line(`${clients} query clients   `, loaded);
    console.log(
      `  (${requests} heavy requests answered meanwhile, ${refused} with errors: ${[...errors].join(', ')})`,
    );
    console.log(
      `everything acked stored ${Math.round(storedLagMs)} ms after the last ack under load, the clients querying on`,
    );
    console.log(`p99 ratio loaded/idle: ${(percentile(loaded, 0.99) / percentile(idle, 0.99)).toFixed(1)}x`);
  } finally {
    client.close();
    await pipeline.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
