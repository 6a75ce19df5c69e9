import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RouteOp, type UveUpdate } from '../../../../common/proto.js';
import {
  parseEvents,
  planEvents,
  scheduleEvents,
  type EventKind,
  type PlannedEvent,
} from '../../../../simulator/fabric/events.js';
import { gatewayRoutes } from '../../../../simulator/fabric/state/routes.js';
import { buildFabricState } from '../../../../simulator/fabric/state/fabric-state.js';
import { buildTopology } from '../../../../simulator/fabric/topology/build.js';

const START = 1_750_000_000_000_000;
const topo = buildTopology({ vrouters: 4, seed: 3 });
const attrs = (u: UveUpdate | undefined): Record<string, unknown> =>
  JSON.parse(u?.attributesJson ?? '{}') as Record<string, unknown>;
const planOne = (kind: EventKind, target?: string): PlannedEvent => {
  const [event] = planEvents(topo, [{ kind, ...(target ? { target } : {}) }], START);
  assert.ok(event);
  return event;
};

describe('simulated events', () => {
  it('parses a comma list, each event with its target after @, and refuses unknown names', () => {
    assert.deepEqual(parseEvents('process-down, bgp-flap@control-2,vrouter-disconnect'), [
      { kind: 'process-down' },
      { kind: 'bgp-flap', target: 'control-2' },
      { kind: 'vrouter-disconnect' },
    ]);
    assert.throws(() => parseEvents('process-down,meteor'), /unknown event "meteor"/);
    assert.throws(() => parseEvents('disk-full@'), /"disk-full@": name one host after @/);
    assert.throws(() => parseEvents('disk-full@a@b'), /name one host after @/);
    assert.throws(
      () => planEvents(topo, [{ kind: 'disk-full', target: 'nowhere' }], START),
      /no node "nowhere"/,
    );
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

  it('process-down: the process exits and is started again, as its supervisor records it', () => {
    const e = planOne('process-down', 'compute-1');
    const infos = e.steps.map((step) => attrs(step.uves[0])['process_info'] as Record<string, unknown>[]);
    const agent = infos.map((list) => list.find((p) => p['process_name'] === 'contrail-vrouter-agent'));
    assert.deepEqual(
      agent.map((p) => [p?.['process_state'], p?.['start_count'], p?.['exit_count'], p?.['last_exit_time']]),
      [
        ['PROCESS_STATE_EXITED', 1, 1, String(START + 1000e3)],
        ['PROCESS_STATE_RUNNING', 2, 1, String(START + 1000e3)],
      ],
    );
    assert.equal(agent[1]?.['last_start_time'], String(START + 4000e3));
    const nodemgr = infos.map((list) => list.find((p) => p['process_name'] === 'contrail-vrouter-nodemgr'));
    assert.deepEqual(nodemgr[0], nodemgr[1], 'the other processes run on untouched');
    assert.equal(nodemgr[0]?.['process_state'], 'PROCESS_STATE_RUNNING');
  });

  it('vrouter-disconnect: the stream closes for the duration, and every control node counts one XMPP peer fewer up', () => {
    const e = planOne('vrouter-disconnect');
    const vr = topo.vrouters.at(-1);
    assert.ok(vr);
    const controls = topo.controlNodes.map((c) => c.generator);
    assert.deepEqual(
      e.steps.map((step) => [step.atMs, step.generator]),
      [1000, 6000].flatMap((at) => [vr.generator, ...controls].map((g) => [at, g])),
    );
    const [close, , , reconnect] = e.steps;
    assert.deepEqual(close, {
      atMs: 1000,
      generator: vr.generator,
      uves: [],
      routes: [],
      disconnectMs: 5000,
    });
    // When it is back, its session resyncs what it holds (StatePlayer.resync): nothing new to say.
    assert.deepEqual(reconnect, { atMs: 6000, generator: vr.generator, uves: [], routes: [] });
    const xmpp = e.steps
      .filter((step) => step.generator !== vr.generator)
      .map((step) => {
        assert.deepEqual(
          step.uves.map((u) => u.structType),
          ['BgpRouterState'],
        );
        const state = attrs(step.uves[0]);
        return [state['num_up_xmpp_peer'], state['num_xmpp_peer']];
      });
    const n = topo.vrouters.length;
    assert.deepEqual(xmpp, [
      [n - 1, n],
      [n - 1, n],
      [n, n],
      [n, n],
    ]);
  });

  it('vrouter-restart: as a disconnect, the agent stopped and started, and its interface counters start again', () => {
    const e = planOne('vrouter-restart', 'compute-2');
    const [close, back] = e.steps.filter((step) => step.generator.startsWith('compute-2:'));
    assert.equal(close?.disconnectMs, 1000);
    assert.equal(back?.resetCounters, 'compute-2');
    assert.equal(back?.atMs, 2000);
    const status = attrs(back?.uves.find((u) => u.structType === 'NodeStatus'));
    const agent = (status['process_info'] as Record<string, unknown>[])[0];
    assert.deepEqual(
      [agent?.['process_state'], agent?.['stop_count'], agent?.['start_count'], agent?.['last_start_time']],
      ['PROCESS_STATE_RUNNING', 1, 2, String(START + 2000e3)],
    );
    assert.equal(agent?.['last_stop_time'], String(START + 1000e3));
  });

  it('composes events that overlap: the gateway comes back while a vRouter is still away', () => {
    const [flap, away] = planEvents(
      topo,
      [
        { kind: 'bgp-flap', atMs: 1000, durationMs: 2000 },
        { kind: 'vrouter-disconnect', atMs: 0, durationMs: 5000 },
      ],
      START,
    );
    assert.ok(flap && away);
    const routerState = flap.steps.map((step) =>
      attrs(step.uves.find((u) => u.structType === 'BgpRouterState')),
    );
    const n = topo.vrouters.length;
    assert.deepEqual(
      routerState.map((r) => [r['num_up_bgp_peer'], r['num_up_xmpp_peer']]),
      [
        [0, n - 1],
        [undefined, undefined],
        [1, n - 1],
      ],
    );
  });

  it('disk-full: the data partition above 70%, then above 90%, then as it was', () => {
    const e = planOne('disk-full');
    assert.equal(e.target, 'config-1');
    const used = e.steps.map((step) => {
      assert.equal(step.generator, 'config-1:Config:contrail-api:0');
      const disks = attrs(step.uves[0])['disk_usage_info'] as Record<string, Record<string, number>>;
      return Object.fromEntries(
        Object.entries(disks).map(([p, d]) => [p, d['percentage_partition_space_used']]),
      );
    });
    const before = attrs(
      buildFabricState(topo, START)
        .find((g) => g.host === 'config-1')
        ?.uves.find((u) => u.structType === 'NodeStatus'),
    )['disk_usage_info'] as Record<string, Record<string, number>>;
    const root = before['/dev/sda1']?.['percentage_partition_space_used'];
    assert.deepEqual(used, [
      { '/dev/sda1': root, '/dev/sdb1': 82 },
      { '/dev/sda1': root, '/dev/sdb1': 96 },
      { '/dev/sda1': root, '/dev/sdb1': before['/dev/sdb1']?.['percentage_partition_space_used'] },
    ]);
  });

  it('core-dump: the process crashes and restarts at once, its core file listed until removed', () => {
    const e = planOne('core-dump');
    assert.equal(e.target, 'control-2');
    const [crash, cleaned] = e.steps.map((step) => attrs(step.uves[0]));
    const core = `/var/crashes/core.contrail-control.${1000 + 5 * 113}.control-2.${Math.floor(START / 1e6) + 1}`;
    assert.deepEqual(crash?.['all_core_file_list'], [core]);
    const control = (crash?.['process_info'] as Record<string, unknown>[])[0];
    assert.deepEqual(
      [
        control?.['process_state'],
        control?.['exit_count'],
        control?.['start_count'],
        control?.['core_file_list'],
      ],
      ['PROCESS_STATE_RUNNING', 1, 2, [core]],
    );
    assert.deepEqual(cleaned?.['all_core_file_list'], []);
    assert.deepEqual((cleaned?.['process_info'] as Record<string, unknown>[])[0]?.['core_file_list'], []);
  });

  it("interface-down: the vRouter counts and names its first interface down, the interface's UVE inactive", () => {
    const e = planOne('interface-down', 'compute-1');
    const w = topo.workloads.find((x) => x.vrouter === 'compute-1');
    assert.ok(w);
    const agent = e.steps.map((step) => attrs(step.uves.find((u) => u.structType === 'VrouterAgent')));
    const vmi = e.steps.map((step) => step.uves.find((u) => u.structType === 'UveVMInterfaceAgent'));
    assert.deepEqual(
      agent.map((a) => [a['down_interface_count'], (a['error_intf_list'] as string[]).length]),
      [
        [1, 1],
        [0, 0],
      ],
    );
    assert.equal((agent[0]?.['error_intf_list'] as string[])[0], vmi[0]?.name);
    assert.ok(vmi[0]?.name.endsWith(w.vmiUuid));
    assert.deepEqual(
      vmi.map((u) => attrs(u)['active']),
      [false, true],
    );
  });

  it('vrouter-limit: next hops beyond their watermark, then their table full, then back', () => {
    const e = planOne('vrouter-limit');
    const agent = e.steps.map((step) => attrs(step.uves[0]));
    assert.deepEqual(
      agent.map((a) => [a['res_limit'], a['res_table_limit'], a['vr_limit_exceeded_list']]),
      [
        [true, false, ['vr_nexthops']],
        [true, true, ['vr_nexthops']],
        [false, false, []],
      ],
    );
  });
});
