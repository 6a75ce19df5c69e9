/**
 * `npm run bench`: every benchmark of bench/ in sequence, each in a process of its own, with modest
 * sizes so that the whole run takes minutes; each prints its figures and the ratios measured in its
 * own run. `npm run bench -- <name> [arguments]` runs one benchmark with its own arguments (larger
 * sizes: `npm run bench -- queries 100000000 24`). A benchmark that fails is reported and the run
 * goes on; the exit code says whether any failed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Each benchmark with the arguments of the default run (its header comment says what they mean). */
const benchmarks: [name: string, args: string[]][] = [
  ['queries', ['10000000', '1', '11']],
  ['dashboards', ['1000000', '1', '7']],
  ['ingest', ['1000000', '4']],
  ['engine-stages', ['1000000', '4', '32', '5']],
  ['overload', ['8', '60']],
  ['interface-stats', []],
  ['routes', []],
  ['uves', []],
  ['ack-latency-under-queries', ['200000', '200', '4', '20']],
  ['clickhouse-http-under-inserts', []],
  ['alarms', ['10000', '1000', '2000', '20']],
  ['alarm-delivery', []],
  ['alarm-history', ['5000000', '21']],
];

function run(name: string, args: readonly string[]): boolean {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  console.log(`\n== ${name} ${args.join(' ')} (${new Date().toISOString()})`);
  const started = performance.now();
  const { status, signal } = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  const seconds = Math.round((performance.now() - started) / 1000);
  const ok = status === 0;
  console.log(`== ${name}: ${ok ? 'done' : `failed (${signal ?? `exit ${status}`})`} in ${seconds} s`);
  return ok;
}

const [only, ...args] = process.argv.slice(2);
if (only !== undefined && !benchmarks.some(([name]) => name === only)) {
  console.error(`no benchmark ${only}: one of ${benchmarks.map(([name]) => name).join(', ')}`);
  process.exit(2);
}
const chosen = only === undefined ? benchmarks : [[only, args] as [string, string[]]];
const failed = chosen.filter(([name, given]) => !run(name, given)).map(([name]) => name);
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
