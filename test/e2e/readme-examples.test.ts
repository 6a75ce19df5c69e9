import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { cleanUp, killedOnExit, runTool, stopChild } from '../../harness/child-processes.js';
import { graphqlRaw, startPipelineProcess, type PipelineProcess } from '../../harness/pipeline-process.js';
import { freePort } from '../../harness/kafka.js';
import { needTools, tools } from '../../harness/system-tools.js';

/**
 * The README tried as a newcomer tries it, on a fresh embedded pipeline: its examples taken from
 * README.md itself, in the order it gives them. Each ```graphql block is sent to the API and must
 * answer data (every root field non-empty), polled while the fabric gets there; each `fabricscope
 * simulate` line runs against the pipeline (the one before it stopped with Ctrl-C, as the README
 * says: one simulator at a time); the curl lines run (a stream's for a few seconds: it must bring
 * events); `fabricscope why` and `observe` run (`--follow` until it prints a flow). Commands that need what this test does not
 * have are listed below, each with why; any other command fails the test until it is run or listed.
 */

const cli = fileURLToPath(new URL('../../bin/fabricscope.cjs', import.meta.url));
const readme = fileURLToPath(new URL('../../../README.md', import.meta.url));

/** Commands not run here, by their text in the README (comments and line breaks aside), and why. */
const skippedByDesign: Record<string, string> = {
  'npm ci && npm start':
    'the test starts the same pipeline (fabricscope start) on free ports and a fresh data dir',
  'npm test': 'this test is part of it',
  'fabricscope webhook-receiver --secret change-this-webhook-secret --port 9099 &':
    'alarm delivery: test/e2e/embedded-alarm-delivery.test.ts runs receivers against a pipeline',
  'prometheus-alertmanager --config.file=deploy/alertmanager.yml --storage.path=/tmp/am &':
    'alarm delivery needs prometheus-alertmanager: test/e2e/embedded-alarm-delivery.test.ts',
  'npm start -- --alertmanager-urls http://localhost:9093 --alarm-webhooks \'[{"name":"local","url":"http://127.0.0.1:9099/","secret":"change-this-webhook-secret"}]\'':
    'a pipeline started with an Alertmanager: test/e2e/embedded-alarm-delivery.test.ts',
  'npx fabricscope simulate --target localhost:50051 --flows 0 --duration 40s --events process-down,bgp-flap --event-duration 10s':
    'drives the alarm delivery story above, which needs an Alertmanager',
  "curl -s localhost:9093/api/v2/alerts | jq '.[].labels'": 'asks an Alertmanager',
  'export KAFKA_BROKERS=kafka-1:9092,kafka-2:9092 CLICKHOUSE_URL=http://user:pass@clickhouse:8123/default':
    'distributed mode: Kafka and a ClickHouse server (test/e2e/distributed-*.test.ts)',
  'npx fabricscope start collector': 'distributed mode (test/e2e/distributed-*.test.ts)',
  'npx fabricscope start writer': 'distributed mode (test/e2e/distributed-*.test.ts)',
  'npx fabricscope start query': 'distributed mode (test/e2e/distributed-*.test.ts)',
  'npx fabricscope start alarms': 'distributed mode (test/e2e/distributed-*.test.ts)',
  'npx fabricscope start --clickhouse-http-port 8123 --clickhouse-http-password "$SECRET"':
    "the test's pipeline serves the endpoint (a free port, a password of its own): the curl below reads it",
  'FABRICSCOPE_CLICKHOUSE_HTTP_PORT=8123 FABRICSCOPE_CLICKHOUSE_HTTP_PASSWORD=change-me npm start':
    "another start of the pipeline, for Grafana: the ClickHouse HTTP endpoint's own tests",
  'docker run --rm --network host -e GF_INSTALL_PLUGINS=grafana-clickhouse-datasource -e GF_AUTH_ANONYMOUS_ENABLED=true -e FABRICSCOPE_CLICKHOUSE_HTTP_PASSWORD=change-me -v "$PWD/deploy/grafana/embedded:/etc/grafana/provisioning/datasources:ro" -v "$PWD/deploy/grafana/provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro" -v "$PWD/dashboards:/etc/grafana/dashboards/fabricscope:ro" grafana/grafana:12.1.0':
    'Grafana in docker: test/e2e/dashboards-panels.test.ts runs every panel query instead',
  'npm run lint': 'development: the CI runs it',
  'npm run format': 'development: rewrites files',
  'npm run bench': 'the benchmarks, run by hand',
  'npm run bench -- queries 100000000 24': 'a benchmark, run by hand',
  'npm run bench:ingest -- 1000000 4': 'a benchmark, run by hand',
};

/**
 * How long a simulator started in the background must still be running when the next step stops
 * it: the bgp-flap run's flap is through after about 31 s, where it used to end despite --duration.
 */
const stillRunningAfterMs: Record<string, number> = {
  'npx fabricscope simulate --target localhost:50051 --flows 0 --duration 1m --events bgp-flap --event-duration 30s': 40_000,
};

