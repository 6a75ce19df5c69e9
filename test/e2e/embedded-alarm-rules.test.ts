import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { UveUpdate } from '../../common/proto.js';
import { cleanUp } from '../../harness/child-processes.js';
import {
  graphql,
  graphqlRaw,
  startPipelineProcess,
  type PipelineProcess,
} from '../../harness/pipeline-process.js';
import { pipelineDrained, readUntil } from '../../harness/wait.js';
import { buildFabricState, buildTopology, planEvents } from '../../simulator/index.js';
import { publishUves, type PublishStream } from '../../harness/publish-stream.js';

const CUSTOM = 'default-global-system-config:vrouter-control-ip';
const BGP = 'default-global-system-config:system-defined-bgp-connectivity';

interface Rule {
  type: string;
  source: string;
  version: number;
  enabled: boolean;
  updatedBy: string | null;
}

/** A rule raised on the vRouter whose control_ip is `ip` (TF's format, as an operator writes it). */
const controlIpRule = (ip: string) => ({
  name: 'vrouter-control-ip',
  alarm_severity: 2,
  id_perms: { description: 'A vRouter on a control address being drained.' },
  uve_keys: { uve_key: ['vrouter'] },
  alarm_rules: {
    or_list: [
      {
        and_list: [
          {
            operand1: 'VrouterAgent.control_ip',
            operation: '==',
            operand2: { json_value: JSON.stringify(ip) },
            variables: ['VrouterAgent.xmpp_peer_list.ip'],
          },
        ],
      },
    ],
  },
});

const RULE_FIELDS = 'type source version enabled updatedBy';

/**
 * Rules written at run time in the embedded pipeline (a real process, chdb): written through
 * GraphQL, stored by the engine, which raises and clears the alarms they cover over the simulated
 * fabric's UVEs; a built-in disabled stays disabled, its alarm cleared, across a restart.
 */
