/**
 * Memory under overload, run by hand (`npm run bench -- overload [simulators] [seconds]`, default 8
 * and 60): the embedded pipeline (`fabricscope start`, chdb included) fed by that many simulators at
 * full rate, each its own vRouters (compute-<4i>…); prints the pipeline's resident memory as it
 * goes and its peak, then checks that nothing was dropped silently: every record a simulator saw
 * acked is stored, and whatever was refused is counted.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { graphql, startPipelineProcess } from '../harness/pipeline-process.js';

const simulators = Number(process.argv[2] ?? 8);
const seconds = Number(process.argv[3] ?? 60);
const vroutersEach = 4;
const cli = fileURLToPath(new URL('../bin/fabricscope.cjs', import.meta.url));
const mib = (kb: number): string => `${Math.round(kb / 1024).toLocaleString('en-US')} MiB`;

/** A /proc/<pid>/status figure in kB: VmRSS (now) or VmHWM (peak). */
function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

/** One simulator for `seconds`; resolves with the flow records it saw acked. */
async function simulator(target: string, index: number): Promise<number> {
  const args = [cli, 'simulate', '--target', target, '--duration', `${seconds}s`];
  args.push('--vrouters', String(vroutersEach), '--first-vrouter', String(index * vroutersEach));
  args.push('--seed', String(index + 1), ...(index > 0 ? ['--no-state'] : []));
  // Its progress lines (stderr) are kept for a failure's report only.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const acked = /acked totals: ([\d,]+) records/.exec(output)?.[1];
  if (code !== 0 || acked === undefined) throw new Error(`simulator ${index} exited ${code}:\n${output}`);
  return Number(acked.replaceAll(',', ''));
}

async function storedFlows(url: string): Promise<number> {
  const data = await graphql<{ flowTotals: { records: number } }>(
    url,
    '{ flowTotals(from: "now-1d", to: "now+1h") { records } }',
  );
  return data.flowTotals.records;
}

/** The pipeline's metric lines whose name and labels start with `prefix`, values only. */
async function metrics(httpUrl: string, prefix: string): Promise<string> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const lines = text.split('\n').filter((l) => l.startsWith(prefix));
  return lines.map((l) => l.slice(prefix.length)).join(', ');
}

/** Where the memory is: the JS heap, Buffers outside it (gRPC, bus), the rest is chdb's and code. */
async function jsMemory(httpUrl: string): Promise<string> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0);
  const heap = value('fabricscope_nodejs_heap_size_used_bytes') / 1024;
  const external = value('fabricscope_nodejs_external_memory_bytes') / 1024;
  const bus = value('fabricscope_bus_buffered_bytes') / 1024;
  return `JS heap ${mib(heap)}, Buffers ${mib(external)}, of them on the bus ${mib(bus)}`;
}

const dataDir = mkdtempSync(join(tmpdir(), 'fs-bench-overload-'));
const pipeline = await startPipelineProcess(dataDir);
const pid = pipeline.child.pid!;
try {
  console.log(`${simulators} simulators × ${vroutersEach} vRouters for ${seconds} s, at full rate`);
  console.log(`pipeline RSS at start: ${mib(statusKb(pid, 'VmRSS'))}`);
  const started = performance.now();
  const sampler = setInterval(() => {
    const at = Math.round((performance.now() - started) / 1000);
    const rss = mib(statusKb(pid, 'VmRSS'));
    void jsMemory(pipeline.httpUrl).then((js) =>
      console.log(`  ${String(at).padStart(3)} s: RSS ${rss} (${js})`),
    );
  }, 10_000);
  const acked = (
    await Promise.all(Array.from({ length: simulators }, (_, i) => simulator(pipeline.grpcTarget, i)))
  ).reduce((a, b) => a + b, 0);
  const ackedMs = performance.now() - started;
  let stored = await storedFlows(pipeline.graphqlUrl);
  for (const deadline = Date.now() + 300_000; stored < acked && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 500));
    stored = await storedFlows(pipeline.graphqlUrl);
  }
  clearInterval(sampler);
  const rate = Math.round((acked * 1000) / ackedMs).toLocaleString('en-US');
  console.log(
    `acked ${acked.toLocaleString('en-US')} flow records (${rate} records/s), stored ${stored.toLocaleString('en-US')}`,
  );
  const outcomes = await metrics(pipeline.httpUrl, 'fabricscope_collector_records_total{kind="flows",');
  console.log(`collector flow records by outcome: ${outcomes}`);
  console.log(`pipeline peak RSS (VmHWM): ${mib(statusKb(pid, 'VmHWM'))}`);
  if (stored !== acked) {
    console.log(`MISMATCH: ${acked - stored} acked records not stored`);
    process.exitCode = 1;
  }
} finally {
  await pipeline.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
