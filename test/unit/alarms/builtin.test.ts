import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_RULES } from '../../../common/model/alarm-rules/builtin/index.js';
import { evaluateRule } from '../../../alarms/rules/evaluate.js';
import { appliesTo } from '../../../alarms/rules/scope.js';
import type { AlarmRule, AlarmRules, Uve } from '../../../common/model/alarm-rules/types.js';
import { planEvents, type EventSpec, type PlannedEvent } from '../../../simulator/fabric/events.js';
import { buildFabricState } from '../../../simulator/fabric/state/fabric-state.js';
import { xmppPeerUveName } from '../../../simulator/fabric/state/uves/keys.js';
import { buildTopology } from '../../../simulator/fabric/topology/build.js';
import { aggregatedUves } from '../../support/simulated-uves.js';

/**
 * Every built-in rule raised and not raised, over UVEs as the simulator publishes them and as the
 * engine aggregates them: the healthy fabric raises none, and each of the simulator's events raises
 * the alarms TF would while it lasts and clears them when it ends. Where the simulator has no event
 * for an attribute a rule reads, the case changes the simulator's struct and says so.
 */

const NOW_US = 1_750_000_000_000_000;
const topo = buildTopology({ vrouters: 2, seed: 1 });
const state = buildFabricState(topo, NOW_US);
const [vr] = topo.vrouters;
const [control] = topo.controlNodes;
assert.ok(vr && control);

const atRest = aggregatedUves(state);

/**
 * The fabric's UVEs once the events' steps up to `atMs` are published, without the parts of the
 * `withdrawn` generators (the collector withdraws a generator that stays away beyond its grace).
 */
function uvesAt(events: readonly PlannedEvent[], atMs: number, withdrawn: readonly string[] = []) {
  const steps = events.flatMap((e) => e.steps).filter((step) => step.atMs <= atMs);
  steps.sort((a, b) => a.atMs - b.atMs);
  return aggregatedUves([...state, ...steps].filter((p) => !withdrawn.includes(p.generator)));
}
/** The UVEs `intoMs` into an event (2 s long unless it says otherwise), from its first step on. */
function during(spec: EventSpec, intoMs = 0): Map<string, Uve> {
  const events = planEvents(topo, [{ durationMs: 2000, ...spec }], NOW_US);
  return uvesAt(events, (events[0]?.atMs ?? assert.fail('no event')) + intoMs);
}
/** A UVE with no live part (its generators withdrawn) is evaluated as the empty UVE, as in TF. */
const uveOf = (uves: Map<string, Uve>, type: string, name: string): Uve => uves.get(`${type}:${name}`) ?? {};

const vrouter = uveOf(atRest, 'vrouter', vr.name);
const controlNode = uveOf(atRest, 'control-node', control.name);
const xmppPeer = uveOf(atRest, 'xmpp-peer', xmppPeerUveName(control, vr));

/** The UVE with attributes added to (or replaced in) its structs. */
function amended(uve: Uve, structs: Record<string, Record<string, unknown>>): Uve {
  const changed = Object.entries(structs).map(([struct, attrs]) => [
    struct,
    { ...(uve[struct] as object), ...attrs },
  ]);
  return { ...uve, ...Object.fromEntries(changed) };
}

/** The UVE without a struct, or without one attribute of it. */
function dropped(uve: Uve, struct: string, attr?: string): Uve {
  const rest = Object.entries(uve).filter(([name]) => attr !== undefined || name !== struct);
  if (attr === undefined) return Object.fromEntries(rest);
  const kept = Object.entries(uve[struct] as object).filter(([name]) => name !== attr);
  return { ...uve, [struct]: Object.fromEntries(kept) };
}

function builtin(name: string): AlarmRule {
  return (
    BUILTIN_RULES.find((rule) => rule.name === `system-defined-${name}`) ?? assert.fail(`no built-in ${name}`)
  );
}

/** The rule's report over the UVE; the rule must be one that covers the UVE's type. */
function evaluate(name: string, type: string, uveName: string, uve: Uve): AlarmRules | null {
  const rule = builtin(name);
  assert.ok(appliesTo(rule, type, uveName), `${name} covers ${type}`);
  return evaluateRule(rule, type, uveName, uve);
}

/** Every built-in raised over the UVEs, as `type:name rule` (without the `system-defined-`), sorted. */
function raised(uves: Map<string, Uve>): string[] {
  return [...uves]
    .flatMap(([key, uve]) => {
      const colon = key.indexOf(':');
      const [type, name] = [key.slice(0, colon), key.slice(colon + 1)];
      return BUILTIN_RULES.filter(
        (rule) => appliesTo(rule, type, name) && evaluateRule(rule, type, name, uve),
      ).map((rule) => `${key} ${rule.name.replace('system-defined-', '')}`);
    })
    .sort();
}

