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
import { BatchWriter } from '../writer/batch-writer.js';
import { writerRoute } from '../writer/routes.js';
import { migrate } from '../common/schema/migrate.js';
import { ChdbWarehouse } from '../common/warehouse/chdb.js';
import { writerOptions } from '../writer/config.js';
import { simulatedFlowBatches, storeWorkloads } from './simulated-flows.js';
import { startKafka } from '../harness/kafka.js';
import { graphql, startPipelineProcess } from '../harness/pipeline-process.js';
import { cpuBetween, descendantNamed, exitedChildrenCpu, threadCpu } from '../harness/process-cpu.js';

const records = Number(process.argv[2] ?? 1_000_000);
const vrouters = Number(process.argv[3] ?? 4);
const batchSize = 5000;
const cli = fileURLToPath(new URL('../bin/fabricscope.cjs', import.meta.url));

const rate = (n: number, ms: number): string =>
  `${Math.round((n * 1000) / ms).toLocaleString('en-US')} records/s`;

/** Processes whose CPU a run reports, by name. */
type Profiled = Record<string, number>;

/** CPU seconds per million records, as printed. */
const perMillion = (seconds: number): string => ((seconds * 1e6) / records).toFixed(2);
const threadsText = (threads: [string, number][]): string =>
  threads.map(([thread, seconds]) => `${thread} ${perMillion(seconds)}`).join(', ');

/** CPU seconds per million records of each process's threads, and of the simulator. */
function printCpu(
  before: Map<string, Map<string, number>>,
  profiled: Profiled,
  simulatorSeconds: number,
): void {
  const parts = [`simulator ${perMillion(simulatorSeconds)}`];
  for (const [name, pid] of Object.entries(profiled)) {
    const threads = cpuBetween(before.get(name)!, threadCpu(pid));
    const total = threads.reduce((n, [, seconds]) => n + seconds, 0);
    parts.push(`${name} ${perMillion(total)} (${threadsText(threads)})`);
  }
  console.log(`  CPU s per 1M records: ${parts.join('; ')}`);
}

/** Runs the simulator process against `grpcTarget`; returns ms until acked and until queryable. */
async function simulateUntilQueryable(
  label: string,
  grpcTarget: string,
  graphqlUrl: string,
  profiled: Profiled,
): Promise<number> {
  const before = new Map(Object.entries(profiled).map(([name, pid]) => [name, threadCpu(pid)]));
  const simulatorBefore = exitedChildrenCpu();
  const started = performance.now();
  const args = [cli, 'simulate', '--target', grpcTarget, '--flows', String(records)];
  args.push('--vrouters', String(vrouters), '--batch-size', String(batchSize));
  const simulator = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  await once(simulator, 'exit');
  const acked = performance.now() - started;
  const simulatorSeconds = exitedChildrenCpu() - simulatorBefore;
  await waitUntilQueryable(graphqlUrl);
  const queryable = performance.now() - started;
  console.log(`${label}: ${records} records acked in ${Math.round(acked)} ms (${rate(records, acked)}),`);
  console.log(
    `${' '.repeat(label.length)}  queryable after ${Math.round(queryable)} ms (${rate(records, queryable)})`,
  );
  printCpu(before, profiled, simulatorSeconds);
  return queryable;
}

async function embedded(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-bench-'));
  const pipeline = await startPipelineProcess(dataDir);
  try {
    return await simulateUntilQueryable('embedded', pipeline.grpcTarget, pipeline.graphqlUrl, {
      pipeline: pipeline.child.pid!,
    });
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
    // The broker from jars runs under a watchdog shell: a JVM below this process.
    const broker = descendantNamed('java');
    return await simulateUntilQueryable(`kafka ${kafka.version}`, collector.grpcTarget, writer.graphqlUrl, {
      collector: collector.child.pid!,
      writer: writer.child.pid!,
      ...(broker !== undefined ? { broker } : {}),
    });
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

/**
 * The same simulated rows straight into the engine, the fabric's workloads stored first so that the
 * enrichment finds them: the writer's framing, then its inserts alone, of its default size.
 */
async function engineOnly(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-bench-engine-'));
  const warehouse = new ChdbWarehouse(dataDir);
  await migrate(warehouse);
  const { topology, values } = simulatedFlowBatches(records, vrouters, batchSize);
  await storeWorkloads(warehouse, topology.workloads);
  const messages = values.map((value) => ({ key: 'bench', value }));
  const writer = new BatchWriter(warehouse, writerRoute('flows'), {
    maxBytes: 0,
    lingerMs: 0,
    dedupWindowHours: 1,
  });
  const insertBytes = writerOptions.writerMaxBytes.default;
  const perInsert = Math.ceil(insertBytes / (messages[0]?.value.length ?? 1));
  const before = threadCpu(process.pid);
  const started = performance.now();
  for (let i = 0; i < messages.length; i += perInsert) await writer.write(messages.slice(i, i + perInsert));
  const ms = performance.now() - started;
  console.log(`engine: ${records} records inserted in ${Math.round(ms)} ms (${rate(records, ms)})`);
  const threads = cpuBetween(before, threadCpu(process.pid));
  console.log(`  CPU s per 1M records: ${threadsText(threads)}`);
  await warehouse.close();
  rmSync(dataDir, { recursive: true, force: true });
  return ms;
}

const embeddedMs = await embedded();
const kafkaMs = await throughKafka();
const engineMs = await engineOnly();
console.log(`ratio embedded / engine: ${(engineMs / embeddedMs).toFixed(2)}`);
console.log(`ratio kafka / engine: ${(engineMs / kafkaMs).toFixed(2)}`);
