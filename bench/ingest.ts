/**
 * Ingest benchmark, run by hand (`npm run bench:ingest -- [records] [vrouters]`), three figures in
 * one run: embedded end to end (simulator process → gRPC → collector → in-process bus → writer →
 * chdb, until queryable through GraphQL), the same through a real Kafka broker (collector process →
 * Kafka → writer process), and the engine's own insert rate for the same rows.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeBusBatch } from '../common/bus/envelope.js';
import { BatchWriter } from '../writer/batch-writer.js';
import { writerRoute } from '../writer/routes.js';
import { migrate } from '../common/schema/migrate.js';
import { ChdbWarehouse } from '../common/warehouse/chdb.js';
import { buildFlowPools, buildTopology, FlowBatchEncoder } from '../simulator/index.js';
import { startKafka } from '../harness/kafka.js';
import { graphql, startPipelineProcess } from '../harness/pipeline-process.js';

const records = Number(process.argv[2] ?? 1_000_000);
const vrouters = Number(process.argv[3] ?? 4);
const batchSize = 5000;
const cli = fileURLToPath(new URL('../bin/fabricscope.js', import.meta.url));

const rate = (n: number, ms: number): string =>
  `${Math.round((n * 1000) / ms).toLocaleString('en-US')} records/s`;

/** Runs the simulator process against `grpcTarget`; returns ms until acked and until queryable. */
async function simulateUntilQueryable(
  label: string,
  grpcTarget: string,
  graphqlUrl: string,
): Promise<number> {
  const started = performance.now();
  const args = [cli, 'simulate', '--target', grpcTarget, '--flows', String(records)];
  args.push('--vrouters', String(vrouters), '--batch-size', String(batchSize));
  const simulator = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  await once(simulator, 'exit');
  const acked = performance.now() - started;
  await waitUntilQueryable(graphqlUrl);
  const queryable = performance.now() - started;
  console.log(`${label}: ${records} records acked in ${Math.round(acked)} ms (${rate(records, acked)}),`);
  console.log(
    `${' '.repeat(label.length)}  queryable after ${Math.round(queryable)} ms (${rate(records, queryable)})`,
  );
  return queryable;
}

async function embedded(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-bench-'));
  const pipeline = await startPipelineProcess(dataDir);
  try {
    return await simulateUntilQueryable('embedded', pipeline.grpcTarget, pipeline.graphqlUrl);
  } finally {
    await pipeline.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function throughKafka(): Promise<number> {
  const kafka = await startKafka();
  const args = ['--kafka-brokers', kafka.brokers.join(','), '--kafka-partitions', String(vrouters)];
  const dirs = [mkdtempSync(join(tmpdir(), 'fs-bench-w-')), mkdtempSync(join(tmpdir(), 'fs-bench-c-'))];
  const writer = await startPipelineProcess(dirs[0]!, { services: ['writer', 'query'], args });
  const collector = await startPipelineProcess(dirs[1]!, { services: ['collector'], args });
  try {
    return await simulateUntilQueryable(`kafka ${kafka.version}`, collector.grpcTarget, writer.graphqlUrl);
  } finally {
    await collector.stop();
    await writer.stop();
    await kafka.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

async function waitUntilQueryable(url: string): Promise<void> {
  for (;;) {
    const data = await graphql<{ flowTotals: { records: number } }>(
      url,
      '{ flowTotals(from: "now-1h", to: "now+1h") { records } }',
    );
    if (data.flowTotals.records >= records) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The same simulated rows straight into the engine: the writer's framing, then the insert alone. */
async function engineOnly(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-bench-engine-'));
  const warehouse = new ChdbWarehouse(dataDir);
  await migrate(warehouse);
  const topology = buildTopology({ vrouters, seed: 1 });
  const { pools } = buildFlowPools(topology);
  const encoder = new FlowBatchEncoder(pools[0]!, { salt: 1 });
  const now = Date.now() * 1000;
  const messages = [];
  for (let seq = 0; seq * batchSize < records; seq++) {
    const { flows } = encoder.encode(seq, Math.min(batchSize, records - seq * batchSize));
    const header = { generator: 'bench:Compute:contrail-vrouter-agent:0', epoch: 1, seq, receivedAt: now };
    messages.push({ key: 'bench', value: encodeBusBatch(header, 'flows', flows) });
  }
  const writer = new BatchWriter(warehouse, writerRoute('flows'), {
    maxBytes: 0,
    lingerMs: 0,
    dedupWindowHours: 1,
  });
  const perInsert = Math.ceil((32 * 1024 * 1024) / (messages[0]?.value.length ?? 1));
  const started = performance.now();
  for (let i = 0; i < messages.length; i += perInsert) await writer.write(messages.slice(i, i + perInsert));
  const ms = performance.now() - started;
  console.log(`engine: ${records} records inserted in ${Math.round(ms)} ms (${rate(records, ms)})`);
  await warehouse.close();
  rmSync(dataDir, { recursive: true, force: true });
  return ms;
}

const embeddedMs = await embedded();
const kafkaMs = await throughKafka();
const engineMs = await engineOnly();
console.log(`ratio embedded / engine: ${(engineMs / embeddedMs).toFixed(2)}`);
console.log(`ratio kafka / engine: ${(engineMs / kafkaMs).toFixed(2)}`);