describe('embedded pipeline: alarm rules created, replaced, refused and disabled through GraphQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-alarm-rules-'));
  const topo = buildTopology({ vrouters: 2, seed: 5 });
  const state = buildFabricState(topo, Date.now() * 1000);
  const [control] = topo.controlNodes;
  const vrouter = topo.vrouters.at(-1);
  assert.ok(control && vrouter);
  const [flap] = planEvents(topo, [{ kind: 'bgp-flap', target: control.name }], Date.now() * 1000);
  const down = flap!.steps[0]!;
  let pipeline: PipelineProcess;
  const streams: PublishStream[] = [];

  const ask = <T>(query: string, variables?: Record<string, unknown>) =>
    graphql<T>(pipeline.graphqlUrl, query, variables);
  const raw = (query: string, variables?: Record<string, unknown>) =>
    graphqlRaw(pipeline.graphqlUrl, query, variables);
  const alarmsOf = async (type: string) =>
    (
      await ask<{ alarms: { edges: { node: { name: string; state: string } }[] } }>(
        `{ alarms(filter: { type: ["${type}"] }) { edges { node { name state } } } }`,
      )
    ).alarms.edges.map((e) => [e.node.name, e.node.state]);
  const ruleOf = async (type: string) =>
    (await ask<{ alarmRules: Rule[] }>(`{ alarmRules { ${RULE_FIELDS} } }`)).alarmRules.find(
      (r) => r.type === type,
    );
  const transitionsOf = async (type: string) =>
    (
      await ask<{
        alarmHistory: { edges: { node: { name: string; kind: string; from: string; to: string } }[] };
      }>(`{ alarmHistory(type: "${type}") { edges { node { name kind from to } } } }`)
    ).alarmHistory.edges
      .map((e) => e.node)
      .filter((t) => t.kind === 'STATE')
      .map((t) => [t.name, t.from, t.to])
      .reverse();
  async function publish(generator: string, epoch: number, uves: readonly UveUpdate[]) {
    const stream = await publishUves(pipeline.grpcTarget, generator, epoch, uves);
    streams.push(stream);
    return stream;
  }
  const controlIp = (): string => {
    const agent = state
      .flatMap((g) => g.uves)
      .find((u) => u.type === 'vrouter' && u.name === vrouter.name && u.structType === 'VrouterAgent');
    return (JSON.parse(agent!.attributesJson) as { control_ip: string }).control_ip;
  };

  before(async () => {
    pipeline = await startPipelineProcess(dataDir);
    for (const { generator, uves } of state) await publish(generator, 1, uves);
  });
  after(() => cleanUp(...streams.map((s) => () => s.close()), () => pipeline?.stop()));

  it('creates a custom rule, which raises its alarm on the UVE it matches', async () => {
    const created = await ask<{ createAlarmRule: Rule }>(
      `mutation($rule: JSON!) { createAlarmRule(rule: $rule, author: "ops") { ${RULE_FIELDS} } }`,
      { rule: controlIpRule(controlIp()) },
    );
    assert.deepEqual(created.createAlarmRule, {
      type: CUSTOM,
      source: 'CUSTOM',
      version: 1,
      enabled: true,
      updatedBy: 'ops',
    });
    assert.deepEqual(
      await readUntil(
        'the custom alarm raised',
        () => alarmsOf(CUSTOM),
        (a) => a.length > 0,
      ),
      [[vrouter.name, 'ACTIVE']],
    );
    // The alarm says what its rule says of itself (id_perms.description), as a built-in's does.
    const described = await ask<{ alarms: { edges: { node: { description: string | null } }[] } }>(
      `{ alarms(filter: { type: ["${CUSTOM}"] }) { edges { node { description } } } }`,
    );
    assert.deepEqual(
      described.alarms.edges.map((e) => e.node.description),
      ['A vRouter on a control address being drained.'],
    );
  });

  it('replaces it from its version so that it no longer matches: the alarm is cleared; a stale version is refused', async () => {
    const replace = (version: number) =>
      raw(
        `mutation($rule: JSON!, $version: Int!) {
          replaceAlarmRule(name: "vrouter-control-ip", rule: $rule, expectedVersion: $version) { ${RULE_FIELDS} } }`,
        { rule: controlIpRule('203.0.113.1'), version },
      );
    const stale = await replace(0);
    assert.equal(stale.errors?.[0]?.extensions?.code, 'FAILED_PRECONDITION');
    assert.match(stale.errors?.[0]?.message ?? '', /at version 1, not 0/);
    const replaced = await replace(1);
    assert.deepEqual((replaced.data as { replaceAlarmRule: Rule }).replaceAlarmRule.version, 2);
    assert.deepEqual(
      await readUntil(
        'the custom alarm cleared',
        () => alarmsOf(CUSTOM),
        (a) => a.length === 0,
      ),
      [],
    );
    assert.deepEqual(await transitionsOf(CUSTOM), [
      [vrouter.name, 'IDLE', 'ACTIVE'],
      [vrouter.name, 'ACTIVE', 'IDLE'],
    ]);
  });

  it('refuses a rule that does not parse, naming the path at fault, and stores nothing', async () => {
    const bad = controlIpRule('10.0.0.1');
    bad.name = 'bad-rule';
    bad.alarm_rules.or_list[0]!.and_list[0]!.operation = 'like';
    const refused = await raw(`mutation($rule: JSON!) { createAlarmRule(rule: $rule) { type } }`, {
      rule: bad,
    });
    assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(
      refused.errors?.[0]?.message ?? '',
      /alarm_rules\.or_list\[0\]\.and_list\[0\]\.operation: unknown operation "like"/,
    );
    assert.equal(await ruleOf('default-global-system-config:bad-rule'), undefined);
  });

  it('disables a built-in that is raised: its alarm is cleared at once, as a stored transition', async () => {
    await publish(control.generator, 2, down.uves);
    await readUntil(
      'bgp-connectivity raised',
      () => alarmsOf(BGP),
      (a) => a.length > 0,
    );
    const disabled = await ask<{ disableAlarmRule: Rule }>(
      `mutation { disableAlarmRule(name: "system-defined-bgp-connectivity", author: "ops") { ${RULE_FIELDS} } }`,
    );
    assert.deepEqual(disabled.disableAlarmRule, {
      type: BGP,
      source: 'BUILTIN',
      version: 1,
      enabled: false,
      updatedBy: 'ops',
    });
    await readUntil(
      'bgp-connectivity cleared',
      () => alarmsOf(BGP),
      (a) => a.length === 0,
    );
    assert.deepEqual(await transitionsOf(BGP), [
      [control.name, 'IDLE', 'ACTIVE'],
      [control.name, 'ACTIVE', 'IDLE'],
    ]);
  });

  it('keeps the built-in disabled and its alarm cleared across a restart, the peering still down', async () => {
    await pipeline.stop();
    for (const stream of streams.splice(0)) await stream.close();
    pipeline = await startPipelineProcess(dataDir);
    await publish(control.generator, 3, down.uves);
    await pipelineDrained(pipeline);
    assert.deepEqual(await ruleOf(BGP), {
      type: BGP,
      source: 'BUILTIN',
      version: 1,
      enabled: false,
      updatedBy: 'ops',
    });
    assert.deepEqual(await ruleOf(CUSTOM), {
      type: CUSTOM,
      source: 'CUSTOM',
      version: 2,
      enabled: true,
      updatedBy: null,
    });
    assert.deepEqual(await alarmsOf(BGP), []);
    assert.equal((await transitionsOf(BGP)).length, 2, 'raised once, cleared once');
  });

  it('enables it again: the alarm is raised over the UVE as it stands', async () => {
    await ask(`mutation { enableAlarmRule(name: "${BGP}") { version } }`);
    assert.deepEqual(
      await readUntil(
        'bgp-connectivity raised again',
        () => alarmsOf(BGP),
        (a) => a.length > 0,
      ),
      [[control.name, 'ACTIVE']],
    );
  });
});