const vrouterConfig = (ip: string) => ({ elements: { virtual_router_ip_address: JSON.stringify(ip) } });
const controlConfig = (ip: string) => ({
  elements: { bgp_router_parameters: JSON.stringify({ address: ip }) },
});
const prouter = (agents: string[]): Uve => ({
  ContrailConfig: {
    elements: { virtual_router_refs: '[{"to": ["default-global-system-config", "tor-agent-1"]}]' },
  },
  ProuterData: { connected_agent_list: agents },
});

/** Per built-in: the UVE it is evaluated over, one that raises it and one that does not. */
const CASES: Record<string, { type: string; name: string; raising: Uve; quiet: Uve }> = {
  'process-status': {
    type: 'vrouter',
    name: vr.name,
    raising: uveOf(during({ kind: 'process-down', target: vr.name }), 'vrouter', vr.name),
    quiet: vrouter,
  },
  'process-connectivity': {
    type: 'vrouter',
    name: vr.name,
    raising: uveOf(during({ kind: 'process-down', target: vr.name }), 'vrouter', vr.name),
    quiet: vrouter,
  },
  'node-status': {
    type: 'vrouter',
    name: vr.name,
    raising: uveOf(aggregatedUves(state.filter((g) => g.host !== vr.name)), 'vrouter', vr.name),
    quiet: vrouter,
  },
  // The simulator always sends its build.
  'partial-sysinfo': {
    type: 'control-node',
    name: control.name,
    raising: dropped(controlNode, 'NodeStatus', 'build_info'),
    quiet: controlNode,
  },
  // The simulator's config node configures every node.
  'conf-incorrect': {
    type: 'control-node',
    name: control.name,
    raising: dropped(controlNode, 'ContrailConfig'),
    quiet: controlNode,
  },
  'core-files': {
    type: 'control-node',
    name: control.name,
    raising: uveOf(during({ kind: 'core-dump', target: control.name }), 'control-node', control.name),
    quiet: controlNode,
  },
  'disk-usage-high': {
    type: 'vrouter',
    name: vr.name,
    raising: uveOf(during({ kind: 'disk-full', target: vr.name }), 'vrouter', vr.name),
    quiet: vrouter,
  },
  'disk-usage-critical': {
    type: 'vrouter',
    name: vr.name,
    raising: uveOf(during({ kind: 'disk-full', target: vr.name }, 1000), 'vrouter', vr.name),
    quiet: uveOf(during({ kind: 'disk-full', target: vr.name }), 'vrouter', vr.name),
  },
  // Every simulated node runs the version installed.
  'package-version-mismatch': {
    type: 'control-node',
    name: control.name,
    raising: amended(controlNode, { NodeStatus: { running_package_version: '2011.137' } }),
    quiet: controlNode,
  },
  'bgp-connectivity': {
    type: 'control-node',
    name: control.name,
    raising: uveOf(during({ kind: 'bgp-flap' }), 'control-node', control.name),
    quiet: controlNode,
  },
  'xmpp-connectivity': {
    type: 'control-node',
    name: control.name,
    raising: uveOf(during({ kind: 'vrouter-disconnect' }), 'control-node', control.name),
    quiet: controlNode,
  },
  // The simulator's XMPP sessions never close.
  'xmpp-close-reason': {
    type: 'xmpp-peer',
    name: xmppPeerUveName(control, vr),
    raising: amended(xmppPeer, {
      XmppPeerInfoData: { state_info: { state: 'Idle' }, close_reason: 'Hold timer expired' },
    }),
    quiet: xmppPeer,
  },
  'vrouter-interface': {
    type: 'vrouter',
    name: vr.name,
    raising: uveOf(during({ kind: 'interface-down', target: vr.name }), 'vrouter', vr.name),
    quiet: vrouter,
  },
  // The simulator's config agrees with what its nodes report.
  'address-mismatch-compute': {
    type: 'vrouter',
    name: vr.name,
    raising: amended(vrouter, { ContrailConfig: vrouterConfig('192.168.200.99') }),
    quiet: vrouter,
  },
  'address-mismatch-control': {
    type: 'control-node',
    name: control.name,
    raising: amended(controlNode, { ContrailConfig: controlConfig('192.168.200.99') }),
    quiet: controlNode,
  },
  // The simulator's physical interfaces carry a steady bandwidth.
  'phyif-bandwidth': {
    type: 'vrouter',
    name: vr.name,
    raising: amended(vrouter, { VrouterStatsAgent: { in_bps_ewm: { eth0: { sigma: -2.4, mean: 9000 } } } }),
    quiet: vrouter,
  },
  'vrouter-limit-exceeded': {
    type: 'vrouter',
    name: vr.name,
    raising: uveOf(during({ kind: 'vrouter-limit', target: vr.name }), 'vrouter', vr.name),
    quiet: vrouter,
  },
  'vrouter-table-limit-exceeded': {
    type: 'vrouter',
    name: vr.name,
    raising: uveOf(during({ kind: 'vrouter-limit', target: vr.name }, 1000), 'vrouter', vr.name),
    quiet: uveOf(during({ kind: 'vrouter-limit', target: vr.name }), 'vrouter', vr.name),
  },
  // The simulator's vRouters are not L3 multihomed.
  'vrouter-l3mh-physical-interface-link-down': {
    type: 'vrouter',
    name: vr.name,
    raising: amended(vrouter, {
      VrouterAgent: { l3mh_phy_interface_down: true, vr_l3mh_intf_list: ['eth1'] },
    }),
    quiet: vrouter,
  },
  // fabricscope carries no physical router UVE yet.
  'prouter-connectivity': {
    type: 'prouter',
    name: 'qfx-1',
    raising: prouter([]),
    quiet: prouter(['tor-agent-1']),
  },
};

