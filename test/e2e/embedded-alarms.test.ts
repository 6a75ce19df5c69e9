import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { UveUpdate } from '../../common/proto.js';
import { cleanUp } from '../../harness/child-processes.js';
import { readUntil } from '../../harness/wait.js';
import {
  graphql,
  graphqlRaw,
  startPipelineProcess,
  type PipelineProcess,
} from '../../harness/pipeline-process.js';
import { buildFabricState, buildTopology, planEvents } from '../../simulator/index.js';
import { publishUves, type PublishStream } from '../../harness/publish-stream.js';

const BGP = 'system-defined-bgp-connectivity';
const NODE_STATUS = 'system-defined-node-status';

interface Alarm {
  name: string;
  type: string;
  state: string;
  token: string;
}
interface Transition {
  name: string;
  kind: string;
  from: string;
  to: string;
}

/**
 * The alarm engine in the embedded pipeline (a real process, chdb): the simulator's faults, published
 * step by step through gRPC as its generators publish them, raise and clear Tungsten Fabric's
 * built-ins, which GraphQL shows; a kill -9 of the process loses no alarm and raises none twice.
 */
describe('embedded pipeline: alarms raised and cleared by simulated faults, across a kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-alarms-'));
  const topo = buildTopology({ vrouters: 2, seed: 3 });
  const state = buildFabricState(topo, Date.now() * 1000);
  const [control] = topo.controlNodes;
  const vrouter = topo.vrouters.at(-1);
  assert.ok(control && vrouter);
  const [flap] = planEvents(topo, [{ kind: 'bgp-flap', target: control.name }], Date.now() * 1000);
  const [down, , up] = flap!.steps;
  let pipeline: PipelineProcess;
  const streams: PublishStream[] = [];

  const ask = <T>(query: string) => graphql<T>(pipeline.graphqlUrl, query);
  const alarmsOf = async (type: string) =>
    (
      await ask<{ alarms: { edges: { node: Alarm }[] } }>(
        `{ alarms(filter: { type: ["${type}"] }) { edges { node { name type state token } } } }`,
      )
    ).alarms.edges.map((e) => e.node);
  const historyOf = async (type: string) =>
    (
      await ask<{ alarmHistory: { edges: { node: Transition }[] } }>(
        `{ alarmHistory(type: "${type}") { edges { node { name kind from to } } } }`,
      )
    ).alarmHistory.edges
      .map((e) => e.node)
      .filter((t) => t.kind === 'STATE')
      .reverse();
  /** A generator's stream (a new epoch after a restart) with its UVEs sent and acked. */
  async function publish(generator: string, epoch: number, uves: readonly UveUpdate[]) {
    const stream = await publishUves(pipeline.grpcTarget, generator, epoch, uves);
    streams.push(stream);
    return stream;
  }
  const stateOf = (generator: string) => state.find((g) => g.generator === generator)!.uves;

  let started = 0;
  before(async () => {
    pipeline = await startPipelineProcess(dataDir, { args: ['--generator-grace', '1s'] });
    started = performance.now();
    for (const { generator, uves } of state) await publish(generator, 1, uves);
  });
  after(() => cleanUp(...streams.map((s) => () => s.close()), () => pipeline?.stop()));

  /** The engine's received → stored histogram: alarms changed, and their seconds summed. */
  async function latency(): Promise<{ count: number; sum: number }> {
    const text = await (
      await fetch(`${pipeline.httpUrl}/metrics?name=fabricscope_alarms_latency_seconds`)
    ).text();
    const value = (series: string) =>
      Number(new RegExp(`^fabricscope_alarms_latency_seconds_${series} (\\S+)$`, 'm').exec(text)?.[1]);
    return { count: value('count'), sum: value('sum') };
  }

  it('raises bgp-connectivity on the control node whose gateway peering goes down, shown by GraphQL', async () => {
    assert.deepEqual(await alarmsOf(BGP), []);
    const before = await latency();
    await publish(control.generator, 2, down!.uves);
    const raised = await readUntil(
      'bgp-connectivity raised',
      () => alarmsOf(BGP),
      (alarms) => alarms.length > 0,
    );
    const elapsedSeconds = (performance.now() - started) / 1000;
    assert.deepEqual(
      raised.map((a) => [a.name, a.state]),
      [[control.name, 'ACTIVE']],
    );
    // From a change received to its alarm stored: positive, and within the time since the first was sent.
    const after = await latency();
    assert.ok(after.count > before.count, 'the raise is observed in fabricscope_alarms_latency_seconds');
    const observed = (after.sum - before.sum) / (after.count - before.count);
    assert.ok(
      observed > 0 && observed < elapsedSeconds,
      `${observed} s per alarm, ${elapsedSeconds} s elapsed`,
    );
    const [alarm] = await ask<{ alarm: { type: string; severity: string; alarmRules: unknown }[] }>(
      `{ alarm(uveType: "control-node", name: "${control.name}") { type severity alarmRules } }`,
    ).then((r) => r.alarm.filter((a) => a.type.endsWith(BGP)));
    assert.equal(alarm?.severity, 'MAJOR');
    assert.match(JSON.stringify(alarm?.alarmRules), /BgpRouterState\.num_up_bgp_peer/);
  });

  it('keeps the alarm across a kill -9 of the process, raised once', async () => {
    const [before] = await alarmsOf(BGP);
    await pipeline.stop('SIGKILL');
    for (const stream of streams.splice(0)) await stream.close();
    pipeline = await startPipelineProcess(dataDir, { args: ['--generator-grace', '1s'] });
    const [after] = await alarmsOf(BGP);
    assert.deepEqual(after, before, 'the same alarm, with the same token');
    assert.deepEqual(
      (await historyOf(BGP)).map((t) => [t.name, t.from, t.to]),
      [[control.name, 'IDLE', 'ACTIVE']],
    );
  });

  it('acknowledges it under its token through the engine; a stale token is refused, naming the current one', async () => {
    const [alarm] = await alarmsOf(BGP);
    assert.ok(alarm);
    const acknowledge = (token: string) =>
      graphqlRaw(
        pipeline.graphqlUrl,
        `mutation($token: String!) { acknowledgeAlarm(uveType: "control-node", name: "${control.name}",
          type: "${BGP}", token: $token) { acknowledged token } }`,
        { token },
      );
    const stale = await acknowledge('not-the-token');
    assert.equal(stale.errors?.[0]?.extensions?.code, 'FAILED_PRECONDITION');
    assert.match(stale.errors?.[0]?.message ?? '', new RegExp(`acknowledge ${alarm.token}`));
    assert.deepEqual((await acknowledge(alarm.token)).data, {
      acknowledgeAlarm: { acknowledged: true, token: alarm.token },
    });
    const acknowledged = await ask<{ alarms: { edges: unknown[] } }>(
      `{ alarms(filter: { type: ["${BGP}"], acknowledged: true }) { edges { cursor } } }`,
    );
    assert.equal(acknowledged.alarms.edges.length, 1);
    const kinds = await ask<{ alarmHistory: { edges: { node: { kind: string } }[] } }>(
      `{ alarmHistory(type: "${BGP}") { edges { node { kind } } } }`,
    );
    assert.deepEqual(
      kinds.alarmHistory.edges.map((e) => e.node.kind),
      ['ACKNOWLEDGED', 'STATE'],
    );
  });

  it('clears it once the peering is Established again', async () => {
    await publish(control.generator, 3, up!.uves);
    assert.deepEqual(
      await readUntil(
        'bgp-connectivity cleared',
        () => alarmsOf(BGP),
        (alarms) => alarms.length === 0,
      ),
      [],
    );
    assert.deepEqual(
      (await historyOf(BGP)).map((t) => [t.from, t.to]),
      [
        ['IDLE', 'ACTIVE'],
        ['ACTIVE', 'IDLE'],
      ],
    );
  });

  it('raises node-status for a vRouter withdrawn after its grace, and clears it when it resends its state', async () => {
    const stream = await publish(vrouter.generator, 2, stateOf(vrouter.generator));
    await stream.close();
    const raised = await readUntil(
      'node-status raised',
      () => alarmsOf(NODE_STATUS),
      (alarms) => alarms.some((a) => a.name === vrouter.name),
    );
    assert.deepEqual(
      raised.filter((a) => a.name === vrouter.name).map((a) => a.state),
      ['ACTIVE'],
    );
    await publish(vrouter.generator, 3, stateOf(vrouter.generator));
    const cleared = await readUntil(
      'node-status cleared',
      () => alarmsOf(NODE_STATUS),
      (alarms) => alarms.every((a) => a.name !== vrouter.name),
    );
    assert.deepEqual(
      cleared.map((a) => a.name),
      [],
    );
  });
});
