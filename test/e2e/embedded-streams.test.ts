import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { cleanUp, killedOnExit, stopChild } from '../../harness/child-processes.js';
import { freePort } from '../../harness/kafka.js';
import { graphql, startPipelineProcess, type PipelineProcess } from '../../harness/pipeline-process.js';
import { pipelineDrained, until } from '../../harness/wait.js';
import { openPublishStream, type PublishStream } from '../../harness/publish-stream.js';
import { pausedSse, sseSubscribe, wsSubscribe, type HeldSubscription } from '../support/subscriptions.js';

const cli = fileURLToPath(new URL('../../bin/fabricscope.cjs', import.meta.url));

/** Every Flow field but its alarms: what a streamed flow and the stored one must agree on. */
const FLOW = `time receivedAt generator flowUuid reverseUuid vrouter vrouterIp otherVrouterIp direction sourceVn
  destVn sourceIp destIp protocol sourcePort destPort action dropReason sgRuleUuid nwAceUuid vmiUuid setupTime
  teardownTime bytes packets diffBytes diffPackets tcpFlags underlayProto underlaySourcePort sampling
  sourceWorkload destWorkload sourceNamespace destNamespace sourceLabels destLabels`;

const PASS = 1;
const DENY = 2;

/** Flow `i` of batch `batch`: its own source address per batch, its uuid from both. */
const flow = (batch: number, i: number, action: number, dport: number) => ({
  flow_uuid: Buffer.from([
    ...Buffer.alloc(10),
    (batch >> 16) & 255,
    (batch >> 8) & 255,
    batch & 255,
    0,
    (i >> 8) & 255,
    i & 255,
  ]),
  vrouter: 'compute-9',
  vrouter_ip: Buffer.from([192, 168, 0, 9]),
  source_vn: 'default-domain:admin:vn1',
  dest_vn: 'default-domain:admin:vn1',
  source_ip:
    i === 4
      ? Buffer.from([0x20, 1, 0xd, 0xb8, ...Buffer.alloc(10), (batch >> 8) & 255, batch & 255])
      : Buffer.from([10, 9, (batch >> 8) & 255, batch & 255]),
  // Flow 4 goes to an IPv6 address with two equal runs of zeros: printed as the warehouse prints it.
  dest_ip:
    i === 4 ? Buffer.from('20010db8000000000001000000000004', 'hex') : Buffer.from([10, 8, 0, (i % 250) + 1]),
  protocol: 6,
  sport: 40000 + i,
  dport,
  action,
  drop_reason: action === DENY ? 'SHORT_ACL_DENY' : '',
  sg_rule_uuid: action === DENY ? 'rule-1' : '',
  direction: 1,
  setup_time: Date.now() * 1000 - 5e6,
  diff_bytes: 100,
  diff_packets: 1,
  bytes: 1000,
  packets: 10,
  timestamp: Date.now() * 1000,
});

const flowsOf = (s: HeldSubscription) =>
  s.events.flatMap((e) => (e.data?.flows ? [e.data.flows as Record<string, unknown>] : []));

