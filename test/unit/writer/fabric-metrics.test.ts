import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { TopicKind } from '../../../common/bus/bus.js';
import { loadConfig } from '../../../common/config.js';
import {
  encode,
  FlowAction,
  FlowBatchSchema,
  FlowDirection,
  GeneratorEventBatchSchema,
  GeneratorEventType,
  UveBatchSchema,
} from '../../../common/proto.js';
import { writerOptions } from '../../../writer/config.js';
import { labelContexts, parseLabelContexts } from '../../../writer/fabric-metrics/config.js';
import { FabricMetrics } from '../../../writer/fabric-metrics/index.js';

const agent = (i: number) => `compute-${i}:Compute:contrail-vrouter-agent:0`;
const control = 'control-1:Control:contrail-control:0';

/** A FabricMetrics on its own registry, fed batches as the writer stores them. */
function fabric(labels = '', maxSeries = 100) {
  const config = loadConfig(
    writerOptions,
    { fabricMetricsLabels: labels, fabricMetricsMaxSeries: maxSeries },
    {},
  );
  const registry = new Registry();
  const metrics = new FabricMetrics(config, registry);
  let receivedAt = 1;
  const feed = (topic: TopicKind, generator: string, value: Buffer): void =>
    metrics.observe(topic, {
      header: { generator, epoch: 1, seq: receivedAt, receivedAt: receivedAt++ },
      value,
      start: 0,
      end: value.length,
    });
  return {
    registry,
    flows: (generator: string, records: object[]) =>
      feed('flows', generator, encode(FlowBatchSchema, { records })),
    uves: (generator: string, records: object[]) =>
      feed('uves', generator, encode(UveBatchSchema, { records })),
    /** A session event at `time` (default: after every batch fed so far). */
    event: (generator: string, event: GeneratorEventType, time = BigInt(receivedAt)) =>
      feed(
        'generators',
        generator,
        encode(GeneratorEventBatchSchema, { records: [{ generator, event, epoch: 1n, time }] }),
      ),
    /** Each series of the metric as `label=value,…` → value. */
    series: async (name: string): Promise<Record<string, number>> => {
      const metric = registry.getSingleMetric(name);
      assert.ok(metric, `${name} registered`);
      const { values } = await metric.get();
      return Object.fromEntries(
        values
          .filter((v) => !('metricName' in v) || v.metricName === name)
          .map((v) => [
            Object.entries(v.labels)
              .map(([k, l]) => `${k}=${l}`)
              .join(','),
            v.value,
          ]),
      );
    },
  };
}

const flow = (vrouter: string, action: FlowAction, dropReason = '', diffBytes = 100, sampling = 0) => ({
  vrouter,
  action,
  direction: FlowDirection.INGRESS,
  dropReason,
  diffBytes: BigInt(diffBytes),
  sampling,
});

const uve = (type: string, name: string, structType: string, attributes: object, deleted = false) => ({
  type,
  name,
  structType,
  attributesJson: JSON.stringify(attributes),
  deleted,
});

const vrouterUves = (i: number, functional = true, xmppUp = 2) => [
  uve('vrouter', `compute-${i}`, 'NodeStatus', {
    process_status: [
      { module_id: 'contrail-vrouter-agent', state: functional ? 'Functional' : 'Non-Functional' },
    ],
  }),
  uve('vrouter', `compute-${i}`, 'VrouterAgent', {
    xmpp_peer_list: [
      { ip: '192.168.200.9', status: xmppUp > 0 },
      { ip: '192.168.200.10', status: xmppUp > 1 },
    ],
  }),
  uve('vrouter', `compute-${i}`, 'VrouterStatsAgent', { active_flows: 10 * (i + 1) }),
  // Of no gauge's concern: not decoded.
  uve('virtual-network', 'default-domain:admin:private', 'UveVirtualNetworkAgent', { in_bytes: 1 }),
];

