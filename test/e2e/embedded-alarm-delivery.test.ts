import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startWebhookReceiver, type AlarmEvent, type ReceivedNotification } from '../../alarms/index.js';
import { startHttpServer, type HttpServer } from '../../common/http.js';
import type { UveUpdate } from '../../common/proto.js';
import { startAlertmanager, type AlertmanagerServer } from '../../harness/alertmanager.js';
import { cleanUp } from '../../harness/child-processes.js';
import { freePort } from '../../harness/kafka.js';
import { graphql, startPipelineProcess, type PipelineProcess } from '../../harness/pipeline-process.js';
import { suiteNeeds, tools } from '../../harness/system-tools.js';
import { readUntil } from '../../harness/wait.js';
import { buildFabricState, buildTopology, planEvents } from '../../simulator/index.js';
import { publishUves, type PublishStream } from '../../harness/publish-stream.js';

const BGP = 'system-defined-bgp-connectivity';
const SECRET = 'a-receiver-secret-of-some-length';

/** A signed-webhook receiver that keeps every verified request, including those it answers 503. */
interface Recorder {
  name: string;
  port: number;
  received: ReceivedNotification[];
  refused: string[];
  server?: HttpServer;
  start(): Promise<void>;
}

/** `behave` is told how many times this receiver was sent the raise of bgp-connectivity, this one included. */
function recorder(name: string, behave: (raises: number) => Promise<void>): Recorder {
  const r: Recorder = {
    name,
    port: 0,
    received: [],
    refused: [],
    start: async () => {
      r.server = await startWebhookReceiver({
        secret: SECRET,
        port: r.port,
        onNotification: async (n) => {
          r.received.push(n);
          const raise = n.event.alarm.type.endsWith(BGP) && n.event.event === 'raised';
          if (raise)
            await behave(
              r.received.filter((m) => m.event.event === 'raised' && m.event.alarm.type.endsWith(BGP)).length,
            );
        },
        onRefused: (reason) => r.refused.push(reason),
      });
      r.port = r.server.port;
    },
  };
  return r;
}