/** Runs `fabricscope observe` to its end; its exit code and output. */
async function observe(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = killedOnExit(
    spawn(process.execPath, [cli, 'observe', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout, stderr };
}

describe('live streams on the embedded pipeline: SSE, WebSocket, slow subscribers, fabricscope observe', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-streams-'));
  let pipeline: PipelineProcess;
  let generator: PublishStream;
  let batch = 0;
  const held: HeldSubscription[] = [];
  const hold = <T extends HeldSubscription>(s: T): T => {
    held.push(s);
    return s;
  };

  /** Publishes batches of `make(batch)` until `done` holds, each acked in full; bounded. */
  async function publishUntil(
    what: string,
    make: (batch: number) => object[],
    done: () => boolean | Promise<boolean>,
  ) {
    for (let sent = 0; sent < 2000; sent++) {
      if (await done()) return;
      batch++;
      const records = make(batch);
      const ack = await generator.send('flows', records);
      assert.equal(ack.accepted, records.length, `batch ${batch} acked in full`);
    }
    const metrics = (await (await fetch(`${pipeline.httpUrl}/metrics`)).text())
      .split('\n')
      .filter((line) => line.startsWith('fabricscope_query_subscri'));
    assert.fail(`${what}: not within 2000 batches (${metrics.join(', ')})`);
  }

  before(async () => {
    pipeline = await startPipelineProcess(dataDir, { args: ['--query-subscription-queue', '50'] });
    generator = openPublishStream(pipeline.grpcTarget, 'compute-9:Compute:contrail-vrouter-agent:0', 1);
  });
  after(() =>
    cleanUp(
      async () => held.forEach((s) => s.close()),
      () => generator?.close(),
      () => pipeline?.stop(),
    ),
  );

  it('streams the flows acked after subscribing, filtered, over SSE and over WebSocket, as they are stored', async () => {
    const denied = hold(
      sseSubscribe(pipeline.graphqlUrl, `subscription { flows(filter: [{ action: ["deny"] }]) { ${FLOW} } }`),
    );
    const https = hold(
      wsSubscribe(
        pipeline.graphqlUrl,
        `subscription { flows(filter: [{ destPort: [443] }], exclude: [{ action: ["deny"] }]) { ${FLOW} } }`,
      ),
    );
    await publishUntil(
      'a flow on each subscription',
      (b) => [flow(b, 1, DENY, 80), flow(b, 2, PASS, 443), flow(b, 3, PASS, 80), flow(b, 4, DENY, 443)],
      () => flowsOf(denied).length > 0 && flowsOf(https).length > 0,
    );
    for (const f of flowsOf(denied))
      assert.deepEqual([f.action, f.dropReason, f.sgRuleUuid], ['deny', 'SHORT_ACL_DENY', 'rule-1']);
    for (const f of flowsOf(https)) assert.deepEqual([f.action, f.destPort], ['pass', 443]);
    assert.deepEqual(
      denied.events.filter((e) => e.errors),
      [],
      'no error on the SSE stream',
    );
    assert.deepEqual(
      https.events.filter((e) => e.errors),
      [],
      'no error on the WebSocket stream',
    );

    // A streamed flow reads as the stored one, field for field (identity, addresses, times, enums).
    await pipelineDrained(pipeline);
    const stored = await graphql<{ flows: { edges: { node: Record<string, unknown> }[] } }>(
      pipeline.graphqlUrl,
      `{ flows(from: "now-1h", to: "now+1h", filter: [{ vrouter: ["compute-9"] }], first: 1000) { edges { node { ${FLOW} } } } }`,
    );
    const byUuid = new Map(stored.flows.edges.map((e) => [e.node.flowUuid, e.node]));
    const streamed = [...flowsOf(denied), ...flowsOf(https)];
    for (const f of streamed) assert.deepEqual(f, byUuid.get(f.flowUuid));
    assert.ok(
      flowsOf(denied).some((f) => f.destIp === '2001:db8::1:0:0:4'),
      'an IPv6 flow among them',
    );
  });

  it('cuts a slow subscriber off, counted, while another keeps receiving and every batch is acked', async () => {
    const slow = hold(pausedSse(pipeline.graphqlUrl, `subscription { flows { ${FLOW} } }`));
    await slow.response;
    // The other one takes one flow of each batch (port 443): never behind by a whole batch.
    const fast = hold(
      sseSubscribe(
        pipeline.graphqlUrl,
        `subscription { flows(filter: [{ destPort: [443] }]) { flowUuid sourceIp } }`,
      ),
    );
    const cutOff = async () =>
      /^fabricscope_query_subscription_cutoffs_total\{stream="flows",reason="slow"\} 1$/m.test(
        await (await fetch(`${pipeline.httpUrl}/metrics`)).text(),
      );
    // 200 flows a batch, each batch acked before the next: ingest goes on while the slow one backs up.
    const batchOf = (b: number) =>
      Array.from({ length: 200 }, (_, i) => flow(b, i, PASS, i === 0 ? 443 : 80));
    await publishUntil('the slow subscriber cut off', batchOf, cutOff);
    // The other one still gets what is acked after the cut-off.
    const after = batch + 1;
    await publishUntil('the other subscriber to get a batch acked after the cut-off', batchOf, () =>
      flowsOf(fast).some((f) => f.sourceIp === `10.9.${(after >> 8) & 255}.${after & 255}`),
    );
    assert.deepEqual(
      fast.events.filter((e) => e.errors),
      [],
    );
    // The slow one, reading again, gets what had reached its socket, then the cut-off, then the end.
    slow.resume();
    await slow.ended;
    const last = slow.events.at(-1)!;
    assert.equal(last.errors?.[0]?.extensions?.reason, 'slow');
    assert.match(
      last.errors![0]!.message,
      /more than 50 events would wait for the client \(query-subscription-queue\)/,
    );
  });

  it('streams UVE changes of a type and name glob, and generators connecting and disconnecting', async () => {
    const changes = hold(
      sseSubscribe(
        pipeline.graphqlUrl,
        'subscription { uveChanges(type: "virtual-network", match: "default-domain:admin:*") { type name struct generator deleted attributes } }',
      ),
    );
    const sessions = hold(
      wsSubscribe(pipeline.graphqlUrl, 'subscription { generatorEvents { generator event epoch } }'),
    );
    const uve = (name: string, inBytes: number) => ({
      type: 'virtual-network',
      name,
      struct_type: 'UveVirtualNetworkAgent',
      attributes_json: JSON.stringify({ in_bytes: inBytes }),
      timestamp: Date.now() * 1000,
    });
    const events = (s: HeldSubscription, field: string) =>
      s.events.flatMap((e) => (e.data?.[field] ? [e.data[field] as Record<string, unknown>] : []));
    // A generator per attempt: each one connects (and disconnects once closed) after the subscriptions.
    let attempt = 0;
    await until('a UVE change and a session event', async () => {
      const name = `compute-streams-${++attempt}:Compute:contrail-vrouter-agent:0`;
      const session = openPublishStream(pipeline.grpcTarget, name, 1);
      await session.send('uves', [
        uve('default-domain:admin:vn1', attempt),
        uve('default-domain:other:vn2', 1),
      ]);
      await session.send('uves', [
        {
          ...uve('virtual-machine-interface', 1),
          type: 'virtual-machine-interface',
          name: 'default-domain:admin:vmi',
        },
      ]);
      await session.close();
      return (
        events(changes, 'uveChanges').length > 0 &&
        events(sessions, 'generatorEvents').some((e) => e.event === 'DISCONNECTED')
      );
    });
    for (const change of events(changes, 'uveChanges')) {
      assert.deepEqual(
        [change.type, change.name, change.struct, change.deleted],
        ['virtual-network', 'default-domain:admin:vn1', 'UveVirtualNetworkAgent', false],
      );
      assert.match(String(change.generator), /^compute-streams-\d+:Compute:contrail-vrouter-agent:0$/);
      assert.deepEqual(Object.keys(change.attributes as object), ['in_bytes']);
    }
    const seen = events(sessions, 'generatorEvents').filter((e) =>
      String(e.generator).startsWith('compute-streams-'),
    );
    assert.ok(
      seen.some((e) => e.event === 'CONNECTED' && e.epoch === '1'),
      JSON.stringify(seen),
    );
  });

  it('observe --follow --verdict DROPPED prints the denied flows published after it started', async () => {
    const child = killedOnExit(
      spawn(
        process.execPath,
        [cli, 'observe', '--server', pipeline.graphqlUrl, '--follow', '--verdict', 'DROPPED'],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      ),
    );
    try {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      const start = batch + 1;
      await publishUntil(
        'observe to print a denied flow',
        (b) => [flow(b, 1, DENY, 8080), flow(b, 2, PASS, 8080)],
        () => out.includes('\n'),
      );
      const lines = out.trim().split('\n');
      for (const line of lines) {
        assert.match(
          line,
          /compute-9 ingress: 10\.9\.\d+\.\d+:40001 -> 10\.8\.0\.2:8080 TCP DROPPED \(SHORT_ACL_DENY, sg-rule rule-1\)$/,
        );
        const [, third, fourth] = /10\.9\.(\d+)\.(\d+):/.exec(line)!;
        assert.ok(Number(third) * 256 + Number(fourth) >= start, 'published after observe started');
      }
    } finally {
      await stopChild(child);
    }
  });

  it('observe --last 5 --output json prints the last five flows stored, oldest first, as JSON lines', async () => {
    await pipelineDrained(pipeline);
    const { code, stdout, stderr } = await observe([
      '--server',
      pipeline.graphqlUrl,
      '--last',
      '5',
      '--output',
      'json',
      '--vrouter',
      'compute-9',
    ]);
    assert.equal(code, 0, stderr);
    const flows = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(flows.length, 5);
    const times = flows.map((f) => String(f.time));
    assert.deepEqual([...times].sort(), times, 'oldest first');
    const newest = await graphql<{ flows: { edges: { node: { flowUuid: string } }[] } }>(
      pipeline.graphqlUrl,
      '{ flows(filter: [{ vrouter: ["compute-9"] }], first: 5) { edges { node { flowUuid } } } }',
    );
    assert.deepEqual(
      flows.map((f) => f.flowUuid).reverse(),
      newest.flows.edges.map((e) => e.node.flowUuid),
    );
  });

  it('observe fails with a clear message when the API is unreachable or refuses the filter', async () => {
    const port = await freePort();
    const down = await observe(['--server', `http://127.0.0.1:${port}/graphql`, '--last', '1']);
    assert.notEqual(down.code, 0);
    assert.match(
      down.stderr,
      new RegExp(`cannot reach the GraphQL API at http://127.0.0.1:${port}/graphql: ECONNREFUSED`),
    );
    const refused = await observe(['--server', pipeline.graphqlUrl, '--follow', '--protocol', 'tcpx']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /filter.protocol: "tcpx" is not a protocol/);
  });
});
