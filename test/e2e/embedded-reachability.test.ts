import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildConnections,
  buildFlowPools,
  buildTopology,
  simulate,
  vrfName,
  type Topology,
} from '../../simulator/index.js';
import {
  graphql,
  graphqlRaw,
  startPipelineProcess,
  type PipelineProcess,
} from '../../harness/pipeline-process.js';
import { pipelineDrained } from '../../harness/wait.js';
import { runTool } from '../../harness/child-processes.js';
import { fileURLToPath } from 'node:url';

const vrouters = 4;
const seed = 11;
const window = 'from: "now-1h", to: "now+1h"';

type Connection = ReturnType<typeof buildConnections>[number];
type Workload = Topology['workloads'][number];

interface Direction {
  verdict: string;
  explanation: string;
  records: number;
  routeVrf: string | null;
  route: { prefix: string } | null;
  verdicts: {
    vrouter: string;
    side: string;
    direction: string;
    action: string;
    dropReason: string;
    nwAce: { owner: string; number: number } | null;
  }[];
}

interface Answer {
  reachability: {
    verdict: string;
    explanation: string;
    source: {
      address: string;
      workload: { name: string; vrouter: string | null } | null;
      vrouter: { name: string; status: string; connected: boolean } | null;
    };
    destination: {
      address: string;
      workload: { name: string; securityGroups: string[] } | null;
      interfaceActive: boolean | null;
    };
    forward: Direction;
    reverse: Direction;
  };
}

const DIRECTION = `verdict explanation records routeVrf route { prefix }
  verdicts { vrouter side direction action dropReason nwAce { owner number } }`;

/**
 * The reachability answer on an embedded pipeline fed by the simulator: for each scenario the README
 * tells (an isolated namespace, one whose services stay reachable, the VM and the pod whose groups
 * deny each other, an address no route leads to), the explanation names the verdict, the vRouter and
 * direction it was taken on, and the rule or route that decided, from the simulator's own topology.
 */
