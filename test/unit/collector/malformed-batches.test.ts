import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { readBatch } from '../../../collector/requests.js';
import { clientFault } from '../../../common/errors.js';
import {
  AckSchema,
  AckStatus,
  Collector,
  encodeFields,
  HelloSchema,
  methodPath,
  PayloadField,
  PublishResponseSchema,
  type Ack,
  type PublishResponse,
} from '../../../common/proto.js';
import { minimalFlowRecord as flow } from '../../support/flow-record.js';
import { rawLen, rawVarint, varint } from '../../support/raw-protobuf.js';
import { startTestCollector, type TestCollector } from '../../support/test-collector.js';

/**
 * Batches the ingest fuzzer (test/integration/collector/ingest-fuzz.test.ts) found answered wrongly:
 * a record frame running past its batch (an unhandled rejection that ended the collector process on
 * a stream, its sender never answered) and a seq beyond 2^53 (rounded: 2^64-1 became 2^64, which no
 * ack can carry, INTERNAL; two large seqs could become one, the second batch dropped as a resend);
 * and, by reading the code the fuzzer drives, records dropped unsaid: a payload field of another wire
 * type was skipped, and of a payload given twice only the last was read.
 */

const generator = 'compute-1:Compute:contrail-vrouter-agent:0';
const seqField = (seq: bigint): Buffer => rawVarint(1, seq);
/** A batch of flows: a good record, then a frame announcing 200 bytes where 3 follow. */
const brokenFrames = (seq: bigint): Buffer =>
  Buffer.concat([
    seqField(seq),
    rawLen(
      PayloadField.flows,
      Buffer.concat([rawLen(1, flow), varint(0x0an), varint(200n), Buffer.from('abc')]),
    ),
  ]);
const goodBatch = (seq: bigint): Buffer =>
  Buffer.concat([seqField(seq), rawLen(PayloadField.flows, rawLen(1, flow))]);

describe('malformed batches are the sender’s fault, answered, and end nothing else', () => {
  let collector: TestCollector;
  let client: grpc.Client;

  before(async () => {
    collector = await startTestCollector();
    client = collector.client;
  });
  after(() => collector.close());

  const hello = rawLen(1, encodeFields(HelloSchema, { generator, epoch: 1 }));

  // Bounded: before the fix the broken batch was never answered.
  it(
    'acks a batch whose record frame runs past it INVALID, and the stream carries on',
    { timeout: 30_000 },
    async () => {
      const call = client.makeBidiStreamRequest(
        methodPath(Collector.method.publish),
        (b: Buffer) => b,
        (b: Buffer) => fromBinary(PublishResponseSchema, b),
      );
      const acks: Ack[] = [];
      const two = new Promise<void>((resolve) =>
        call.on('data', (r: PublishResponse) => {
          if (r.message.case === 'ack') acks.push(r.message.value);
          if (acks.length === 2) resolve();
        }),
      );
      const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
      call.on('error', () => undefined);
      call.write(hello);
      call.write(rawLen(2, brokenFrames(1n)));
      call.write(rawLen(2, goodBatch(2n)));
      await two;
      call.end();
      assert.equal((await status).code, grpc.status.OK);
      assert.equal(acks[0]!.status, AckStatus.INVALID);
      assert.match(acks[0]!.message, /malformed batch: length runs past the end/);
      assert.deepEqual([acks[1]!.status, acks[1]!.accepted], [AckStatus.OK, 1]);
    },
  );

  it('acks a batch holding a record field of another wire type INVALID instead of skipping it', async () => {
    const batch = Buffer.concat([
      seqField(3n),
      rawLen(PayloadField.flows, Buffer.concat([rawLen(1, flow), rawVarint(1, 7n)])),
    ]);
    const ack = await new Promise<Ack>((resolve, reject) =>
      client.makeUnaryRequest(
        methodPath(Collector.method.publishBatch),
        (b: Buffer) => b,
        (b: Buffer) => fromBinary(AckSchema, b),
        Buffer.concat([hello, rawLen(2, batch)]),
        (err, a) => (err ? reject(err) : resolve(a!)),
      ),
    );
    assert.equal(ack.status, AckStatus.INVALID);
    assert.match(ack.message, /malformed batch: record field 1 has wire type 0/);
  });

  it('refuses a seq above 2^53-1 with INVALID_ARGUMENT naming it, the largest exact one taken', async () => {
    const publish = (batch: Buffer) =>
      new Promise<Ack | grpc.ServiceError>((resolve) =>
        client.makeUnaryRequest(
          methodPath(Collector.method.publishBatch),
          (b: Buffer) => b,
          (b: Buffer) => fromBinary(AckSchema, b),
          Buffer.concat([hello, rawLen(2, batch)]),
          (err, ack) => resolve(err ?? ack!),
        ),
      );
    for (const seq of [2n ** 53n, 2n ** 64n - 1n]) {
      const refused = (await publish(goodBatch(seq))) as grpc.ServiceError;
      assert.equal(refused.code, grpc.status.INVALID_ARGUMENT, `seq ${seq}`);
      assert.match(refused.details, /batch seq \d+ is above 2\^53-1/);
    }
    const largest = (await publish(goodBatch(2n ** 53n - 1n))) as Ack;
    assert.deepEqual([largest.seq, largest.status], [2n ** 53n - 1n, AckStatus.OK]);
  });

  it('refuses records in a payload field of another wire type, or in two fields, naming it', () => {
    const records = rawLen(1, flow);
    const refusal = (batch: Buffer): string => {
      try {
        readBatch(batch);
      } catch (err) {
        return clientFault(err)?.message ?? `not the sender's fault: ${String(err)}`;
      }
      return 'read';
    };
    assert.equal(refusal(goodBatch(1n)), 'read');
    assert.match(
      refusal(Buffer.concat([seqField(1n), rawVarint(PayloadField.flows, 1n)])),
      /batch flows with wire type 0/,
    );
    const twice = (second: number) =>
      Buffer.concat([seqField(1n), rawLen(PayloadField.flows, records), rawLen(second, records)]);
    assert.match(refusal(twice(PayloadField.flows)), /records twice \(flows, then flows\)/);
    assert.match(refusal(twice(PayloadField.uves)), /records twice \(flows, then uves\)/);
  });
});
