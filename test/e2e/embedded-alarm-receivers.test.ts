import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { startWebhookReceiver, type ReceivedNotification } from '../../alarms/index.js';
import type { HttpServer } from '../../common/http.js';
import type { TestEvent } from '../../common/notify/send.js';
import type { UveUpdate } from '../../common/proto.js';
import { cleanUp } from '../../harness/child-processes.js';
import { freePort } from '../../harness/kafka.js';
import { graphqlRaw, startPipelineProcess, type PipelineProcess } from '../../harness/pipeline-process.js';
import { readUntil } from '../../harness/wait.js';
import { buildFabricState, buildTopology, planEvents } from '../../simulator/index.js';
import { publishUves, type PublishStream } from '../../harness/publish-stream.js';

const BGP = 'system-defined-bgp-connectivity';
const SECRET = 'the-run-time-receivers-secret';
const CONFIG_SECRET = 'the-configured-receivers-secret';
const WRONG_SECRET = 'a-secret-the-receiver-does-not-know';
const SECRETS = new RegExp([SECRET, CONFIG_SECRET, WRONG_SECRET].join('|'));
const ENDPOINT_PASSWORD = 'the-grafana-users-password';

/** Every file under a directory, with its bytes. */
const filesUnder = (dir: string): { path: string; bytes: Buffer }[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, bytes: readFileSync(path) }));

/** A signed-webhook receiver (the example one) keeping what it verified and what it refused. */
async function recorder(secret: string) {
  const r = {
    notifications: [] as ReceivedNotification[],
    tests: [] as TestEvent[],
    refused: [] as string[],
    server: undefined as HttpServer | undefined,
    url: '',
    events: (kind: string) =>
      r.notifications.filter((n) => n.event.alarm.type.endsWith(BGP) && n.event.event === kind),
  };
  r.server = await startWebhookReceiver({
    secret,
    onNotification: (n) => void r.notifications.push(n),
    onTest: (t) => void r.tests.push(t),
    onRefused: (reason) => void r.refused.push(reason),
  });
  r.url = `http://127.0.0.1:${r.server.port}/`;
  return r;
}

interface Receiver {
  name: string;
  source: string;
  enabled: boolean;
  url: string;
  types: string[] | null;
  secretSet: boolean;
  version: number;
}
const FIELDS = 'name source enabled url types secretSet version';

/**
 * Receivers managed at run time on the embedded pipeline (a real process, chdb): one created through
 * GraphQL is sent a real alarm, signed under its secret; test-sent; disabled (the clear reaches only
 * the configured receiver), enabled again (the next raise reaches it), kept across a restart, after
 * which it is still signed under its secret. No GraphQL answer, no line of the pipeline's log (at
 * debug), no row the read-only ClickHouse HTTP endpoint answers and no byte of the bus log holds a
 * secret: they are sealed under the key the pipeline generated in its data dir.
 */
