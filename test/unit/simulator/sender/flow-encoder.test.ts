import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { checkFlowRecord } from '../../../../collector/validation/flow.js';
import {
  BatchSchema,
  encode,
  FlowBatchSchema,
  PublishRequestSchema,
  type FlowRecord,
} from '../../../../common/proto.js';
import { putVarint, varintSize } from '../../../../common/wire/writer.js';
import { buildFlowPools } from '../../../../simulator/fabric/flows/templates.js';
import { buildTopology } from '../../../../simulator/fabric/topology/build.js';
import { FlowBatchEncoder } from '../../../../simulator/sender/flow-encoder.js';

const topo = buildTopology({ vrouters: 4, seed: 7 });
const { pools } = buildFlowPools(topo);

/** The seq and the flow records of an encoded PublishRequest. */
function decode(payload: Buffer): { seq: bigint; records: FlowRecord[] } {
  const { message } = fromBinary(PublishRequestSchema, payload);
  assert.ok(message.case === 'batch' && message.value.payload.case === 'flows');
  return { seq: message.value.seq, records: message.value.payload.value.records };
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('flow batch encoder', () => {
  it('gives the records alone as the FlowBatch the request carries', () => {
    const encoder = new FlowBatchEncoder(pools[0]!, { salt: 3 });
    const batch = encoder.encode(4, 25);
    const alone = fromBinary(FlowBatchSchema, batch.flows);
    assert.equal(alone.records.length, 25);
    assert.deepEqual(alone.records, decode(batch.payload).records);
  });

  it('writes varints as protobuf does', () => {
    for (const v of [1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 1_795_000_000_000_000]) {
      const buf = Buffer.alloc(12);
      const end = putVarint(buf, 0, v);
      assert.equal(end, varintSize(v));
      const w = encode(BatchSchema, { seq: BigInt(v) });
      assert.deepEqual(buf.subarray(0, end), w.subarray(1), String(v));
    }
  });

  const pool = pools[1] ?? [];
  let now = 1_795_000_000_000_000;

  it('round-trips through the generated FlowRecord with the template fields', () => {
    const encoder = new FlowBatchEncoder(pool, { salt: 99, nowUs: () => now });
    const batch = encoder.encode(12345, pool.length);
    const { seq, records } = decode(batch.payload);
    assert.equal(seq, 12345n);
    assert.equal(records.length, pool.length);
    records.forEach((r, i) => {
      const t = pool[i];
      assert.ok(t);
      assert.equal(r.vrouter, 'compute-1');
      assert.equal(r.flowUuid.length, 16);
      assert.equal(r.action, t.fields.action);
      assert.equal(r.direction, t.fields.direction);
      assert.equal(r.dropReason, t.fields.dropReason);
      assert.equal(r.sgRuleUuid, t.fields.sgRuleUuid);
      assert.deepEqual(new Uint8Array(r.sourceIp), t.fields.sourceIp);
      assert.equal(r.diffBytes, BigInt(t.fields.diffBytes));
      assert.equal(r.bytes, BigInt(t.fields.diffBytes)); // first sample of the flow
      assert.equal(r.timestamp, BigInt(now + i));
      assert.ok(r.setupTime <= r.timestamp && r.setupTime > BigInt(now - 31e6));
      assert.equal(r.sourceWorkload, '');
      // Both halves of a pair point at each other and share the ephemeral port; a flow whose reverse
      // is not exported names a reverse uuid no record of the pool has.
      if (t.pair === null) {
        assert.ok(records.every((other) => hex(other.flowUuid) !== hex(r.reverseUuid)));
        return;
      }
      const pair = records[t.pair];
      assert.ok(pair);
      assert.deepEqual(r.reverseUuid, pair.flowUuid);
      assert.equal(t.reverse ? r.dport : r.sport, t.reverse ? pair.sport : pair.dport);
    });
    const nowUs = now;
    assertValid(batch.payload, records.length, nowUs);
  });

  it('keeps (flow_uuid, timestamp) unique and counters cumulative across batches', () => {
    const encoder = new FlowBatchEncoder(pool, { salt: 5, nowUs: () => now });
    const seen = new Set<string>();
    const lastBytes = new Map<string, bigint>();
    for (let seq = 1; seq <= 6; seq++) {
      for (const r of decode(encoder.encode(seq, 97).payload).records) {
        const key = `${hex(r.flowUuid)}@${r.timestamp}`;
        assert.ok(!seen.has(key), key);
        seen.add(key);
        const id = hex(r.flowUuid);
        assert.ok(r.bytes >= (lastBytes.get(id) ?? 0n));
        lastBytes.set(id, r.bytes);
      }
      now += 1000;
    }
  });

  it('sums what it encodes, per action, scaled by sampling', () => {
    const encoder = new FlowBatchEncoder(pool, { salt: 1, nowUs: () => now });
    const batch = encoder.encode(1, 300);
    let bytes = 0;
    for (const r of decode(batch.payload).records) bytes += Number(r.diffBytes) * Math.max(r.sampling, 1);
    const total = [1, 2, 3].reduce((n, a) => n + (batch.totals[a * 3 + 1] ?? 0), 0);
    const count = [1, 2, 3].reduce((n, a) => n + (batch.totals[a * 3] ?? 0), 0);
    assert.equal(total, bytes);
    assert.equal(count, 300);
  });

  it('makes every n-th record malformed when asked, and the collector refuses exactly those', () => {
    const encoder = new FlowBatchEncoder(pool, { salt: 3, invalidEvery: 10, nowUs: () => now });
    const batch = encoder.encode(1, 50);
    assert.deepEqual(batch.invalid, [9, 19, 29, 39, 49]);
    const problems = recordProblems(batch.payload, now);
    assert.deepEqual(
      problems.map((p) => p.index),
      batch.invalid,
    );
    assert.ok(problems.every((p) => p.field === 'flow_uuid'));
  });

  it('reports its throughput', (t) => {
    const big = pools.flat().filter((x) => x.vrouter === 0);
    const encoder = new FlowBatchEncoder(big, { salt: 8 });
    let records = 0;
    const started = performance.now();
    let bytes = 0;
    while (performance.now() - started < 1500) {
      bytes += encoder.encode(records + 1, 500).payload.length;
      records += 500;
    }
    const seconds = (performance.now() - started) / 1000;
    const line = `encoder: ${Math.round(records / seconds).toLocaleString('en-US')} records/s, ${Math.round(
      bytes / records,
    )} bytes/record (batches of 500, one core)`;
    t.diagnostic(line);
  });
});

/** Walks the FlowBatch in a payload and runs the collector's validation on each record. */
function recordProblems(payload: Buffer, nowUs: number): { index: number; field: string }[] {
  const out: { index: number; field: string }[] = [];
  let pos = skipHeader(payload);
  for (let index = 0; pos < payload.length; index++) {
    assert.equal(payload[pos], 0x0a);
    const [len, start] = readVarint(payload, pos + 1);
    const problem = checkFlowRecord(payload, start, start + len, nowUs);
    if (problem) out.push({ index, field: problem.field });
    pos = start + len;
  }
  return out;
}

function assertValid(payload: Buffer, count: number, nowUs: number): void {
  assert.deepEqual(recordProblems(payload, nowUs), []);
  assert.ok(count > 0);
}

function skipHeader(payload: Buffer): number {
  let pos = readVarint(payload, 1)[1]; // PublishRequest.batch length
  pos = readVarint(payload, pos + 1)[1]; // Batch.seq
  return readVarint(payload, pos + 1)[1]; // Batch.flows length
}

function readVarint(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = buf[pos++] ?? 0;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return [value, pos];
  }
}