describe('fabric metrics: label contexts', () => {
  it('parses metric=labels;… keeping each metric’s label order, and unlisted metrics keep all', () => {
    const contexts = labelContexts(parseLabelContexts(' flows = drop_reason,action ; vrouter_up= '));
    assert.deepEqual(contexts.flows, ['action', 'drop_reason']);
    assert.deepEqual(contexts.vrouter_up, []);
    assert.deepEqual(contexts.flow_bytes, ['vrouter', 'action', 'direction']);
  });

  it('refuses an unknown metric or label, a repeat, or a malformed item, naming the option', () => {
    const load = (labels: unknown) => () => loadConfig(writerOptions, { fabricMetricsLabels: labels }, {});
    assert.throws(load('flow=vrouter'), /--fabric-metrics-labels .*unknown metric "flow" \(one of flows, /);
    assert.throws(
      load('flows=vrouter,namespace'),
      /flows: unknown label "namespace" \(flows has vrouter, action/,
    );
    assert.throws(load('flows=vrouter;flows=action'), /metric "flows" given twice/);
    assert.throws(load('flows=action,action'), /listed twice/);
    assert.throws(load('flows'), /"flows": expected metric=label,label/);
    // A JSON config file gives lists.
    assert.deepEqual(
      loadConfig(writerOptions, { fabricMetricsLabels: { generators: ['state'] } }, {}).fabricMetricsLabels
        .generators,
      ['state'],
    );
  });
});

describe('fabric metrics: flows', () => {
  it('counts flow records and their scaled bytes by vRouter, action, direction and drop reason', async () => {
    const f = fabric();
    f.flows(agent(0), [
      flow('compute-0', FlowAction.PASS, '', 100),
      flow('compute-0', FlowAction.PASS, '', 50, 4),
      flow('compute-0', FlowAction.DENY, 'SHORT_ACL_DENY', 10),
    ]);
    f.flows(agent(1), [flow('compute-1', FlowAction.PASS)]);
    assert.deepEqual(await f.series('fabricscope_fabric_flows_total'), {
      'vrouter=compute-0,action=pass,direction=ingress,drop_reason=': 2,
      'vrouter=compute-0,action=deny,direction=ingress,drop_reason=SHORT_ACL_DENY': 1,
      'vrouter=compute-1,action=pass,direction=ingress,drop_reason=': 1,
    });
    assert.deepEqual(await f.series('fabricscope_fabric_flow_bytes_total'), {
      'vrouter=compute-0,action=pass,direction=ingress': 300,
      'vrouter=compute-0,action=deny,direction=ingress': 10,
      'vrouter=compute-1,action=pass,direction=ingress': 100,
    });
  });

  it('sums over the labels a context drops', async () => {
    const f = fabric('flows=action;flow_bytes=');
    f.flows(agent(0), [flow('compute-0', FlowAction.PASS), flow('compute-0', FlowAction.DROP, 'X')]);
    f.flows(agent(1), [flow('compute-1', FlowAction.PASS)]);
    assert.deepEqual(await f.series('fabricscope_fabric_flows_total'), {
      'action=pass': 2,
      'action=drop': 1,
    });
    assert.deepEqual(await f.series('fabricscope_fabric_flow_bytes_total'), { '': 300 });
  });

  it('creates no series past the cap: what they would count goes to the overflow counter', async () => {
    const f = fabric('flows=vrouter;flow_bytes=vrouter', 2);
    f.flows(agent(0), [flow('compute-0', FlowAction.PASS)]);
    f.flows(agent(1), [flow('compute-1', FlowAction.PASS)]);
    f.flows(agent(2), [flow('compute-2', FlowAction.PASS), flow('compute-2', FlowAction.PASS)]);
    // An existing series still counts.
    f.flows(agent(0), [flow('compute-0', FlowAction.PASS)]);
    assert.deepEqual(await f.series('fabricscope_fabric_flows_total'), {
      'vrouter=compute-0': 2,
      'vrouter=compute-1': 1,
    });
    assert.deepEqual(await f.series('fabricscope_fabric_series_overflow_total'), {
      'metric=fabricscope_fabric_flows_total': 2,
      'metric=fabricscope_fabric_flow_bytes_total': 200,
    });
  });
});

describe('fabric metrics: vRouters, control nodes and generators', () => {
  it('exports up, XMPP sessions and active flows per vRouter, BGP peers per control node', async () => {
    const f = fabric();
    f.event(agent(0), GeneratorEventType.CONNECTED);
    f.uves(agent(0), vrouterUves(0, true, 1));
    f.uves(agent(1), vrouterUves(1, false));
    f.uves(control, [
      uve('control-node', 'control-1', 'BgpRouterState', { num_bgp_peer: 3, num_up_bgp_peer: 2 }),
    ]);
    assert.deepEqual(await f.series('fabricscope_fabric_vrouter_up'), {
      'vrouter=compute-0': 1,
      'vrouter=compute-1': 0,
    });
    assert.deepEqual(await f.series('fabricscope_fabric_vrouter_xmpp_sessions'), {
      'vrouter=compute-0': 1,
      'vrouter=compute-1': 2,
    });
    assert.deepEqual(await f.series('fabricscope_fabric_vrouter_active_flows'), {
      'vrouter=compute-0': 10,
      'vrouter=compute-1': 20,
    });
    assert.deepEqual(await f.series('fabricscope_fabric_control_bgp_peers'), { 'control_node=control-1': 3 });
    assert.deepEqual(await f.series('fabricscope_fabric_control_bgp_peers_up'), {
      'control_node=control-1': 2,
    });
    // A partial update keeps what it does not carry; a deleted struct drops what it carried.
    f.uves(agent(0), [uve('vrouter', 'compute-0', 'VrouterAgent', { xmpp_peer_list: [] })]);
    f.uves(agent(0), [uve('vrouter', 'compute-0', 'VrouterStatsAgent', {}, true)]);
    assert.deepEqual(await f.series('fabricscope_fabric_vrouter_xmpp_sessions'), {
      'vrouter=compute-0': 0,
      'vrouter=compute-1': 2,
    });
    assert.deepEqual(await f.series('fabricscope_fabric_vrouter_active_flows'), { 'vrouter=compute-1': 20 });
  });

  it('says a disconnected vRouter down and removes a withdrawn one’s series; counts generators by state', async () => {
    const f = fabric();
    for (const i of [0, 1]) {
      f.event(agent(i), GeneratorEventType.CONNECTED);
      f.uves(agent(i), vrouterUves(i));
    }
    f.event(control, GeneratorEventType.CONNECTED);
    f.event(agent(0), GeneratorEventType.DISCONNECTED);
    assert.deepEqual(await f.series('fabricscope_fabric_vrouter_up'), {
      'vrouter=compute-0': 0,
      'vrouter=compute-1': 1,
    });
    f.event(agent(0), GeneratorEventType.WITHDRAWN);
    for (const name of ['up', 'xmpp_sessions', 'active_flows']) {
      assert.deepEqual(Object.keys(await f.series(`fabricscope_fabric_vrouter_${name}`)), [
        'vrouter=compute-1',
      ]);
    }
    assert.deepEqual(await f.series('fabricscope_fabric_generators'), {
      'node_type=Compute,state=withdrawn': 1,
      'node_type=Compute,state=connected': 1,
      'node_type=Control,state=connected': 1,
    });
    // Back: what it resends counts again.
    f.event(agent(0), GeneratorEventType.CONNECTED);
    f.uves(agent(0), vrouterUves(0));
    assert.deepEqual(await f.series('fabricscope_fabric_vrouter_up'), {
      'vrouter=compute-1': 1,
      'vrouter=compute-0': 1,
    });
    assert.deepEqual(await f.series('fabricscope_fabric_generators'), {
      'node_type=Compute,state=connected': 2,
      'node_type=Control,state=connected': 1,
    });
  });

  it('keeps parts received after a withdrawal that is read late (the topics are read apart)', async () => {
    const f = fabric();
    f.uves(agent(0), vrouterUves(0)); // received at 1
    f.uves(agent(0), vrouterUves(0)); // resent at 2, after the generator came back
    f.event(agent(0), GeneratorEventType.WITHDRAWN, 2n); // withdrawn at 2, read only now
    assert.deepEqual(await f.series('fabricscope_fabric_vrouter_up'), { 'vrouter=compute-0': 1 });
    f.event(agent(0), GeneratorEventType.WITHDRAWN, 5n);
    assert.deepEqual(await f.series('fabricscope_fabric_vrouter_up'), {});
  });

  it('caps gauge series, counts refused updates, and frees a withdrawn vRouter’s series', async () => {
    const f = fabric('', 2);
    for (const i of [0, 1, 2]) f.uves(agent(i), vrouterUves(i).slice(0, 1));
    assert.deepEqual(Object.keys(await f.series('fabricscope_fabric_vrouter_up')), [
      'vrouter=compute-0',
      'vrouter=compute-1',
    ]);
    assert.deepEqual(await f.series('fabricscope_fabric_series_overflow_total'), {
      'metric=fabricscope_fabric_vrouter_up': 1,
    });
    f.event(agent(0), GeneratorEventType.WITHDRAWN);
    f.uves(agent(2), vrouterUves(2).slice(0, 1));
    assert.deepEqual(Object.keys(await f.series('fabricscope_fabric_vrouter_up')), [
      'vrouter=compute-1',
      'vrouter=compute-2',
    ]);
  });

  it('sums a gauge over the vRouters when its context drops the label', async () => {
    const f = fabric('vrouter_up=;vrouter_active_flows=');
    for (const i of [0, 1, 2]) f.uves(agent(i), vrouterUves(i, i !== 1));
    assert.deepEqual(await f.series('fabricscope_fabric_vrouter_up'), { '': 2 });
    assert.deepEqual(await f.series('fabricscope_fabric_vrouter_active_flows'), { '': 60 });
  });

  it('counts a batch it cannot read instead of throwing at the writer', async () => {
    const f = fabric();
    f.uves(
      agent(0),
      [uve('vrouter', 'compute-0', 'NodeStatus', {})].map((u) => ({ ...u, attributesJson: '{' })),
    );
    assert.deepEqual(await f.series('fabricscope_fabric_unreadable_batches_total'), { 'topic=uves': 1 });
  });
});