interface AlertmanagerWebhook {
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

/**
 * Alarm delivery on real peers: the embedded pipeline (a real process) with three signed webhooks —
 * one failing its first attempts, one down until after a kill -9 of fabricscope, one slower than its
 * timeout at first — and two Alertmanagers (an HA pair) routing to a webhook of this test. A
 * simulated bgp-flap raises bgp-connectivity and clears it.
 */
describe(
  'embedded pipeline: alarm notifications to webhooks and Alertmanager, across a kill -9',
  suiteNeeds(tools.alertmanager),
  () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fs-delivery-'));
    const topo = buildTopology({ vrouters: 1, seed: 5 });
    const state = buildFabricState(topo, Date.now() * 1000);
    const [control] = topo.controlNodes;
    assert.ok(control);
    const [flap] = planEvents(topo, [{ kind: 'bgp-flap', target: control.name }], Date.now() * 1000);
    const [down, , up] = flap!.steps;
    const flaky = recorder('flaky', async (raises) => {
      if (raises <= 3) throw new Error(`refusing attempt ${raises}`);
    });
    const slow = recorder('slow', async (raises) => sleep(raises === 1 ? 2500 : 200));
    const late = recorder('late', async () => undefined);
    const amWebhooks: { path: string; body: AlertmanagerWebhook }[] = [];
    let amReceiver: HttpServer;
    const alertmanagers: AlertmanagerServer[] = [];
    let pipeline: PipelineProcess;
    let args: string[];
    const streams: PublishStream[] = [];

    async function publish(generator: string, epoch: number, uves: readonly UveUpdate[]) {
      const stream = await publishUves(pipeline.grpcTarget, generator, epoch, uves);
      streams.push(stream);
      return stream;
    }
    const eventsOf = (r: Recorder, kind: string): ReceivedNotification[] =>
      r.received.filter((n) => n.event.alarm.type.endsWith(BGP) && n.event.event === kind);
    /** The alerts Alertmanager shows now (resolved ones are not). */
    const shownBy = async (am: AlertmanagerServer) =>
      (
        (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as { labels: Record<string, string> }[]
      ).filter((a) => a.labels.alertname === BGP);
    /** How many firing alerts Alertmanager was sent. */
    const firingReceived = async (am: AlertmanagerServer) =>
      Number(
        /^alertmanager_alerts_received_total\{status="firing",version="v2"\} (\d+)/m.exec(
          await (await fetch(`${am.url}/metrics`)).text(),
        )?.[1] ?? 0,
      );
    const amAlerts = (path: string, status: string) =>
      amWebhooks
        .filter((w) => w.path === path)
        .flatMap((w) => w.body.alerts)
        .filter((a) => a.status === status && a.labels.alertname === BGP);

    before(async () => {
      amReceiver = await startHttpServer({
        host: '127.0.0.1',
        port: 0,
        routes: {
          '/am': (req, res) => {
            const chunks: Buffer[] = [];
            req.on('data', (c: Buffer) => chunks.push(c));
            req.on('end', () => {
              const body = JSON.parse(Buffer.concat(chunks).toString()) as AlertmanagerWebhook;
              amWebhooks.push({ path: req.url!, body });
              res.writeHead(200).end();
            });
          },
        },
      });
      for (const path of ['/am/1', '/am/2']) {
        alertmanagers.push(await startAlertmanager(`http://127.0.0.1:${amReceiver.port}${path}`));
      }
      await flaky.start();
      await slow.start();
      late.port = await freePort(); // not listening until after the kill -9
      const receiver = (r: Recorder, extra: object = {}) => ({
        name: r.name,
        url: `http://127.0.0.1:${r.port}/`,
        secret: SECRET,
        ...extra,
      });
      const httpPort = await freePort();
      args = [
        ...['--generator-grace', '1s', '--http-port', String(httpPort)],
        ...['--alarm-link-url', `http://127.0.0.1:${httpPort}/graphql`],
        ...['--alertmanager-urls', alertmanagers.map((a) => a.url).join(',')],
        ...['--alertmanager-resend-interval', '1s'],
        '--alarm-webhooks',
        JSON.stringify([
          receiver(flaky, { types: ['*bgp-connectivity'], severities: ['major'] }),
          receiver(slow, { timeout: '1s', concurrency: 1 }),
          receiver(late),
          // Takes nothing of this test's: its filter names another UVE.
          { ...receiver(late), name: 'elsewhere', names: ['compute-*'] },
        ]),
      ];
      pipeline = await startPipelineProcess(dataDir, { args });
      for (const { generator, uves } of state) await publish(generator, 1, uves);
    });
    after(() =>
      cleanUp(
        ...streams.map((s) => () => s.close()),
        () => pipeline?.stop(),
        ...[flaky, slow, late].map((r) => () => r.server?.close()),
        ...alertmanagers.map((a) => () => a.stop()),
        () => amReceiver?.close(),
      ),
    );

    it('sends the raise to every receiver, through refusals and a timeout, and to both Alertmanagers', async () => {
      await publish(control.generator, 2, down!.uves);
      await readUntil(
        'the raise accepted by flaky and slow',
        async () => [flaky, slow].map((r) => eventsOf(r, 'raised').length),
        (counts) => counts[0]! >= 4 && counts[1]! >= 2,
      );
      for (const path of ['/am/1', '/am/2']) {
        await readUntil(
          `firing from ${path}`,
          async () => amAlerts(path, 'firing'),
          (a) => a.length > 0,
        );
      }
      for (const am of alertmanagers) {
        await readUntil(
          'the active alarm sent again',
          () => firingReceived(am),
          (n) => n >= 3,
        );
      }
      const [alert] = amAlerts('/am/1', 'firing');
      assert.deepEqual(
        { ...alert!.labels },
        {
          alertname: BGP,
          severity: 'major',
          uve_type: 'control-node',
          uve_name: control.name,
          alarm_type: alert!.labels.alarm_type,
        },
      );
      assert.match(alert!.annotations.matches ?? '', /BgpRouterState\.num_up_bgp_peer/);
      const [raised] = eventsOf(flaky, 'raised');
      const event: AlarmEvent = raised!.event;
      assert.equal(event.alarm.uveName, control.name);
      assert.equal(event.alarm.state, 'Active');
      assert.match(JSON.stringify(event.alarm.matches), /BgpRouterState\.num_up_bgp_peer/);
      const shown = await graphql<{ alarm: { type: string; token: string }[] }>(
        pipeline.graphqlUrl,
        new URL(event.link).searchParams.get('query')!,
      );
      assert.deepEqual(
        shown.alarm.filter((a) => a.type === event.alarm.type).map((a) => a.token),
        [event.alarm.token],
        "the link's query shows the alarm notified",
      );
    });

    it('resumes the deliveries pending for a receiver that was down across a kill -9', async () => {
      await pipeline.stop('SIGKILL');
      for (const stream of streams.splice(0)) await stream.close();
      pipeline = await startPipelineProcess(dataDir, { args });
      await late.start();
      await readUntil(
        'the raise at late',
        async () => eventsOf(late, 'raised'),
        (e) => e.length > 0,
      );
    });

    it('sends an acknowledgement to every receiver', async () => {
      const [raised] = eventsOf(flaky, 'raised');
      const { type, token } = raised!.event.alarm;
      await graphql(
        pipeline.graphqlUrl,
        `mutation { acknowledgeAlarm(uveType: "control-node", name: "${control.name}", type: "${type}",
        token: "${token}") { acknowledged } }`,
      );
      const acknowledged = await readUntil(
        'the acknowledgement at every receiver',
        async () => [flaky, slow, late].map((r) => eventsOf(r, 'acknowledged')),
        (events) => events.every((e) => e.length > 0),
      );
      for (const [n] of acknowledged) {
        assert.deepEqual([n!.event.alarm.acknowledged, n!.event.alarm.token], [true, token]);
      }
    });

    it('sends the clear to every receiver, and Alertmanager resolves the alert', async () => {
      await publish(control.generator, 3, up!.uves);
      await readUntil(
        'the clear at every receiver',
        async () => [flaky, slow, late].map((r) => eventsOf(r, 'cleared').length),
        (counts) => counts.every((n) => n > 0),
      );
      for (const path of ['/am/1', '/am/2']) {
        await readUntil(
          `resolved from ${path}`,
          async () => amAlerts(path, 'resolved'),
          (a) => a.length > 0,
        );
      }
      for (const am of alertmanagers) assert.deepEqual(await shownBy(am), [], 'no resend brought it back');
    });

    it('signed every request, and every repeat carries the same key and the same body', () => {
      for (const r of [flaky, slow, late]) {
        assert.deepEqual(
          r.refused.filter((reason) => !reason.startsWith('not handled: refusing attempt')),
          [],
          `${r.name} found every signature valid`,
        );
        const byKey = new Map<string, string[]>();
        for (const n of r.received) {
          byKey.set(n.idempotencyKey, [...(byKey.get(n.idempotencyKey) ?? []), JSON.stringify(n.event)]);
        }
        for (const [key, bodies] of byKey) {
          assert.equal(new Set(bodies).size, 1, `${r.name}: one body under ${key}`);
          assert.equal(JSON.parse(bodies[0]!).id, key);
        }
        const kinds = [...byKey.values()]
          .map((bodies) => JSON.parse(bodies[0]!) as AlarmEvent)
          .filter((e) => e.alarm.type.endsWith(BGP))
          .map((e) => e.event);
        assert.deepEqual(
          kinds,
          ['raised', 'acknowledged', 'cleared'],
          `${r.name}: the raise, the acknowledgement and the clear, once each`,
        );
      }
      assert.ok(eventsOf(flaky, 'raised').length >= 4, 'the refused attempts were repeated');
      assert.ok(eventsOf(slow, 'raised').length >= 2, 'the attempt slow answered too late was repeated');
    });
  },
);