/** Each example, in README order. */
type Example =
  { kind: 'graphql'; text: string; variables?: Record<string, unknown> } | { kind: 'command'; text: string };

/**
 * The examples of the README: ```graphql blocks whole (with the ```json block right after one as its
 * variables), and each command of the ```sh blocks.
 */
function readmeExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  let end = 0;
  for (const block of markdown.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)) {
    const [, lang, body] = block;
    const previous = examples.at(-1);
    const adjacent = markdown.slice(end, block.index).trim() === '';
    end = block.index + block[0].length;
    if (lang === 'json' && adjacent && previous?.kind === 'graphql')
      previous.variables = JSON.parse(body!) as Record<string, unknown>;
    if (lang === 'graphql') examples.push({ kind: 'graphql', text: body! });
    if (lang !== 'sh') continue;
    for (const command of body!.replace(/\\\n\s*/g, ' ').split('\n')) {
      const text = withoutComment(command).trim().replace(/\s+/g, ' ');
      if (text) examples.push({ kind: 'command', text });
    }
  }
  return examples;
}

/** A line without its trailing `# comment` (a # inside quotes stays). */
function withoutComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) quote = c === quote ? '' : quote;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/** Data in every root field: a list with an element, an object whose lists have one, whose counts are not all 0. */
function isData(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value !== 'object') return Boolean(value);
  const fields = Object.values(value as Record<string, unknown>);
  const lists = fields.filter(Array.isArray);
  if (lists.length > 0) return lists.every((l) => l.length > 0);
  const counts = fields.filter((f) => typeof f === 'number' || (typeof f === 'string' && /^\d+$/.test(f)));
  if (counts.length > 0) return counts.some((c) => Number(c) > 0);
  return fields.some(Boolean);
}

/** The first `token` in an answer whose alarm is of `type`. */
function tokenIn(answer: unknown, type: string): string | undefined {
  if (answer === null || typeof answer !== 'object') return undefined;
  const node = answer as Record<string, unknown>;
  if (typeof node.token === 'string' && String(node.type).endsWith(type)) return node.token;
  for (const child of Object.values(node)) {
    const found = tokenIn(child, type);
    if (found) return found;
  }
  return undefined;
}

interface Simulator {
  text: string;
  child: ChildProcess;
  output: () => string;
  startedAt: number;
}

