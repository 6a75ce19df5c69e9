import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RouteOp, type UveUpdate } from '../../../../common/proto.js';
import {
  parseEventKinds,
  planEvents,
  scheduleEvents,
  type PlannedEvent,
} from '../../../../simulator/fabric/events.js';
import { gatewayRoutes } from '../../../../simulator/fabric/state/routes.js';
import { buildFabricState } from '../../../../simulator/fabric/state/fabric-state.js';
import { buildTopology } from '../../../../simulator/fabric/topology/build.js';

const START = 1_750_000_000_000_000;
const topo = buildTopology({ vrouters: 4, seed: 3 });
const attrs = (u: UveUpdate | undefined): Record<string, unknown> =>
  JSON.parse(u?.attributesJson ?? '{}') as Record<string, unknown>;
const planOne = (kind: Parameters<typeof parseEventKinds>[0], target?: string): PlannedEvent => {
  const [event] = planEvents(
    topo,
    parseEventKinds(kind).map((k) => ({ kind: k, ...(target ? { target } : {}) })),
    START,
  );
  assert.ok(event);
  return event;
};

describe('simulated events', () => {
  it('parses a comma list and refuses unknown names', () => {
    assert.deepEqual(parseEventKinds('process-down, bgp-flap,vrouter-disconnect'), [
      'process-down',
      'bgp-flap',
      'vrouter-disconnect',
    ]);
    assert.throws(() => parseEventKinds('process-down,meteor'), /unknown event "meteor"/);
  });

  it('runs events one after the other unless told when', () => {
    const s = scheduleEvents(topo, [
      { kind: 'process-down' },
      { kind: 'bgp-flap' },
      { kind: 'vrouter-disconnect', durationMs: 500 },
      { kind: 'vrouter-restart', atMs: 0 },
    ]);
    assert.deepEqual(
      s.map((e) => [e.kind, e.target, e.atMs, e.durationMs]),
      [
        ['process-down', 'compute-0', 1000, 3000],
        ['bgp-flap', 'control-1', 5000, 2000],
        ['vrouter-disconnect', 'compute-3', 8000, 500],
        ['vrouter-restart', 'compute-1', 0, 1000],
      ],
    );
    assert.throws(
      () => planEvents(topo, [{ kind: 'vrouter-disconnect', target: 'control-1' }], START),
      /no vRouter/,
    );
  });

  it('process-down: NodeStatus Non-Functional, then Functional again', () => {
    for (const [target, generator, module] of [
      ['compute-2', 'compute-2:Compute:contrail-vrouter-agent:0', 'contrail-vrouter-agent'],
      ['control-2', 'control-2:Control:contrail-control:0', 'contrail-control'],
    ] as const) {
      const e = planOne('process-down', target);
      assert.deepEqual(
        e.steps.map((s) => [s.atMs, s.generator, s.uves.length, s.routes.length]),
        [
          [1000, generator, 1, 0],
          [4000, generator, 1, 0],
        ],
      );
      const states = e.steps.map((s) => (attrs(s.uves[0])['process_status'] as Record<string, string>[])[0]);
      assert.equal(states[0]?.['state'], 'Non-Functional');
      assert.equal(states[0]?.['module_id'], module);
      assert.match(states[0]?.['description'] ?? '', /Missing: /);
      assert.deepEqual(states[1], {
        module_id: module,
        instance_id: '0',
        state: 'Functional',
        description: '',
      });
      assert.deepEqual(
        e.steps.map((s) => s.uves[0]?.timestamp),
        [BigInt(START + 1000e3), BigInt(START + 4000e3)],
      );
    }
  });

  it('bgp-flap: Idle (flap_count + 1, default routes withdrawn), Active, Established (routes back)', () => {
    const e = planOne('bgp-flap');
    const gw = topo.gateways[0];
    assert.ok(gw);
    const peers = e.steps.map((s) => attrs(s.uves.find((u) => u.structType === 'BgpPeerInfoData')));
    assert.deepEqual(
      peers.map((p) => [p['state_info'], p['flap_info']]),
      [
        [
          { state: 'Idle', last_state: 'Established', last_state_at: START + 1000e3 },
          { flap_count: 1, flap_time: START + 1000e3 },
        ],
        [
          { state: 'Active', last_state: 'Idle', last_state_at: START + 2000e3 },
          { flap_count: 1, flap_time: START + 1000e3 },
        ],
        [
          { state: 'Established', last_state: 'OpenConfirm', last_state_at: START + 3000e3 },
          { flap_count: 1, flap_time: START + 1000e3 },
        ],
      ],
    );
    const up = e.steps.map(
      (s) => attrs(s.uves.find((u) => u.structType === 'BgpRouterState'))['num_up_bgp_peer'],
    );
    assert.deepEqual(up, [0, undefined, 1]);
    const [down, , back] = e.steps;
    assert.ok(down && back);
    assert.deepEqual(down.routes, gatewayRoutes(topo, gw, RouteOp.DELETE, START + 1000e3));
    assert.deepEqual(back.routes, gatewayRoutes(topo, gw, RouteOp.ADD, START + 3000e3));
    assert.ok(down.routes.every((r) => r.op === RouteOp.DELETE && r.nextHops.length === 0));
    // What comes back is what the control node published at start, newer.
    const initial = buildFabricState(topo, START + 3000e3).find((g) => g.host === 'control-1')?.routes ?? [];
    assert.deepEqual(
      back.routes,
      initial.filter((r) => r.protocol === 'bgp'),
    );
  });

  it('vrouter-disconnect: the stream closes for the duration (the session resyncs when it is back)', () => {
    const e = planOne('vrouter-disconnect');
    const vr = topo.vrouters.at(-1);
    assert.ok(vr);
    const [close, reconnect] = e.steps;
    assert.deepEqual(close, {
      atMs: 1000,
      generator: vr.generator,
      uves: [],
      routes: [],
      disconnectMs: 5000,
    });
    assert.deepEqual(reconnect, { atMs: 6000, generator: vr.generator, uves: [], routes: [] });
  });

  it('vrouter-restart: as a disconnect, and its interface counters start again', () => {
    const e = planOne('vrouter-restart', 'compute-2');
    assert.equal(e.steps[0]?.disconnectMs, 1000);
    assert.equal(e.steps[1]?.resetCounters, 'compute-2');
    assert.equal(e.steps[1]?.atMs, 2000);
  });
});
