import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { registry } from '../../../common/metrics.js';
import {
  Collector,
  encodeFields,
  methodPath,
  PublishBatchRequestSchema,
  PublishRequestSchema,
} from '../../../common/proto.js';
import { startTestCollector, type TestCollector } from '../../support/test-collector.js';

const generator = 'compute-1:Compute:contrail-vrouter-agent:0';

/** The refused-streams counter by reason, as /metrics would print it. */
async function refused(): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric('fabricscope_collector_refused_streams_total');
  const { values } = await metric!.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.reason), v.value]));
}

describe('stream-level refusals are answered and counted', () => {
  let collector: TestCollector;
  let client: grpc.Client;

  before(async () => {
    collector = await startTestCollector({ tokens: ['secret'] });
    client = collector.client;
  });
  after(() => collector.close());

  const publishBatch = (hello: object): Promise<grpc.ServiceError> =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest(
        methodPath(Collector.method.publishBatch),
        (b: Buffer) => b,
        (b: Buffer) => b,
        encodeFields(PublishBatchRequestSchema, { hello, batch: { seq: 1 } }),
        (err) => (err ? resolve(err) : reject(new Error('accepted'))),
      ),
    );

  it('refuses a generator id over 255 bytes with INVALID_ARGUMENT naming the limit', async () => {
    const before = (await refused()).bad_hello ?? 0;
    const long = `${'h'.repeat(240)}:Compute:contrail-vrouter-agent:0`;
    const err = await publishBatch({ generator: long, token: 'secret', epoch: 1 });
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /at most 255/);
    assert.equal((await refused()).bad_hello, before + 1);
  });

  it('counts a refused token', async () => {
    const err = await publishBatch({ generator, token: 'wrong', epoch: 1 });
    assert.equal(err.code, grpc.status.UNAUTHENTICATED);
    assert.equal((await refused()).token_refused, 1);
  });

  it('counts a hello sent twice on a stream', async () => {
    const call = client.makeBidiStreamRequest(
      methodPath(Collector.method.publish),
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('data', () => undefined);
    call.on('error', () => undefined);
    const hello = encodeFields(PublishRequestSchema, { hello: { generator, token: 'secret', epoch: 1 } });
    call.write(hello);
    call.write(hello);
    assert.equal((await status).code, grpc.status.FAILED_PRECONDITION);
    assert.equal((await refused()).hello_twice, 1);
  });
});

describe('a Hello over the stream limits', () => {
  let collector: TestCollector;
  let client: grpc.Client;

  before(async () => {
    collector = await startTestCollector({ maxStreamsPerPeer: 1 });
    client = collector.client;
  });
  after(() => collector.close());

  /** A Publish stream that has sent its Hello; resolves its welcome or its status. */
  function hello(name: string) {
    const call = client.makeBidiStreamRequest(
      methodPath(Collector.method.publish),
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    const answer = new Promise<'welcome' | grpc.StatusObject>((resolve) => {
      call.on('data', () => resolve('welcome'));
      call.on('status', resolve);
    });
    call.on('error', () => undefined);
    call.write(encodeFields(PublishRequestSchema, { hello: { generator: name, epoch: 1 } }));
    return { call, answer };
  }

  it('is refused RESOURCE_EXHAUSTED naming the option, and counted', async () => {
    const first = hello(generator);
    assert.equal(await first.answer, 'welcome');
    const second = hello('compute-2:Compute:contrail-vrouter-agent:0');
    const status = (await second.answer) as grpc.StatusObject;
    assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(status.details, /--max-streams-per-peer/);
    assert.equal((await refused()).resource_exhausted, 1);
    first.call.cancel();
  });
});
