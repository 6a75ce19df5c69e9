import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { AckStatus } from '../../common/proto.js';
import { cleanUp } from '../../harness/child-processes.js';
import { graphql, startPipelineProcess, type PipelineProcess } from '../../harness/pipeline-process.js';
import { openPublishStream, type PublishStream } from '../../harness/publish-stream.js';
import {
  podNetwork,
  podNetworkInBytesQuery,
  vnPart,
  webInterface,
  type PodNetworkAnswer,
} from '../support/uve-fixtures.js';
import { pipelineDrained } from '../../harness/wait.js';

const computeA = 'compute-a:Compute:contrail-vrouter-agent:0';
const computeB = 'compute-b:Compute:contrail-vrouter-agent:0';
const ip = (text: string) => Buffer.from(text.split('.').map(Number));

const flow = (n: number) => ({
  flow_uuid: Buffer.alloc(16, n),
  vrouter: 'compute-a',
  source_vn: podNetwork,
  dest_vn: podNetwork,
  source_ip: ip('10.32.0.5'),
  dest_ip: ip('10.32.9.9'),
  protocol: 6,
  dport: 8080,
  action: 1,
  diff_bytes: 10,
  diff_packets: 1,
});

describe('embedded pipeline: UVEs, generator sessions and identity on flows through gRPC', () => {
  let pipeline: PipelineProcess;
  let a: PublishStream;
  let b: PublishStream;
  const ask = <T>(query: string) => graphql<T>(pipeline.graphqlUrl, query);
  const inBytes = async () =>
    (await ask<PodNetworkAnswer>(podNetworkInBytesQuery)).uve?.value.UveVirtualNetworkAgent.in_bytes;
  const status = async (generator: string) =>
    (
      await ask<{ generators: { edges: { node: { name: string; status: string } }[] } }>(
        '{ generators(first: 1000) { edges { node { name status } } } }',
      )
    ).generators.edges.find((e) => e.node.name === generator)?.node.status;

  before(async () => {
    pipeline = await startPipelineProcess(mkdtempSync(join(tmpdir(), 'fs-state-')), {
      args: ['--generator-grace', '1s', '--max-uve-bytes', '2048'],
    });
    a = openPublishStream(pipeline.grpcTarget, computeA, 1);
    b = openPublishStream(pipeline.grpcTarget, computeB, 1);
  });
  after(() =>
    cleanUp(
      () => a?.close(),
      () => pipeline?.stop(),
    ),
  );

  it('stores good UVEs and names what is wrong with the others in the ack', async () => {
    const ack = await a.send('uves', [
      vnPart(100),
      { ...vnPart(1), attributes_json: '{"in_bytes": ' },
      { ...vnPart(1), attributes_json: JSON.stringify({ blob: 'x'.repeat(3000) }) },
      { ...vnPart(1), type: 'Virtual Network' },
      webInterface,
    ]);
    assert.equal(ack.status, AckStatus.OK);
    assert.equal(ack.accepted, 2);
    assert.deepEqual(
      ack.rejections.map((r) => [r.index, r.field]),
      [
        [1, 'attributes_json'],
        [2, 'record'],
        [3, 'type'],
      ],
    );
    assert.match(ack.rejections[2]!.reason, /lower-case/);
    assert.equal((await b.send('uves', [vnPart(20)])).status, AckStatus.OK);
    await pipelineDrained(pipeline);
    assert.equal(await inBytes(), 120);
  });

  it('enriches flows with the workload identity of their addresses; unknown ones stay queryable by IP', async () => {
    const ack = await a.send('flows', [flow(1), flow(2), flow(3)]);
    assert.equal(ack.accepted, 3);
    await pipelineDrained(pipeline);
    const { flows } = await ask<{
      flows: {
        edges: {
          node: {
            sourceWorkload: string;
            sourceNamespace: string;
            sourceLabels: object;
            destWorkload: string;
          };
        }[];
      };
    }>(
      '{ flows(from: "now-1h", to: "now+1h", first: 10) { edges { node { sourceWorkload sourceNamespace sourceLabels destWorkload } } } }',
    );
    assert.equal(flows.edges.length, 3);
    for (const { node } of flows.edges) {
      assert.deepEqual(node, {
        sourceWorkload: 'web-1',
        sourceNamespace: 'payments',
        sourceLabels: { app: 'web', tier: 'front' },
        destWorkload: '',
      });
    }
    const records = async (filter: string) =>
      (
        await ask<{ flowTotals: { records: number } }>(
          `{ flowTotals(from: "now-1h", to: "now+1h", filter: [${filter}]) { records } }`,
        )
      ).flowTotals.records;
    assert.equal(await records('{ sourceLabel: ["app=web"] }'), 3);
    assert.equal(await records('{ label: ["tier"], namespace: ["payments"] }'), 3);
    assert.equal(await records('{ sourceLabel: ["app=db"] }'), 0);
    assert.equal(await records('{ destIp: ["10.32.9.9"] }'), 3);
  });

  it('tells apart workloads that reuse one address in different virtual networks', async () => {
    const blue = 'default-domain:admin:blue';
    const attributes = {
      ...JSON.parse(webInterface.attributes_json),
      vm_name: 'vm-blue',
      virtual_network: blue,
    };
    const blueInterface = {
      ...webInterface,
      name: 'default-domain:admin:5b0c7d8e-0000-4000-8000-000000000002',
      attributes_json: JSON.stringify({ ...attributes, namespace: 'admin', labels: {} }),
    };
    assert.equal((await a.send('uves', [blueInterface])).accepted, 1);
    // Flows are enriched with the identities stored when they are: the UVE first.
    await pipelineDrained(pipeline);
    const inBlue = (n: number) => ({
      ...flow(n),
      flow_uuid: Buffer.alloc(16, 100 + n),
      source_vn: blue,
      dest_vn: blue,
    });
    assert.equal((await a.send('flows', [inBlue(1), inBlue(2)])).accepted, 2);
    await pipelineDrained(pipeline);
    const { flowGroups } = await ask<{ flowGroups: { groups: { keys: string[]; records: number }[] } }>(
      '{ flowGroups(from: "now-1h", to: "now+1h", filter: [{ sourceIp: ["10.32.0.5"] }], by: [SOURCE_VN, SOURCE_WORKLOAD], metric: RECORDS, top: 10) { groups { keys records } } }',
    );
    assert.deepEqual(
      flowGroups.groups.map((g) => [...g.keys, g.records]),
      [
        [podNetwork, 'web-1', 3],
        [blue, 'vm-blue', 2],
      ],
    );
  });

  it('withdraws a disconnected generator after the grace period, and counts it again once it resends', async () => {
    assert.equal(await status(computeB), 'CONNECTED');
    await b.close();
    const deadline = Date.now() + 15_000;
    while ((await status(computeB)) !== 'WITHDRAWN' && Date.now() < deadline) await sleep(200);
    assert.equal(await status(computeB), 'WITHDRAWN');
    assert.equal(await inBytes(), 100);
    b = openPublishStream(pipeline.grpcTarget, computeB, 2);
    assert.equal((await b.send('uves', [vnPart(20)])).status, AckStatus.OK);
    await pipelineDrained(pipeline);
    assert.equal(await status(computeB), 'CONNECTED');
    assert.equal(await inBytes(), 120);
    await b.close();
  });
});