describe('embedded pipeline: webhook receivers created, tested, disabled and deleted through GraphQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-receivers-'));
  const topo = buildTopology({ vrouters: 1, seed: 5 });
  const state = buildFabricState(topo, Date.now() * 1000);
  const [control] = topo.controlNodes;
  assert.ok(control);
  const [flap] = planEvents(topo, [{ kind: 'bgp-flap', target: control.name }], Date.now() * 1000);
  const [down, , up] = flap!.steps;
  let runtime: Awaited<ReturnType<typeof recorder>>;
  let configured: Awaited<ReturnType<typeof recorder>>;
  let pipeline: PipelineProcess;
  const streams: PublishStream[] = [];
  let args: string[];
  /** The log of each pipeline process stopped. */
  const logs: string[] = [];
  /** Every GraphQL answer, as the client read it. */
  const answers: string[] = [];
  /** A Grafana user of the ClickHouse HTTP endpoint, which may run any SELECT. */
  let grafana: ClickHouseClient;

  const ask = async (query: string, variables: Record<string, unknown> = {}) => {
    const answer = await graphqlRaw(pipeline.graphqlUrl, query, variables);
    answers.push(JSON.stringify(answer));
    return answer;
  };
  const data = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const answer = await ask(query, variables);
    if (answer.errors) throw new Error(`GraphQL errors: ${JSON.stringify(answer.errors)}`);
    return answer.data as T;
  };
  const publish = async (epoch: number, uves: readonly UveUpdate[]) =>
    streams.push(await publishUves(pipeline.grpcTarget, control.generator, epoch, uves));
  const receivers = async () =>
    (await data<{ alarmReceivers: Receiver[] }>(`{ alarmReceivers { ${FIELDS} } }`)).alarmReceivers;
  /** What the runtime receiver was sent or given up, per the pipeline's metrics. */
  const runtimeCounts = async () => {
    const text = await (await fetch(`${pipeline.httpUrl}/metrics`)).text();
    return ['delivered_total', 'dead_total', 'queued'].map((metric) =>
      [
        ...text.matchAll(
          new RegExp(
            `^fabricscope_alarm_notifications_${metric}\\{[^}]*receiver="runtime"[^}]*\\} (\\d+)`,
            'gm',
          ),
        ),
      ]
        .map((m) => Number(m[1]))
        .reduce((a, b) => a + b, 0),
    );
  };

  before(async () => {
    runtime = await recorder(SECRET);
    configured = await recorder(CONFIG_SECRET);
    const webhooks = [{ name: 'configured', url: configured.url, secret: CONFIG_SECRET, types: [`*${BGP}`] }];
    const endpoint = [
      '--clickhouse-http-port',
      String(await freePort()),
      '--clickhouse-http-host',
      '127.0.0.1',
    ];
    args = [
      ...['--generator-grace', '1s', '--log-level', 'debug', '--alarm-webhooks', JSON.stringify(webhooks)],
      ...[...endpoint, '--clickhouse-http-user', 'grafana', '--clickhouse-http-password', ENDPOINT_PASSWORD],
    ];
    grafana = createClient({
      url: `http://127.0.0.1:${endpoint[1]}`,
      username: 'grafana',
      password: ENDPOINT_PASSWORD,
    });
    pipeline = await startPipelineProcess(dataDir, { args, keepOutput: true });
    for (const { generator, uves } of state) {
      streams.push(await publishUves(pipeline.grpcTarget, generator, 1, uves));
    }
  });
  after(() =>
    cleanUp(
      ...streams.map((s) => () => s.close()),
      () => grafana?.close(),
      () => pipeline?.stop(),
      () => runtime?.server?.close(),
      () => configured?.server?.close(),
    ),
  );

  it('lists the configured receiver, marked so, its secret withheld', async () => {
    const [only] = await receivers();
    assert.deepEqual(only, {
      ...{ name: 'configured', source: 'CONFIG', enabled: true, url: configured.url },
      ...{ types: [`*${BGP}`], secretSet: true, version: 1 },
    });
  });

  it('creates a receiver that a real alarm then reaches, signed under its secret', async () => {
    const created = await data<{ createAlarmReceiver: Receiver }>(
      `mutation($receiver: AlarmReceiverInput!, $secret: Secret!) {
        createAlarmReceiver(name: "runtime", receiver: $receiver, secret: $secret, author: "e2e") { ${FIELDS} } }`,
      { receiver: { url: runtime.url, types: [`*${BGP}`], timeout: '5s' }, secret: SECRET },
    );
    assert.deepEqual(created.createAlarmReceiver, {
      ...{ name: 'runtime', source: 'API', enabled: true, url: runtime.url },
      ...{ types: [`*${BGP}`], secretSet: true, version: 1 },
    });
    await publish(2, down!.uves);
    const [raised] = await readUntil(
      'the raise at the new receiver',
      async () => runtime.events('raised'),
      (e) => e.length > 0,
    );
    assert.equal(raised!.event.alarm.uveName, control.name);
    assert.equal(raised!.idempotencyKey, raised!.event.id);
    assert.deepEqual(runtime.refused, [], 'every request it was sent verified under its secret');
    await readUntil(
      'the raise at the configured receiver',
      async () => configured.events('raised'),
      (e) => e.length > 0,
    );
  });

  it('test-sends one signed delivery and tells what the receiver answered, a refusal too', async () => {
    const sent = await data<{ testAlarmReceiver: Record<string, unknown> }>(
      'mutation { testAlarmReceiver(name: "runtime") { receiver id delivered statusCode latencyMs error } }',
    );
    const { id, latencyMs, ...outcome } = sent.testAlarmReceiver;
    assert.deepEqual(outcome, { receiver: 'runtime', delivered: true, statusCode: 204, error: null });
    assert.ok(typeof latencyMs === 'number' && latencyMs > 0);
    assert.deepEqual(
      runtime.tests.map((t) => [t.id, t.event, t.receiver]),
      [[id, 'test', 'runtime']],
      'the receiver verified it and read it as a test',
    );

    // The same receiver under a secret it does not know: it refuses the signature.
    await data(
      `mutation($receiver: AlarmReceiverInput!, $secret: Secret!) {
        createAlarmReceiver(name: "mismatched", receiver: $receiver, secret: $secret) { name } }`,
      { receiver: { url: runtime.url, names: ['nothing-*'] }, secret: WRONG_SECRET },
    );
    const refused = await data<{ testAlarmReceiver: Record<string, unknown> }>(
      'mutation { testAlarmReceiver(name: "mismatched") { delivered statusCode error } }',
    );
    assert.deepEqual(refused.testAlarmReceiver, {
      delivered: false,
      statusCode: 401,
      error: `${new URL(runtime.url).origin} answered 401: signature does not match the body`,
    });
  });

  it('holds every secret sealed: in the warehouse, as any SELECT reads it, and in the bus log', async () => {
    const rows = await (
      await grafana.query({ query: 'SELECT name, secret FROM alarm_receivers', format: 'JSONEachRow' })
    ).json<{ name: string; secret: string }>();
    assert.deepEqual(rows.map((r) => r.name).sort(), ['configured', 'mismatched', 'runtime']);
    for (const { name, secret } of rows) {
      assert.match(secret, /^v1:[A-Za-z0-9+/]+=*$/, `${name}'s secret is sealed`);
      assert.doesNotMatch(secret, SECRETS);
    }
    const bus = filesUnder(join(dataDir, 'bus'));
    assert.ok(
      bus.some((f) => f.bytes.includes('receiver:runtime')),
      'the bus log holds the receiver commands',
    );
    for (const { path, bytes } of bus) {
      for (const secret of [SECRET, CONFIG_SECRET, WRONG_SECRET]) {
        assert.equal(bytes.includes(secret), false, `${path} holds no plain secret`);
      }
    }
    assert.equal(
      statSync(join(dataDir, 'secrets.key')).mode & 0o777,
      0o600,
      'the key, generated, is private',
    );
  });

  it('disables a receiver: the clear reaches only the configured one', async () => {
    const disabled = await data<{ disableAlarmReceiver: Receiver }>(
      'mutation { disableAlarmReceiver(name: "runtime", author: "e2e") { enabled version } }',
    );
    assert.deepEqual(disabled.disableAlarmReceiver, { enabled: false, version: 2 });
    const before = await runtimeCounts();
    await publish(3, up!.uves);
    await readUntil(
      'the clear at the configured receiver',
      async () => configured.events('cleared'),
      (e) => e.length > 0,
    );
    // Its deliveries are queued in the step that queues the configured one's: none was made.
    assert.deepEqual(await runtimeCounts(), before, 'the disabled receiver was given no delivery');
    assert.deepEqual(runtime.events('cleared'), []);
  });

  it('enabled again, the receiver is sent the next raise', async () => {
    await data('mutation { enableAlarmReceiver(name: "runtime") { enabled } }');
    await publish(4, down!.uves);
    await readUntil(
      'the second raise at the receiver',
      async () => runtime.events('raised'),
      (e) => e.length === 2,
    );
  });

  it('deletes a receiver of the API, not a configured one', async () => {
    const refused = await ask('mutation { deleteAlarmReceiver(name: "configured") }');
    assert.equal(refused.errors?.[0]?.extensions?.code, 'FAILED_PRECONDITION');
    assert.deepEqual(await data('mutation { deleteAlarmReceiver(name: "mismatched") }'), {
      deleteAlarmReceiver: true,
    });
    assert.deepEqual(
      (await receivers()).map((r) => [r.name, r.source, r.enabled]),
      [
        ['configured', 'CONFIG', true],
        ['runtime', 'API', true],
      ],
    );
  });

  it('keeps across a restart the receivers written at run time and a configured one disabled', async () => {
    await data('mutation { disableAlarmReceiver(name: "configured") { enabled } }');
    const kept = await receivers();
    const log = pipeline.output();
    await pipeline.stop();
    for (const stream of streams.splice(0)) await stream.close();
    pipeline = await startPipelineProcess(dataDir, { args, keepOutput: true });
    assert.deepEqual(
      await receivers(),
      kept,
      'the same versions: the configuration, unchanged, stored nothing',
    );
    assert.equal(kept.find((r) => r.name === 'configured')?.enabled, false);
    logs.push(log);
  });

  it('signs under the same secret after the restart: a test delivery and the clear of the raise', async () => {
    // The one refusal so far: the test delivery signed under the mismatched receiver's secret.
    const refusals = runtime.refused.length;
    const sent = await data<{ testAlarmReceiver: { delivered: boolean; statusCode: number } }>(
      'mutation { testAlarmReceiver(name: "runtime") { delivered statusCode } }',
    );
    assert.deepEqual(sent.testAlarmReceiver, { delivered: true, statusCode: 204 });
    await publish(5, up!.uves);
    await readUntil(
      'the clear at the receiver, from the restarted engine',
      async () => runtime.events('cleared'),
      (e) => e.length > 0,
    );
    assert.deepEqual(runtime.refused.slice(refusals), [], 'each verified under its secret');
  });

  it('never showed nor logged a secret', () => {
    const log = [...logs, pipeline.output()].join('');
    assert.match(log, /stored an alarm receiver/, 'the log holds the receiver changes');
    assert.match(log, /sent a test delivery/);
    assert.match(log, /"level":20/, 'the log is at debug');
    assert.doesNotMatch(log, SECRETS);
    for (const answer of answers) assert.doesNotMatch(answer, SECRETS);
  });
});
