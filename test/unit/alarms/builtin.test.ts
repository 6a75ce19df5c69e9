import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_RULES } from '../../../common/model/alarm-rules/builtin/index.js';
import { evaluateRule } from '../../../alarms/rules/evaluate.js';
import { appliesTo } from '../../../alarms/rules/scope.js';
import type { AlarmRule, AlarmRules, Uve } from '../../../common/model/alarm-rules/types.js';
import { planEvents, type EventKind } from '../../../simulator/fabric/events.js';
import { buildFabricState } from '../../../simulator/fabric/state/fabric-state.js';
import { xmppPeerUveName } from '../../../simulator/fabric/state/uves/keys.js';
import { buildTopology } from '../../../simulator/fabric/topology/build.js';
import { aggregatedUves } from '../../support/simulated-uves.js';

/**
 * Every built-in rule raised and not raised, over UVEs as the simulator publishes them and as the
 * engine aggregates them. Where the simulator does not send an attribute a rule reads (TF generators
 * do), the case adds it to the simulator's struct and says so.
 */

const NOW_US = 1_750_000_000_000_000;
const topo = buildTopology({ vrouters: 2, seed: 1 });
const state = buildFabricState(topo, NOW_US);
const [vr] = topo.vrouters;
const [control] = topo.controlNodes;
assert.ok(vr && control);