describe('embedded pipeline on a simulated fabric: workloads and reachability', () => {
  let pipeline: PipelineProcess;
  const topo = buildTopology({ vrouters, seed });
  const connections = buildConnections(topo);
  const ask = <T>(query: string) => graphql<T>(pipeline.graphqlUrl, query);
  const named = (w: Workload) => `${w.namespace}/${w.name}`;
  const reach = (source: string, destination: string) =>
    ask<Answer>(
      `{ reachability(source: "${source}", destination: "${destination}", ${window}) {
        verdict explanation
        source { address workload { name vrouter } vrouter { name status connected } }
        destination { address workload { name securityGroups } interfaceActive }
        forward { ${DIRECTION} } reverse { ${DIRECTION} } } }`,
    ).then((a) => a.reachability);
  const first = (scenario: string): Connection => {
    const found = connections.find((c) => c.scenario === scenario);
    assert.ok(found, `the flow mix has a ${scenario} connection`);
    return found;
  };
  /** The policy entry of a uuid: `policy` #n, as the explanation names it. */
  const entry = (uuid: string): { owner: string; number: number } => {
    for (const p of topo.networkPolicies) {
      const i = p.rules.findIndex((r) => r.uuid === uuid);
      if (i >= 0) return { owner: p.fqName, number: i + 1 };
    }
    throw new Error(`no policy entry ${uuid}`);
  };

  before(async () => {
    pipeline = await startPipelineProcess(mkdtempSync(join(tmpdir(), 'fs-reach-')));
    // The budget is split between the vRouters: each sends more records than its flow mix holds.
    await simulate({ target: pipeline.grpcTarget, vrouters, seed, flows: 8000, batchSize: 500 });
    await pipelineDrained(pipeline);
  });
  after(() => pipeline?.stop());

  it('has every record of every vRouter stored (each scenario below is in the warehouse)', async () => {
    const { pools } = buildFlowPools(topo);
    const { flowGroups } = await ask<{ flowGroups: { groups: { keys: string[]; records: number }[] } }>(
      `{ flowGroups(${window}, by: [VROUTER], metric: RECORDS, top: 100) { groups { keys records } } }`,
    );
    for (const vr of topo.vrouters) {
      const stored = flowGroups.groups.find((g) => g.keys[0] === vr.name)?.records ?? 0;
      assert.ok(stored >= pools[vr.index]!.length, `${vr.name}: ${stored} records`);
    }
  });

  it('finds a pod by namespace/name with its VN, VRF, vRouter, interface and security groups', async () => {
    const cont = topo.workloads.find((w) => w.name === 'cont')!;
    const { workloads } = await ask<{ workloads: { matches: Record<string, unknown>[] } }>(
      `{ workloads(match: "seamless/cont") { matches { kind name namespace vn vrf vrouter vmiUuid addresses securityGroups } } }`,
    );
    assert.deepEqual(workloads.matches, [
      {
        kind: 'POD',
        name: 'cont',
        namespace: 'seamless',
        vn: cont.vn,
        vrf: vrfName(cont.vn),
        vrouter: cont.vrouter,
        vmiUuid: cont.vmiUuid,
        addresses: [cont.ipv4],
        securityGroups: cont.securityGroups,
      },
    ]);
  });

  it('finds services by address and pods by glob', async () => {
    const svc = topo.services.find((s) => s.namespace === 'secure-api')!;
    const { byIp, byGlob } = await ask<{
      byIp: { matches: { kind: string; name: string; vn: string; backends: string[] }[] };
      byGlob: { matches: { name: string }[] };
    }>(
      `{ byIp: workloads(ip: "${svc.ip}") { matches { kind name vn backends } }
         byGlob: workloads(match: "web-*", namespace: "default") { matches { name } } }`,
    );
    const backends = svc.backends.map((b) => topo.workloads.find((w) => w.name === b)!.ipv4);
    assert.deepEqual(byIp.matches, [{ kind: 'SERVICE', name: svc.name, vn: svc.vn, backends }]);
    const web = topo.workloads.filter((w) => w.namespace === 'default' && w.name.startsWith('web-'));
    assert.deepEqual(
      byGlob.matches.map((m) => m.name),
      web.map((w) => w.name).sort(),
    );
  });

  it('says so when an address is in two virtual networks, and refuses it as an endpoint', async () => {
    const web = topo.workloads.find((w) => w.name === 'admin-web-1')!;
    const demo = topo.workloads.find((w) => w.name === 'demo-app-1')!;
    assert.equal(web.ipv4, demo.ipv4, 'OpenStack tenants reuse their private subnets');
    const { workloads } = await ask<{
      workloads: {
        matches: { name: string }[];
        sharedAddresses: { address: string; vns: string[] }[];
        notes: string[];
      };
    }>(`{ workloads(ip: "${web.ipv4}") { matches { name } sharedAddresses { address vns } notes } }`);
    assert.deepEqual(workloads.matches.map((m) => m.name).sort(), ['admin-web-1', 'demo-app-1']);
    assert.deepEqual(workloads.sharedAddresses, [{ address: web.ipv4, vns: [web.vn, demo.vn].sort() }]);
    assert.match(workloads.notes[0]!, /is in 2 virtual networks/);
    const refused = await graphqlRaw(
      pipeline.graphqlUrl,
      `{ reachability(source: "${web.ipv4}", destination: "admin/admin-db-1") { verdict } }`,
    );
    assert.match(JSON.stringify(refused), /in 2 virtual networks .*name the workload/);
  });

  it('resolves the rule uuids of denied flows to the policy entry and its text', async () => {
    const c = first('isolated-ingress-denied');
    const { flows } = await ask<{
      flows: {
        edges: {
          node: { nwAceUuid: string; nwAce: { owner: string; number: number; action: string; text: string } };
        }[];
      };
    }>(
      `{ flows(${window}, filter: [{ destIp: ["${c.destIp}"], action: ["deny"] }], first: 5) {
        edges { node { nwAceUuid nwAce { owner number action text } } } } }`,
    );
    assert.ok(flows.edges.length > 0);
    for (const { node } of flows.edges) {
      assert.deepEqual({ owner: node.nwAce.owner, number: node.nwAce.number }, entry(node.nwAceUuid));
      assert.equal(node.nwAce.action, 'deny');
      assert.equal(node.nwAce.text, `deny any from any to ${c.destVn}`);
    }
    const { flowGroups } = await ask<{
      flowGroups: { groups: { keys: string[]; rules: { uuid: string; owner: string; number: number }[] }[] };
    }>(
      `{ flowGroups(${window}, by: [ACTION, NW_ACE_UUID], filter: [{ destIp: ["${c.destIp}"], action: ["deny"] }], top: 10) {
        groups { keys rules { uuid owner number } } } }`,
    );
    assert.ok(flowGroups.groups.length > 0);
    for (const g of flowGroups.groups) {
      assert.deepEqual(
        g.rules.map((r) => ({ owner: r.owner, number: r.number })),
        [entry(g.keys[1]!)],
      );
    }
  });

  it('isolated namespace: denied on the source vRouter by the isolation policy', async () => {
    const c = first('isolated-ingress-denied');
    const answer = await reach(named(c.source), named(c.destination!));
    const { owner, number } = entry(c.verdict.nwAceUuid);
    const expected =
      `denied on ${c.source.vrouter} ingress by network policy entry \`${owner}\` #${number} ` +
      `(deny any from any to ${c.destVn}) [DROP_POLICY]`;
    assert.equal(answer.forward.explanation, expected);
    assert.equal(answer.verdict, 'DENIED');
    assert.ok(answer.explanation.includes(expected));
    assert.deepEqual(
      answer.forward.verdicts.map((v) => [v.vrouter, v.side, v.action]),
      [[c.source.vrouter, 'SOURCE', 'deny']],
    );
    // The simulated control nodes leak no routes between VNs: the source's VRF has its default route.
    assert.equal(answer.forward.routeVrf, vrfName(c.source.vn));
    assert.equal(answer.forward.route?.prefix, '0.0.0.0/0');
  });

  it('isolated namespace with reachable services: the service answers, the other namespace’s service does not', async () => {
    const open = first('isolated-service-open');
    const allowed = await reach(named(open.source), `${open.service!.namespace}/${open.service!.name}`);
    assert.equal(allowed.verdict, 'ALLOWED');
    assert.match(
      allowed.forward.explanation,
      new RegExp(`^allowed: \\d+ records passed on ${open.source.vrouter} `),
    );
    assert.equal(allowed.forward.routeVrf, vrfName(open.source.vn));
    // A service has no vRouter: its backends' vRouters count as its side, in both directions.
    const sides = [...allowed.forward.verdicts, ...allowed.reverse.verdicts].map((v) => v.side);
    assert.ok(sides.length > 0 && !sides.includes('OTHER'), sides.join());
    const closed = first('isolated-service-closed');
    const denied = await reach(named(closed.source), `${closed.service!.namespace}/${closed.service!.name}`);
    const { owner, number } = entry(closed.verdict.nwAceUuid);
    assert.equal(
      denied.forward.explanation,
      `denied on ${closed.source.vrouter} ingress by network policy entry \`${owner}\` #${number} ` +
        `(deny any from any to ${closed.destVn}) [DROP_POLICY]`,
    );
  });

  it('the VM and the pod whose groups deny each other: the pod is denied at the VM, the VM reaches the pod', async () => {
    const cont = topo.workloads.find((w) => w.name === 'cont')!;
    const vm = topo.workloads.find((w) => w.name === 'vm')!;
    const answer = await reach('seamless/cont', 'admin/vm');
    assert.equal(answer.verdict, 'DENIED');
    const local = cont.vrouter === vm.vrouter;
    const denial =
      `denied on ${vm.vrouter} ${local ? 'ingress' : 'egress'} by security group \`${vm.securityGroups[0]}\`: ` +
      `no ingress rule admits it (implicit deny) [DROP_SG]`;
    assert.ok(answer.forward.explanation.startsWith(denial), answer.forward.explanation);
    if (!local) assert.ok(answer.forward.explanation.includes(`after passing ${cont.vrouter} ingress`));
    assert.equal(answer.reverse.verdict, 'ALLOWED');
    // Each vRouter names the rule it passed the flow by: the VM's egress rule, and on the pod's vRouter
    // (when it is another) the pod group's rule admitting the VM's group.
    const allowed = first('openstack-k8s-allowed').verdict;
    const podGroup = topo.securityGroups.find((g) => g.fqName === cont.securityGroups[0])!;
    const admits = podGroup.rules.findIndex((r) => r.uuid === allowed.destSgRuleUuid) + 1;
    assert.equal(podGroup.rules[admits - 1]?.remoteSecurityGroup, vm.securityGroups[0]);
    const vmGroup = topo.securityGroups.find((g) => g.fqName === vm.securityGroups[0])!;
    const out = vmGroup.rules.findIndex((r) => r.uuid === allowed.sourceSgRuleUuid) + 1;
    const rules = [`security group rule \`${vmGroup.fqName}\` #${out} (egress IPv4 any to 0.0.0.0/0)`];
    if (!local)
      rules.push(
        `security group rule \`${podGroup.fqName}\` #${admits} (ingress IPv4 any from group ${vmGroup.fqName})`,
      );
    for (const rule of rules)
      assert.ok(answer.reverse.explanation.includes(rule), answer.reverse.explanation);
    assert.deepEqual(answer.destination.workload?.securityGroups, vm.securityGroups);
    assert.equal(answer.destination.interfaceActive, true);
    // The simulator's sessions ended with its run: its vRouter is known, no longer connected.
    assert.deepEqual(answer.source.vrouter, { name: cont.vrouter, status: 'disconnected', connected: false });
  });

  it('a route missing: dropped on the source vRouter, no route to the address, only the default', async () => {
    const c = first('no-route');
    const answer = await reach(named(c.source), c.destIp);
    const vrf = vrfName(c.source.vn);
    assert.equal(answer.verdict, 'DROPPED');
    assert.equal(answer.destination.workload, null);
    assert.match(
      answer.forward.explanation,
      new RegExp(
        `^dropped on ${c.source.vrouter} ingress: no route to ${c.destIp.replace(/\./g, '\\.')} in ${vrf} ` +
          `\\(only 0\\.0\\.0\\.0/0 via MPLSoGRE to 192\\.168\\.200\\.1 label \\d+\\) \\[SHORT_NO_DST_ROUTE\\]$`,
      ),
    );
    assert.equal(answer.reverse.verdict, 'NO_FLOWS');
  });

  it('`fabricscope why` prints the same answer, and fails with exit 1 on a name nobody has', async () => {
    const cli = fileURLToPath(new URL('../../bin/fabricscope.cjs', import.meta.url));
    const why = (...args: string[]) =>
      runTool(
        process.execPath,
        [cli, 'why', ...args, '--server', pipeline.graphqlUrl, '--from', 'now-1h', '--to', 'now+1h'],
        {
          timeoutMs: 60_000,
        },
      );
    const answer = await reach('seamless/cont', 'admin/vm');
    const { stdout } = await why('seamless/cont', 'admin/vm');
    const lines = stdout.split('\n');
    assert.equal(
      lines[0],
      `seamless/cont (${answer.source.address}) → admin/vm (${answer.destination.address}): denied`,
    );
    assert.ok(lines.includes(answer.explanation), stdout);
    assert.ok(
      lines.some((l) => l.startsWith('  route in ')),
      stdout,
    );
    const refused = await why('nosuch/pod', 'admin/vm').then(
      () => assert.fail('succeeded'),
      (e: Error) => e.message,
    );
    assert.match(refused, /exit 1\n.*source: no pod, VM, service or VMI is known as "nosuch\/pod"/s);
  });
});