describe('built-in rules', () => {
  it('load, are named system-defined-*, and each has a case below', () => {
    assert.deepEqual(
      BUILTIN_RULES.map((rule) => rule.name).sort(),
      Object.keys(CASES)
        .map((name) => `system-defined-${name}`)
        .sort(),
    );
    for (const rule of BUILTIN_RULES) {
      assert.equal(rule.fqName, `default-global-system-config:${rule.name}`);
      assert.ok(rule.description.length > 0, rule.name);
    }
  });

  for (const [name, { type, name: uveName, raising, quiet }] of Object.entries(CASES)) {
    it(`${name}: raised, and not raised`, () => {
      assert.notEqual(evaluate(name, type, uveName, raising), null, 'raised');
      assert.equal(evaluate(name, type, uveName, quiet), null, 'not raised');
    });
  }
});

describe('built-in rules over the simulated fabric', () => {
  /** The event planned alone, and the alarms raised at moments `ms` into it. */
  function play(spec: EventSpec): {
    at: (ms: number, withdrawn?: string[]) => string[];
    event: PlannedEvent;
  } {
    const events = planEvents(topo, [spec], NOW_US);
    const event = events[0] ?? assert.fail('no event');
    return { event, at: (ms, withdrawn = []) => raised(uvesAt(events, event.atMs + ms, withdrawn)) };
  }

  it('raises none at rest: every node configured, running, built, with room on its disks', () => {
    assert.deepEqual([...new Set([...atRest.keys()].map((key) => key.slice(0, key.indexOf(':'))))].sort(), [
      'bgp-peer',
      'config-node',
      'control-node',
      'loadbalancer',
      'network-policy',
      'routing-instance',
      'security-group',
      'virtual-machine',
      'virtual-machine-interface',
      'virtual-network',
      'vrouter',
      'xmpp-peer',
    ]);
    assert.deepEqual(raised(atRest), []);
  });

  it('process-down raises process-status and process-connectivity on the node while it lasts', () => {
    for (const node of [`vrouter:${vr.name}`, `control-node:${control.name}`]) {
      const { at, event } = play({ kind: 'process-down', target: node.slice(node.indexOf(':') + 1) });
      assert.deepEqual(at(0), [`${node} process-connectivity`, `${node} process-status`]);
      assert.deepEqual(at(event.durationMs), [], 'cleared once the process runs again');
    }
  });

  it("process-down names the vRouter agent's process in both alarms", () => {
    const matches = (name: string) =>
      evaluate(name, 'vrouter', vr.name, CASES[name]?.raising ?? {})?.or_list.map((and) =>
        and.and_list.map((c) => c.match),
      );
    assert.deepEqual(matches('process-connectivity'), [
      [
        [
          {
            json_operand1_value: '"Non-Functional"',
            json_operand2_value: null,
            json_variables: {
              'NodeStatus.process_status.module_id': '"contrail-vrouter-agent"',
              'NodeStatus.process_status.instance_id': '0',
            },
          },
        ],
      ],
    ]);
    assert.deepEqual(matches('process-status'), [
      [
        [
          {
            json_operand1_value: '"PROCESS_STATE_EXITED"',
            json_operand2_value: null,
            json_variables: { 'NodeStatus.process_info.process_name': '"contrail-vrouter-agent"' },
          },
        ],
      ],
    ]);
  });

  it('bgp-flap raises bgp-connectivity with the up and configured peer counts, until Established', () => {
    const { at, event } = play({ kind: 'bgp-flap' });
    const alarm = `control-node:${control.name} bgp-connectivity`;
    assert.deepEqual([at(0), at(event.durationMs / 2), at(event.durationMs)], [[alarm], [alarm], []]);
    const report = evaluate(
      'bgp-connectivity',
      'control-node',
      control.name,
      CASES['bgp-connectivity']!.raising,
    );
    const match = { json_operand1_value: '0', json_operand2_value: '1', json_variables: {} };
    assert.deepEqual(
      report?.or_list.map((and) => and.and_list.map((c) => c.match)),
      [[[match]]],
    );
  });

  for (const kind of ['vrouter-disconnect', 'vrouter-restart'] as const) {
    it(`${kind}: xmpp-connectivity on every control node, node-status once the vRouter is withdrawn`, () => {
      const { at, event } = play({ kind });
      const gone = topo.vrouters.find((v) => v.name === event.target) ?? assert.fail(event.target);
      const xmpp = topo.controlNodes.map((c) => `control-node:${c.name} xmpp-connectivity`);
      assert.deepEqual(at(0), xmpp, 'within the grace period');
      assert.deepEqual(
        at(0, [gone.generator]),
        [...xmpp, `vrouter:${gone.name} node-status`].sort(),
        'withdrawn',
      );
      // Back: its session resyncs what it holds (the initial state here), the control nodes count it up.
      assert.deepEqual(at(event.durationMs), []);
    });
  }

  it("a withdrawn vRouter's UVE keeps only its configuration: node-status, not conf-incorrect, as in TF", () => {
    const withdrawn = uveOf(aggregatedUves(state.filter((g) => g.host !== vr.name)), 'vrouter', vr.name);
    assert.deepEqual(Object.keys(withdrawn), ['ContrailConfig']);
    const report = evaluate('node-status', 'vrouter', vr.name, withdrawn);
    assert.equal(report?.or_list[0]?.and_list[0]?.match[0]?.json_operand1_value, 'null');
    assert.equal(evaluate('conf-incorrect', 'vrouter', vr.name, withdrawn), null);
    assert.equal(evaluate('process-status', 'vrouter', vr.name, withdrawn), null);
  });

  it('disk-full raises disk-usage-high, then disk-usage-critical instead, naming the partition', () => {
    const { at, event } = play({ kind: 'disk-full' });
    const node = `config-node:${event.target}`;
    assert.deepEqual(
      [at(0), at(event.durationMs / 2), at(event.durationMs)],
      [[`${node} disk-usage-high`], [`${node} disk-usage-critical`], []],
    );
    const report = evaluate('disk-usage-high', 'vrouter', vr.name, CASES['disk-usage-high']!.raising);
    assert.deepEqual(report?.or_list[0]?.and_list[0]?.match, [
      {
        json_operand1_value: '82',
        json_operand2_value: null,
        json_variables: { 'NodeStatus.disk_usage_info.__key': '"/dev/sdb1"' },
      },
    ]);
  });

  it('core-dump raises core-files while the core file is there', () => {
    const { at, event } = play({ kind: 'core-dump' });
    assert.deepEqual(at(0), [`control-node:${event.target} core-files`]);
    assert.deepEqual(at(event.durationMs), []);
  });

  it('interface-down raises vrouter-interface, naming the interface', () => {
    const { at, event } = play({ kind: 'interface-down' });
    assert.deepEqual(at(0), [`vrouter:${event.target} vrouter-interface`]);
    assert.deepEqual(at(event.durationMs), []);
    const report = evaluate('vrouter-interface', 'vrouter', vr.name, CASES['vrouter-interface']!.raising);
    const variables = report?.or_list[0]?.and_list[0]?.match[0]?.json_variables ?? {};
    const w = topo.workloads.find((x) => x.vrouter === vr.name) ?? assert.fail('no workload');
    assert.match(variables['VrouterAgent.error_intf_list'] ?? '', new RegExp(w.vmiUuid));
  });

  it('vrouter-limit raises vrouter-limit-exceeded, then vrouter-table-limit-exceeded too', () => {
    const { at, event } = play({ kind: 'vrouter-limit' });
    const node = `vrouter:${event.target}`;
    assert.deepEqual(
      [at(0), at(event.durationMs / 2), at(event.durationMs)],
      [
        [`${node} vrouter-limit-exceeded`],
        [`${node} vrouter-limit-exceeded`, `${node} vrouter-table-limit-exceeded`],
        [],
      ],
    );
  });
});