const atRest = aggregatedUves(state);
/** The fabric's UVEs once the first step of an event has been published. */
function during(kind: EventKind): Map<string, Uve> {
  const [event] = planEvents(topo, [{ kind }], NOW_US);
  const first = event?.steps[0] ?? assert.fail(`no ${kind} step`);
  return aggregatedUves([...state, first]);
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

const running = (process: string) => ({ process_name: process, process_state: 'PROCESS_STATE_RUNNING' });
const BUILD_INFO = '{"build-info":[{"build-version":"2011","build-number":"master"}]}';
const disks = (used: number) => ({
  disk_usage_info: {
    'dev/sda1': { partition_type: 'ext4', percentage_partition_space_used: 40 },
    'dev/sda2': { partition_type: 'ext4', percentage_partition_space_used: used },
  },
});
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
  // The simulator sends no NodeStatus.process_info: the rule raises over every simulated node.
  'process-status': {
    type: 'vrouter',
    name: vr.name,
    raising: amended(vrouter, {
      NodeStatus: {
        process_info: [{ process_name: 'contrail-vrouter-agent', process_state: 'PROCESS_STATE_EXITED' }],
      },
    }),
    quiet: amended(vrouter, { NodeStatus: { process_info: [running('contrail-vrouter-agent')] } }),
  },
  'process-connectivity': {
    type: 'vrouter',
    name: vr.name,
    raising: uveOf(during('process-down'), 'vrouter', vr.name),
    quiet: vrouter,
  },
  'node-status': {
    type: 'vrouter',
    name: vr.name,
    raising: uveOf(aggregatedUves(state.filter((g) => g.host !== vr.name)), 'vrouter', vr.name),
    quiet: vrouter,
  },
  // The simulator sends no NodeStatus.build_info: the rule raises over every simulated node.
  'partial-sysinfo': {
    type: 'control-node',
    name: control.name,
    raising: controlNode,
    quiet: amended(controlNode, { NodeStatus: { build_info: BUILD_INFO } }),
  },
  // The simulator sends no ContrailConfig: the rule raises over every simulated node.
  'conf-incorrect': {
    type: 'control-node',
    name: control.name,
    raising: controlNode,
    quiet: amended(controlNode, { ContrailConfig: controlConfig(control.ip) }),
  },
  // The simulator sends no core file list, disk usage or package versions.
  'core-files': {
    type: 'vrouter',
    name: vr.name,
    raising: amended(vrouter, {
      NodeStatus: { all_core_file_list: ['/var/crashes/core.contrail-vrouter-agent.4242'] },
    }),
    quiet: amended(vrouter, { NodeStatus: { all_core_file_list: [] } }),
  },
  'disk-usage-high': {
    type: 'vrouter',
    name: vr.name,
    raising: amended(vrouter, { NodeStatus: disks(85) }),
    quiet: amended(vrouter, { NodeStatus: disks(95) }),
  },
  'disk-usage-critical': {
    type: 'vrouter',
    name: vr.name,
    raising: amended(vrouter, { NodeStatus: disks(95) }),
    quiet: amended(vrouter, { NodeStatus: disks(85) }),
  },
  'package-version-mismatch': {
    type: 'control-node',
    name: control.name,
    raising: amended(controlNode, {
      NodeStatus: { running_package_version: '"2011.138"', installed_package_version: '"2011.140"' },
    }),
    quiet: amended(controlNode, {
      NodeStatus: { running_package_version: '"2011.140"', installed_package_version: '"2011.140"' },
    }),
  },
  'bgp-connectivity': {
    type: 'control-node',
    name: control.name,
    raising: uveOf(during('bgp-flap'), 'control-node', control.name),
    quiet: controlNode,
  },
  // The simulator keeps num_up_xmpp_peer whole when a vRouter disconnects.
  'xmpp-connectivity': {
    type: 'control-node',
    name: control.name,
    raising: amended(controlNode, { BgpRouterState: { num_up_xmpp_peer: topo.vrouters.length - 1 } }),
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
  // The simulator reports no interface down.
  'vrouter-interface': {
    type: 'vrouter',
    name: vr.name,
    raising: amended(vrouter, {
      VrouterAgent: { down_interface_count: 1, error_intf_list: ['tap0b5c7d8e-00'] },
    }),
    quiet: vrouter,
  },
  'address-mismatch-compute': {
    type: 'vrouter',
    name: vr.name,
    raising: amended(vrouter, { ContrailConfig: vrouterConfig('192.168.200.99') }),
    quiet: amended(vrouter, { ContrailConfig: vrouterConfig(vr.ip) }),
  },
  'address-mismatch-control': {
    type: 'control-node',
    name: control.name,
    raising: amended(controlNode, { ContrailConfig: controlConfig('192.168.200.99') }),
    quiet: amended(controlNode, { ContrailConfig: controlConfig(control.ip) }),
  },
  // The simulator sends no VrouterStatsAgent.
  'phyif-bandwidth': {
    type: 'vrouter',
    name: vr.name,
    raising: amended(vrouter, { VrouterStatsAgent: { in_bps_ewm: { eth0: { sigma: -2.4, mean: 9000 } } } }),
    quiet: amended(vrouter, { VrouterStatsAgent: { in_bps_ewm: { eth0: { sigma: 0.3, mean: 9000 } } } }),
  },
  // The simulator reports no resource limits.
  'vrouter-limit-exceeded': {
    type: 'vrouter',
    name: vr.name,
    raising: amended(vrouter, { VrouterAgent: { res_limit: true, vr_limit_exceeded_list: ['flow'] } }),
    quiet: vrouter,
  },
  'vrouter-table-limit-exceeded': {
    type: 'vrouter',
    name: vr.name,
    raising: amended(vrouter, { VrouterAgent: { res_table_limit: true, vr_limit_exceeded_list: ['flow'] } }),
    quiet: amended(vrouter, { VrouterAgent: { res_table_limit: false } }),
  },
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
  it("process-down raises process-connectivity, naming the vRouter agent's process", () => {
    const report = evaluate(
      'process-connectivity',
      'vrouter',
      vr.name,
      CASES['process-connectivity']?.raising ?? {},
    );
    assert.deepEqual(
      report?.or_list.map((and) => and.and_list.map((c) => c.match)),
      [
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
      ],
    );
  });

  it('bgp-flap raises bgp-connectivity with the up and configured peer counts', () => {
    const report = evaluate(
      'bgp-connectivity',
      'control-node',
      control.name,
      CASES['bgp-connectivity']?.raising ?? {},
    );
    const match = { json_operand1_value: '0', json_operand2_value: '1', json_variables: {} };
    assert.deepEqual(
      report?.or_list.map((and) => and.and_list.map((c) => c.match)),
      [[[match]]],
    );
  });

  it('a withdrawn vRouter leaves no NodeStatus: node-status is raised over what remains of its UVE', () => {
    const withdrawn = aggregatedUves(state.filter((g) => g.host !== vr.name));
    assert.equal(withdrawn.has(`vrouter:${vr.name}`), false);
    const report = evaluate('node-status', 'vrouter', vr.name, uveOf(withdrawn, 'vrouter', vr.name));
    assert.equal(report?.or_list[0]?.and_list[0]?.match[0]?.json_operand1_value, 'null');
  });

  it('raises at rest only the alarms whose attributes the simulator does not send', () => {
    const raisedAtRest = [...atRest].flatMap(([key, uve]) => {
      const colon = key.indexOf(':');
      const [type, name] = [key.slice(0, colon), key.slice(colon + 1)];
      return BUILTIN_RULES.filter(
        (rule) => appliesTo(rule, type, name) && evaluateRule(rule, type, name, uve),
      ).map((rule) => `${type} ${rule.name}`);
    });
    const nodes = [...topo.vrouters.map(() => 'vrouter'), ...topo.controlNodes.map(() => 'control-node')];
    const gaps = ['conf-incorrect', 'partial-sysinfo', 'process-status'];
    assert.deepEqual(
      raisedAtRest.sort(),
      nodes.flatMap((type) => gaps.map((gap) => `${type} system-defined-${gap}`)).sort(),
    );
  });
});
