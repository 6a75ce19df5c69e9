import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBusBatch, encodeBusBatch, encodeStamp } from '../../../common/bus/envelope.js';
import { readRequest } from '../../../collector/requests.js';
import { forEachRecord, frameRecords } from '../../../common/wire/frames.js';
import { create, fromBinary } from '@bufbuild/protobuf';
import {
  BatchStampSchema,
  BusBatchSchema,
  encode,
  encodeFields,
  FlowBatchSchema,
  FlowRecordSchema,
  FlowRowSchema,
  PublishRequestSchema,
} from '../../../common/proto.js';

const record = (i: number) => ({
  flow_uuid: Buffer.alloc(16, i),
  source_ip: Buffer.from([10, 0, 0, i]),
  dest_ip: Buffer.from([10, 0, 1, i]),
  dport: 80 + i,
});

describe('wire framing', () => {
  it('reads hello and batches of a PublishRequest without decoding records', () => {
    const hello = encodeFields(PublishRequestSchema, {
      hello: { generator: 'a:b:c:0', token: 't', epoch: 9 },
    });
    assert.deepEqual(readRequest(hello), { type: 'hello', generator: 'a:b:c:0', token: 't', epoch: 9 });
    const batch = encodeFields(PublishRequestSchema, {
      batch: { seq: 300, flows: { records: [record(1), record(2)] } },
    });
    const request = readRequest(batch);
    assert.equal(request.type, 'batch');
    if (request.type !== 'batch') return;
    assert.equal(request.seq, 300);
    assert.equal(request.payload?.kind, 'flows');
    const ports: number[] = [];
    forEachRecord(batch, request.payload!.start, request.payload!.end, (s, e) => {
      ports.push(fromBinary(FlowRecordSchema, batch.subarray(s, e)).dport);
    });
    assert.deepEqual(ports, [81, 82]);
  });

  it('keeps only the chosen records and stamps the bus batch', () => {
    const flowBatch = encodeFields(FlowBatchSchema, { records: [record(1), record(2), record(3)] });
    const ranges: [number, number][] = [];
    forEachRecord(flowBatch, 0, flowBatch.length, (s, e) => ranges.push([s, e]));
    const kept = frameRecords(flowBatch, [ranges[0]!, ranges[2]!]);
    const header = { generator: 'g:Compute:m:0', epoch: 2 ** 40, seq: 7, receivedAt: 1_795_000_000_000_000 };
    const bus = encodeBusBatch(header, 'flows', kept);
    const decoded = decodeBusBatch(bus);
    assert.deepEqual(decoded.header, header);
    assert.equal(decoded.kind, 'flows');
    const { payload } = fromBinary(BusBatchSchema, bus);
    assert.equal(payload.case, 'flows');
    assert.deepEqual(payload.case === 'flows' && payload.value.records.map((r) => r.dport), [81, 83]);
  });

  it('writes the header as protobuf does, byte for byte, zero fields left out, in the batch and in each row stamp', () => {
    const payload = encodeFields(FlowBatchSchema, { records: [record(1)] });
    for (const header of [
      { generator: 'g:Compute:m:0', epoch: 2 ** 40, seq: 7, receivedAt: 1_795_000_000_000_000 },
      { generator: 'hôte-é:Compute:m:0', epoch: 1, seq: 0, receivedAt: 1 },
      { generator: '', epoch: 0, seq: 0, receivedAt: 0 },
    ]) {
      const stamp = {
        generator: header.generator,
        epoch: BigInt(header.epoch),
        seq: BigInt(header.seq),
        receivedAt: BigInt(header.receivedAt),
      };
      const expected = encode(BusBatchSchema, {
        ...stamp,
        payload: { case: 'flows', value: { records: [] } },
      });
      const bus = encodeBusBatch(header, 'flows', payload);
      // protobuf-es writes an empty payload message as its tag and a zero length: compare up to it.
      assert.deepEqual(bus.subarray(0, expected.length - 2), expected.subarray(0, expected.length - 2));
      assert.deepEqual(decodeBusBatch(bus).header, header);
      const row = encodeStamp(header);
      assert.deepEqual(fromBinary(FlowRowSchema, row).stamp, create(BatchStampSchema, stamp));
    }
  });
});
