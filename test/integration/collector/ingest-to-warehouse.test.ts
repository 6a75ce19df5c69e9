import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ingest } from '../../../collector/ingest.js';
import { wireRules } from '../../../collector/validation/wire-rules.js';
import { topicOf, type Bus, type BusMessage, type TopicKind } from '../../../common/bus/bus.js';
import { AckStatus, encodeFields, protoField, type Ack, type PayloadKind } from '../../../common/proto.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { frameRecords } from '../../../common/wire/frames.js';
import { BatchWriter } from '../../../writer/batch-writer.js';
import { writerRoute } from '../../../writer/routes.js';
import { rawVarint, rawLen } from '../../support/raw-protobuf.js';
import { recordKind, recordKinds, type RecordKind } from '../../support/record-kinds.js';

/**
 * What the collector acks, the warehouse accepts: batches mixing every known stall trigger with good
 * records go through the real Ingest and the real BatchWriter into chdb. Each bad record is rejected
 * with its field, each good one is stored, and no insert fails (a failing insert is what stalled the
 * topic: the writer retries it forever).
 */

const DAY_US = 86_400e6;
const nowUs = Date.now() * 1000;
const generator = 'compute-7:Compute:contrail-vrouter-agent:0';

/** The fields without one of them. */
function without(fields: Record<string, unknown>, name: string): Record<string, unknown> {
  const rest = { ...fields };
  delete rest[name];
  return rest;
}

/** A record: fields encoded by the generated code, then raw bytes it would not write. */
const record = (kind: RecordKind, fields: Record<string, unknown>, raw: Buffer = Buffer.alloc(0)): Buffer =>
  Buffer.concat([encodeFields(kind.schema, fields), raw]);

const numberOf = (kind: RecordKind, name: string): number => protoField(kind.catalog.record, name)!.number;

