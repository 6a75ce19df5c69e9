import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { cleanUp } from '../../harness/child-processes.js';
import { graphql, startPipelineProcess, type PipelineProcess } from '../../harness/pipeline-process.js';
import { openPublishStream, type PublishStream } from '../../harness/publish-stream.js';
import { pipelineDrained } from '../../harness/wait.js';

const victim = 'compute-1:Compute:contrail-vrouter-agent:0';
const ip = (text: string) => Buffer.from(text.split('.').map(Number));
const flow = (batch: number, n: number) => ({
  flow_uuid: Buffer.from([batch, n, ...Array(14).fill(7)]),
  vrouter: 'compute-1',
  source_ip: ip('10.32.0.5'),
  dest_ip: ip('10.32.9.9'),
  protocol: 6,
  dport: 443,
  action: 1,
  diff_bytes: 100,
  diff_packets: 1,
});

/**
 * Tokens bound to identities: another credential can neither publish as a connected generator nor
 * pre-empt its batch ids, so every batch the victim is acked for is stored.
 */
describe('embedded pipeline: a generator identity impersonated with another token', () => {
  let pipeline: PipelineProcess;
  let attacker: PublishStream | undefined;
  let owner: PublishStream | undefined;

  before(async () => {
    pipeline = await startPipelineProcess(mkdtempSync(join(tmpdir(), 'fs-identity-')), {
      args: ['--tokens', 'owner-token=compute-1:*,other-token=compute-9:*'],
    });
  });
  after(() =>
    cleanUp(
      () => attacker?.close(),
      () => owner?.close(),
      () => pipeline?.stop(),
    ),
  );

  it('refuses the impostor at Hello, and the owner loses no acked record', async () => {
    attacker = openPublishStream(pipeline.grpcTarget, victim, 1, 'other-token');
    const refused = await attacker.status;
    assert.equal(refused.code, grpc.status.PERMISSION_DENIED);
    assert.match(refused.details, /may not publish as it/);

    owner = openPublishStream(pipeline.grpcTarget, victim, 1, 'owner-token');
    let acked = 0;
    for (let batch = 1; batch <= 20; batch++) {
      const ack = await owner.send('flows', [flow(batch, 1), flow(batch, 2)]);
      acked += ack.accepted;
    }
    assert.equal(acked, 40);
    await pipelineDrained(pipeline);
    const { flowTotals } = await graphql<{ flowTotals: { records: number } }>(
      pipeline.graphqlUrl,
      '{ flowTotals(from: "now-1h", to: "now+1h", filter: [{ vrouter: ["compute-1"] }]) { records } }',
    );
    assert.equal(flowTotals.records, acked);
  });
});
