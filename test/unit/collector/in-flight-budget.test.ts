import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { Ingest } from '../../../collector/ingest.js';
import { startCollector, type CollectorServer } from '../../../collector/server.js';
import { Sessions } from '../../../collector/sessions.js';
import type { Bus } from '../../../common/bus/bus.js';
import {
  AckStatus,
  Collector,
  encodeFields,
  HelloSchema,
  methodPath,
  PayloadField,
  PublishResponseSchema,
  type PublishResponse,
} from '../../../common/proto.js';
import { until } from '../../../harness/wait.js';
import { minimalFlowRecord as flow } from '../../support/flow-record.js';
import { rawLen, rawVarint } from '../../support/raw-protobuf.js';

const streams = 4;
const batchesEach = 8;
const batch = (seq: number): Buffer =>
  rawLen(2, Buffer.concat([rawVarint(1, BigInt(seq)), rawLen(PayloadField.flows, rawLen(1, flow))]));
const batchBytes = batch(1).length;
/** Room for 6 batches over all streams, where each stream alone may hold 8. */
const budget = 6 * batchBytes;

describe('the collector’s in-flight bytes over all streams', () => {
  let server: CollectorServer;
  let sessions: Sessions;
  let client: grpc.Client;
  /** Publishes waiting on the bus, and what lets them through. */
  let waiting = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));

  before(async () => {
    const bus = {
      publish: async () => {
        waiting++;
        await gate;
        waiting--;
      },
    } as unknown as Bus;
    sessions = new Sessions({ graceMs: 1000, report: async () => undefined });
    server = await startCollector(
      {
        host: '127.0.0.1',
        port: 0,
        tokens: [],
        maxInFlight: batchesEach,
        maxInFlightBytes: budget,
        maxBatchRecords: 10,
      },
      new Ingest(bus, { maxBatchRecords: 10, maxUveBytes: 1024 }),
      sessions,
    );
    client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    open();
    client.close();
    await server.close();
    sessions.stop();
  });

  it('stop reading past --max-in-flight-bytes while the bus waits, then every batch is acked', async () => {
    const acked = Array.from({ length: streams }, () => [] as number[]);
    const done = Array.from({ length: streams }, (_, i) => {
      const call = client.makeBidiStreamRequest(
        methodPath(Collector.method.publish),
        (b: Buffer) => b,
        (b: Buffer) => fromBinary(PublishResponseSchema, b),
      );
      const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
      call.on('data', (r: PublishResponse) => {
        if (r.message.case !== 'ack') return;
        assert.equal(r.message.value.status, AckStatus.OK);
        acked[i]!.push(Number(r.message.value.seq));
        if (acked[i]!.length === batchesEach) call.end();
      });
      const generator = `compute-${i}:Compute:contrail-vrouter-agent:0`;
      call.write(rawLen(1, encodeFields(HelloSchema, { generator, epoch: 1 })));
      for (let seq = 1; seq <= batchesEach; seq++) call.write(batch(seq));
      return ended;
    });
    // Every stream may take one batch more before it sees the budget gone: 6 + 4 at most, not 32.
    await until('the collector holding batches', () => waiting >= 6, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(waiting <= 6 + streams, `${waiting} batches held, for room for 6`);
    open();
    const statuses = await Promise.all(done);
    assert.deepEqual(
      statuses.map((s) => s.code),
      statuses.map(() => grpc.status.OK),
    );
    for (const seqs of acked) assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