describe('README examples on a fresh embedded pipeline fed by the simulator', () => {
  let pipeline: PipelineProcess;
  let simulator: Simulator | undefined;
  let lastAnswer: { data?: unknown } = {};
  let lastQuery = '';
  const examples = readmeExamples(readFileSync(readme, 'utf8'));
  /** The README's read-only ClickHouse HTTP endpoint, on a port of the test's. */
  const endpoint = { port: 0, password: 'readme-endpoint-password' };
  const local = (text: string): string =>
    text
      .replaceAll('localhost:50051', pipeline.grpcTarget)
      .replaceAll('localhost:8081', new URL(pipeline.httpUrl).host)
      .replaceAll('localhost:8123', `127.0.0.1:${endpoint.port}`)
      .replaceAll('$SECRET', endpoint.password);

  before(async () => {
    endpoint.port = await freePort();
    pipeline = await startPipelineProcess(mkdtempSync(join(tmpdir(), 'fs-readme-')), {
      args: [
        ...['--clickhouse-http-port', String(endpoint.port), '--clickhouse-http-host', '127.0.0.1'],
        ...['--clickhouse-http-password', endpoint.password],
      ],
    });
  });
  after(() =>
    cleanUp(
      () => simulator && stopChild(simulator.child, 'SIGKILL'),
      () => pipeline?.stop(),
    ),
  );

  /** Starts a simulate line in the background; its output is kept for the summary it prints. */
  function startSimulator(text: string): Simulator {
    const args = local(text).split(' ').slice(2); // after `npx fabricscope`
    const child = killedOnExit(
      spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return { text, child, output: () => output, startedAt: Date.now() };
  }

  /** Ctrl-C, as the README says before another run: it stops cleanly and the collector had taken its state. */
  async function stopSimulator(): Promise<void> {
    if (!simulator) return;
    const { child, text, output, startedAt } = simulator;
    const runFor = stillRunningAfterMs[text] ?? 5000;
    await sleep(Math.max(0, startedAt + runFor - Date.now()));
    assert.equal(child.exitCode, null, `${text} ended before its --duration:\n${output()}`);
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, `${text} exited ${code}:\n${output()}`);
    const state = /acked state \(of sent\): (\d[\d,]*)\/(\d[\d,]*) uves/.exec(output());
    assert.ok(state && state[1] === state[2] && state[1] !== '0', `${text}: state not acked:\n${output()}`);
    simulator = undefined;
  }

  async function simulate(text: string): Promise<void> {
    await stopSimulator();
    const flows = /--flows (\d+)/.exec(text);
    if (flows && flows[1] !== '0' && !text.includes('--duration')) {
      // Ends by itself once its flows are acked.
      const { child, output } = startSimulator(text);
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0, `${text} exited ${code}:\n${output()}`);
      const acked = Number(flows[1]).toLocaleString('en-US');
      assert.match(output(), new RegExp(`acked totals: ${acked} records`));
      return;
    }
    simulator = startSimulator(text);
  }

  /** Sends a query until every root field answers data (the fabric gets there); a mutation once. */
  async function ask(text: string, variables?: Record<string, unknown>): Promise<void> {
    const mutation = /^\s*mutation\b/.test(text);
    const deadline = Date.now() + 150_000;
    for (;;) {
      const query = text.includes('"<token>"')
        ? text.replace(
            '"<token>"',
            JSON.stringify(tokenIn(lastAnswer.data, /type: "([^"]+)"/.exec(text)![1]!)),
          )
        : text;
      const answer = await graphqlRaw(pipeline.graphqlUrl, query, variables);
      const data = (answer.data ?? {}) as Record<string, unknown>;
      const full = !answer.errors && Object.keys(data).length > 0 && Object.values(data).every(isData);
      if (full) {
        if (!mutation) [lastAnswer, lastQuery] = [answer, text];
        return;
      }
      if (mutation && !text.includes('"<token>"'))
        assert.fail(`README mutation answered no data: ${JSON.stringify(answer)}\n${text}`);
      // A token is current until the alarm's content changes: read it again from the query before.
      if (mutation) lastAnswer = await graphqlRaw(pipeline.graphqlUrl, lastQuery);
      if (Date.now() > deadline)
        assert.fail(
          `README example answered no data in 150 s: ${JSON.stringify(answer).slice(0, 2000)}\n${text}`,
        );
      await sleep(1000);
    }
  }

  /** A curl line until it answers data; a stream's (-N) for a few seconds, in which it must bring events. */
  async function curl(text: string): Promise<void> {
    const streaming = text.includes('text/event-stream');
    const command = streaming ? local(text).replace(/^curl /, 'curl --max-time 5 ') : local(text);
    const deadline = Date.now() + 150_000;
    for (;;) {
      const { stdout } = await runTool('sh', ['-c', `${command} || true`], { timeoutMs: 30_000 });
      if (answered(text, stdout)) return;
      if (Date.now() > deadline) assert.fail(`${text} answered no data: ${stdout.slice(0, 2000)}`);
      await sleep(1000);
    }
  }

  /** GraphQL's JSON with data, a stream's events with data, or the endpoint's rows. */
  function answered(text: string, stdout: string): boolean {
    if (text.includes('text/event-stream')) return /^event: next\ndata: \{"data"/m.test(stdout);
    if (!text.includes('/graphql')) return stdout.trim() !== '' && !/Exception/.test(stdout);
    const answer = JSON.parse(stdout) as { data?: Record<string, unknown>; errors?: unknown };
    return !answer.errors && answer.data !== undefined && Object.values(answer.data).every(isData);
  }

  /**
   * `fabricscope why` and `observe`, as processes against the pipeline: each prints something and
   * exits 0; `--follow` runs until it has printed a flow, then is stopped as Ctrl-C stops it.
   */
  async function runCli(text: string): Promise<void> {
    const args = local(text).split(' ').slice(2);
    // Without --server the CLI asks the default local port; the test's pipeline is on another.
    if (!args.includes('--server')) args.push('--server', pipeline.httpUrl);
    const child = killedOnExit(
      spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit');
    if (args.includes('--follow')) {
      const deadline = Date.now() + 60_000;
      while (!output.includes('\n') && child.exitCode === null && Date.now() < deadline) await sleep(200);
      child.kill('SIGINT');
      await exited;
      assert.match(output, /DROPPED/, `${text} printed no denied flow in 60 s:\n${output}`);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code] = (await exited) as [number | null];
    clearTimeout(timer);
    assert.equal(code, 0, `${text} exited ${code}:\n${output}`);
    assert.ok(output.trim() !== '', `${text} printed nothing`);
  }

  it('finds the examples: queries, simulator runs and the commands skipped by design', () => {
    const commands = examples.filter((e) => e.kind === 'command').map((e) => e.text);
    assert.ok(examples.filter((e) => e.kind === 'graphql').length >= 10);
    assert.ok(commands.filter((c) => c.includes('fabricscope simulate')).length >= 5);
    // A skip listed for a command the README no longer has is stale.
    for (const skipped of Object.keys(skippedByDesign)) assert.ok(commands.includes(skipped), skipped);
  });

  it('answers each in order with data, as a newcomer runs them', async (t) => {
    if (!needTools(t, tools.curl)) return;
    for (const example of examples) {
      const { text } = example;
      if (example.kind === 'graphql') await ask(text, example.variables);
      else if (text in skippedByDesign) continue;
      else if (text.startsWith('npx fabricscope simulate ')) await simulate(text);
      else if (/^curl .*localhost:(8081\/graphql|8123\/)/.test(text)) await curl(text);
      else if (/^npx fabricscope (why|observe) /.test(text)) await runCli(text);
      else assert.fail(`README command neither run nor skipped by design here: ${text}`);
    }
    await stopSimulator();
  });
});