describe('collector → writer → chdb: nothing acked is refused by the warehouse', () => {
  let warehouse: ChdbWarehouse;
  let published: { topic: TopicKind; message: BusMessage }[] = [];
  const bus = {
    publish: async (topic: TopicKind, messages: BusMessage[]) => {
      for (const message of messages) published.push({ topic, message });
    },
  } as unknown as Bus;
  const ingest = new Ingest(bus, { maxBatchRecords: 20000, maxUveBytes: 65536 });
  let seq = 0;

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-ingest-')));
    await migrate(warehouse);
  });
  after(() => warehouse.close());

  const count = async (table: string): Promise<number> =>
    Number((await warehouse.query<{ n: string }>(`SELECT count() AS n FROM ${table}`))[0]!.n);

  /** Sends records as one batch through the collector and what it publishes through the writer. */
  async function send(payload: PayloadKind, records: Buffer[]): Promise<Ack> {
    let offset = 0;
    const ranges = records.map((r): [number, number] => [offset, (offset += r.length)]);
    const buf = frameRecords(Buffer.concat(records), ranges);
    published = [];
    const ack = await ingest.accept({ generator, epoch: 1, seq: seq++ }, buf, {
      kind: payload,
      start: 0,
      end: buf.length,
    });
    assert.equal(ack.status, AckStatus.OK, ack.message);
    for (const { topic, message } of published) {
      assert.equal(topic, topicOf[payload]);
      // Throws where the warehouse refuses the insert: the stall this test guards against.
      await new BatchWriter(warehouse, writerRoute(topic), {
        maxBytes: 1 << 26,
        lingerMs: 0,
        dedupWindowHours: 24,
      }).write([message]);
    }
    return ack;
  }

  const rejected = (ack: Ack): Record<number, string> =>
    Object.fromEntries(ack.rejections.map((r) => [r.index, r.field]));

  it('flows: 8–150 days old, far future, a counter over 2^64, a field number over 2^29', async () => {
    const flows = recordKind('flows');
    const before = await count('flows');
    const good = Array.from({ length: 7 }, (_, d) =>
      record(flows, { ...flows.good(d), timestamp: nowUs - d * DAY_US }),
    );
    const old = Array.from({ length: 143 }, (_, i) =>
      record(flows, { ...flows.good(100 + i), timestamp: nowUs - (8 + i) * DAY_US }),
    );
    const bad = [
      ...old,
      record(flows, { ...flows.good(1), timestamp: nowUs + 2 * 3600e6 }),
      record(flows, flows.good(2), rawVarint(numberOf(flows, 'bytes'), 1n << 64n)),
      record(flows, flows.good(3), rawVarint(1 << 29, 1n)),
    ];
    const ack = await send('flows', [...good, ...bad]);
    assert.equal(ack.accepted, good.length);
    assert.equal(ack.rejections.length, bad.length);
    const fields = rejected(ack);
    assert.equal(fields[7], 'timestamp');
    assert.equal(fields[7 + 142], 'timestamp');
    assert.equal(fields[7 + 143], 'timestamp');
    assert.equal(fields[7 + 144], 'record');
    assert.equal(fields[7 + 145], 'record');
    assert.equal((await count('flows')) - before, good.length);
  });

  it('interface stats: samples spread over 150 days, active_flows of 2^40', async () => {
    const stats = recordKind('interface_stats');
    const before = await count('if_stats');
    const samples = Array.from({ length: 150 }, (_, d) =>
      record(stats, { ...stats.good(d), timestamp: nowUs - d * DAY_US - 1e6 }),
    );
    const noActiveFlows = without(stats.good(200), 'active_flows');
    const tooMany = record(stats, noActiveFlows, rawVarint(numberOf(stats, 'active_flows'), 1n << 40n));
    const ack = await send('interface_stats', [...samples, tooMany]);
    assert.equal(ack.accepted, 7);
    assert.equal(rejected(ack)[150], 'active_flows');
    assert.ok(ack.rejections.slice(0, -1).every((r) => r.field === 'timestamp'));
    assert.equal((await count('if_stats')) - before, 7);
  });

  it('UVEs: deleted of 2, attributes 30 000 deep, an aggtype of 2^40; an old timestamp is kept (kept by arrival)', async () => {
    const uves = recordKind('uves');
    const before = await count('uve_updates');
    const deep = `{"a":${'['.repeat(30_000)}${']'.repeat(30_000)}}`;
    const ack = await send('uves', [
      record(uves, uves.good(0)),
      record(uves, uves.good(1), rawVarint(numberOf(uves, 'deleted'), 2n)),
      record(uves, { ...uves.good(2), attributes_json: deep }),
      record(uves, { ...uves.good(3), timestamp: nowUs - 150 * DAY_US }),
      record(
        uves,
        uves.good(4),
        rawLen(
          numberOf(uves, 'aggregation'),
          Buffer.concat([rawLen(1, Buffer.from('in_bytes')), rawLen(2, rawVarint(1, 1n << 40n))]),
        ),
      ),
    ]);
    assert.deepEqual(rejected(ack), { 1: 'deleted', 2: 'attributes_json', 4: 'aggregation.value.agg' });
    assert.equal((await count('uve_updates')) - before, 2);
  });

  it('routes: local_pref of 2^40, a 10 MB as_path, too many communities, a next-hop label of 2^40', async () => {
    const routes = recordKind('routes');
    const before = await count('routes');
    const noPref = without(routes.good(1), 'local_pref');
    const ack = await send('routes', [
      record(routes, routes.good(0)),
      record(routes, noPref, rawVarint(numberOf(routes, 'local_pref'), 1n << 40n)),
      record(routes, { ...routes.good(2), as_path: '65000 '.repeat((10 << 20) / 6) }),
      record(routes, { ...routes.good(3), communities: Array(300).fill('65000:1') }),
      record(routes, { ...routes.good(4), timestamp: nowUs - 150 * DAY_US, as_path: '65000 65001' }),
      record(
        routes,
        { ...routes.good(5), next_hops: [] },
        rawLen(
          numberOf(routes, 'next_hops'),
          Buffer.concat([rawLen(1, Buffer.from('VXLAN')), rawVarint(3, 1n << 40n)]),
        ),
      ),
    ]);
    assert.deepEqual(rejected(ack), {
      1: 'local_pref',
      2: 'as_path',
      3: 'communities',
      5: 'next_hops.label',
    });
    assert.equal((await count('routes')) - before, 2);
  });

  // Property-style: every integer field of every kind at 0, its column's largest value and one more.
  for (const kind of recordKinds) {
    it(`${kind.payload}: each integer field at 0, max and max+1 is refused with a reason or stored`, async () => {
      const before = await count(kind.table);
      const records: Buffer[] = [];
      const expected: { field: string; value: bigint; over: boolean }[] = [];
      let i = 1000;
      for (const rule of wireRules(kind.catalog)) {
        if (!rule || rule.wire !== 0 || rule.max === undefined) continue;
        for (const value of [0n, BigInt(rule.max), BigInt(rule.max) + 1n]) {
          const rest = without(kind.good(i++), rule.name);
          records.push(record(kind, rest, rawVarint(numberOf(kind, rule.name), value)));
          expected.push({ field: rule.name, value, over: value > BigInt(rule.max) });
        }
      }
      assert.ok(records.length >= 3, 'no bounded integer field found');
      const ack = await send(kind.payload, records);
      const reasons = new Map(ack.rejections.map((r) => [r.index, r]));
      for (const [index, { field, value, over }] of expected.entries()) {
        const rejection = reasons.get(index);
        if (rejection) assert.notEqual(rejection.reason, '', `${field}=${value}`);
        if (over) assert.equal(rejection?.field, field, `${field}=${value} (max+1) must be refused`);
      }
      assert.equal((await count(kind.table)) - before, ack.accepted);
      assert.equal(ack.accepted + ack.rejections.length, records.length);
    });
  }
});
